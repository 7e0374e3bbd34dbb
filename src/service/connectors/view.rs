//! What the connector operations answer: the connector resource, publish
//! targets, audit events, and the pages and cursors of the lists.

use super::secrets::SecretStates;
use super::{ConnectorError, ConnectorResult, Connectors};
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::schema::secrets::split;
use crate::domain::status::ConnectorStatus;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, push};
use crate::service::catalog::CompiledEntry;
use crate::storage::{AuditRow, ConnectorRow, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

/// A connector as the API shows it. `secrets` says which secrets are set,
/// never what they are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorView {
    #[schema(value_type = uuid::Uuid)]
    pub id: ConnectorId,
    #[schema(value_type = uuid::Uuid)]
    pub tenant_id: TenantId,
    #[schema(value_type = uuid::Uuid)]
    pub catalog_id: String,
    pub catalog_key: String,
    pub name: String,
    pub status: ConnectorStatus,
    /// Why the connector is in `error`; null otherwise
    #[schema(required = true)]
    pub status_message: Option<String>,
    #[schema(schema_with = crate::service::schemas::config)]
    pub config: Box<RawValue>,
    /// Per secret of the catalog entry (`auth_schema`'s by name, the config's own by dotted path such as `config.credentials.client_secret`): `{"set": true, "updated_at": …}` or `{"set": false}`
    #[schema(value_type = BTreeMap<String, crate::service::schemas::SecretState>)]
    pub secrets: SecretStates,
    #[schema(value_type = Vec<String>)]
    pub tags: Box<RawValue>,
    /// Starts at 1, +1 on every change; the `ETag` holds it
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::Formatted,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: time::Formatted,
    /// The user who installed it; null once that user is gone
    #[schema(value_type = Option<uuid::Uuid>, required = true)]
    pub created_by: Option<String>,
    /// The user who changed it last; null once that user is gone
    #[schema(value_type = Option<uuid::Uuid>, required = true)]
    pub updated_by: Option<String>,
    #[schema(required = true)]
    pub created_by_name: Option<String>,
    #[schema(required = true)]
    pub updated_by_name: Option<String>,
    /// The last connection check: ok, code, message, identity, checked_at
    #[schema(value_type = Option<crate::service::checks::report::LastCheck>, required = true)]
    pub last_check: Option<Box<RawValue>>,
}

impl ConnectorView {
    /// Writes the view as JSON, the same text its `Serialize` derive
    /// writes (a test holds them equal), with less work per field: the
    /// keys are written as they are, and text that needs no escape (ids,
    /// times, most names) is copied rather than escaped byte by byte.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        json_str(out, self.id.as_str());
        out.extend_from_slice(b",\"tenant_id\":");
        json_str(out, self.tenant_id.as_str());
        out.extend_from_slice(b",\"catalog_id\":");
        json_str(out, &self.catalog_id);
        out.extend_from_slice(b",\"catalog_key\":");
        json_str(out, &self.catalog_key);
        out.extend_from_slice(b",\"name\":");
        json_str(out, &self.name);
        out.extend_from_slice(b",\"status\":");
        json_str(out, self.status.as_str());
        out.extend_from_slice(b",\"status_message\":");
        json_opt_str(out, self.status_message.as_deref());
        out.extend_from_slice(b",\"config\":");
        out.extend_from_slice(self.config.get().as_bytes());
        out.extend_from_slice(b",\"secrets\":");
        out.extend_from_slice(self.secrets.json().as_bytes());
        out.extend_from_slice(b",\"tags\":");
        out.extend_from_slice(self.tags.get().as_bytes());
        out.extend_from_slice(b",\"version\":");
        out.extend_from_slice(itoa_i64(self.version, &mut [0u8; 20]));
        out.extend_from_slice(b",\"created_at\":");
        json_time(out, self.created_at);
        out.extend_from_slice(b",\"updated_at\":");
        json_time(out, self.updated_at);
        out.extend_from_slice(b",\"created_by\":");
        json_opt_str(out, self.created_by.as_deref());
        out.extend_from_slice(b",\"updated_by\":");
        json_opt_str(out, self.updated_by.as_deref());
        out.extend_from_slice(b",\"created_by_name\":");
        json_opt_str(out, self.created_by_name.as_deref());
        out.extend_from_slice(b",\"updated_by_name\":");
        json_opt_str(out, self.updated_by_name.as_deref());
        out.extend_from_slice(b",\"last_check\":");
        match &self.last_check {
            Some(raw) => out.extend_from_slice(raw.get().as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}

/// Writes a page of connectors as JSON (`{"items": […], "next_cursor": …}`),
/// the same text the derived `Serialize` of the API's page writes.
pub fn write_page_json(items: &[ConnectorView], next_cursor: Option<&str>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_json(out);
    }
    out.extend_from_slice(b"],\"next_cursor\":");
    json_opt_str(out, next_cursor);
    out.push(b'}');
}

/// A JSON string: copied between quotes when no byte of it needs an
/// escape (a control character, `"` or `\\`: what serde_json escapes),
/// else written by serde_json. The check has no early exit, so that it
/// runs over many bytes at once.
pub(super) fn json_str(out: &mut Vec<u8>, s: &str) {
    let plain = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

fn json_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A time as [`time::Formatted`] writes it: digits and separators only.
fn json_time(out: &mut Vec<u8>, t: time::Formatted) {
    use std::io::Write;
    // Writing into a Vec cannot fail.
    let _ = write!(out, "\"{t}\"");
}

/// The decimal digits of `v`, written into `buf`.
fn itoa_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

/// A connector the content broadcaster can publish to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishTarget {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    pub name: String,
    pub catalog_key: String,
    #[schema(schema_with = crate::service::schemas::capabilities)]
    pub capabilities: Value,
}

/// One audit event: who did what to which connector, and when.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    /// The connector; null once the event outlives it
    #[schema(value_type = Option<uuid::Uuid>, required = true)]
    pub connector_id: Option<String>,
    /// The user; null for an operator command
    #[schema(value_type = Option<uuid::Uuid>, required = true)]
    pub actor_id: Option<String>,
    #[schema(required = true)]
    pub actor_name: Option<String>,
    #[schema(value_type = crate::service::schemas::AuditAction)]
    pub action: String,
    /// Names of changed fields; secrets as set, changed or cleared
    #[schema(value_type = crate::service::schemas::AuditChanges)]
    pub changes: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        AuditView {
            id: r.id,
            connector_id: r.connector_id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            changes: serde_json::from_str(&r.changes)
                .unwrap_or_else(|_| serde_json::json!({"fields": []})),
            created_at: time::format(&r.created_at),
        }
    }
}

/// One page of a list, and the cursor of the next page if there is one.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

fn encode_cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Decodes a page cursor: base64url of a UUID.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    Uuid::parse_str(&s).ok().map(|u| u.to_string())
}

/// The id a client's cursor stands for; an empty cursor is none.
pub(super) fn read_cursor(cursor: Option<&str>, errors: &mut FieldErrors) -> Option<String> {
    let c = cursor.filter(|c| !c.is_empty())?;
    let id = decode_cursor(c);
    if id.is_none() {
        push(errors, "cursor", "is not a cursor returned by this list");
    }
    id
}

pub(super) fn check_limit(limit: Option<i64>, errors: &mut FieldErrors) -> i64 {
    match limit {
        None => DEFAULT_LIMIT,
        Some(l) if (1..=MAX_LIMIT).contains(&l) => l,
        Some(_) => {
            push(
                errors,
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            );
            DEFAULT_LIMIT
        }
    }
}

/// Cuts rows read with `limit + 1` down to the page, and names the cursor
/// of the next page when there was one more row.
pub(super) fn cut_page<T>(
    rows: &mut Vec<T>,
    limit: i64,
    id: impl Fn(&T) -> &str,
) -> Option<String> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| encode_cursor(id(r)))
    } else {
        None
    }
}

impl Connectors {
    /// Builds the API view of a row from its stored secret states, without
    /// opening its ciphertext. A row whose states cannot be read (or, for a
    /// row sealed before states were stored, whose ciphertext cannot be
    /// opened) reads as `status: error` instead of failing.
    pub(super) fn view(
        &self,
        row: ConnectorRow,
        entry: &CompiledEntry,
    ) -> ConnectorResult<ConnectorView> {
        let (secrets, status, status_message) = match self.secret_states(&row, entry) {
            Ok(states) => (states, row.status, row.status_message),
            Err(e) => {
                tracing::warn!(connector_id = %row.id, error = %e, "connector secrets unreadable");
                (
                    SecretStates::unset(entry),
                    ConnectorStatus::Error,
                    Some(super::UNREADABLE.to_string()),
                )
            }
        };
        let raw = |s: String| {
            RawValue::from_string(s).map_err(|e| {
                ConnectorError::from(StoreError::Corrupt(format!("connector {}: {e}", row.id)))
            })
        };
        let config = if entry.config_secrets {
            // A config stored before its schema marked these secrets may
            // still hold them; they are never shown.
            let stored: Value = serde_json::from_str(&row.config).map_err(|e| {
                ConnectorError::from(StoreError::Corrupt(format!("connector {}: {e}", row.id)))
            })?;
            split(&entry.forms.config, &stored).config.to_string()
        } else {
            row.config
        };
        let last_check = match row.last_check {
            Some(text) => Some(raw(text)?),
            None => None,
        };
        Ok(ConnectorView {
            last_check,
            config: raw(config)?,
            tags: raw(row.tags)?,
            id: row.id,
            tenant_id: row.tenant_id,
            catalog_id: row.catalog_id,
            catalog_key: row.catalog_key,
            name: row.name,
            status,
            status_message,
            secrets,
            version: row.version,
            created_at: time::Formatted(row.created_at),
            updated_at: time::Formatted(row.updated_at),
            created_by: row.created_by,
            updated_by: row.updated_by,
            created_by_name: row.created_by_name,
            updated_by_name: row.updated_by_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(clippy::disallowed_methods, reason = "a view made up for the test")]
    fn a_view(name: &str, text: Option<&str>, version: i64) -> ConnectorView {
        let at = chrono::DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap();
        ConnectorView {
            id: ConnectorId::from(Uuid::now_v7().to_string()),
            tenant_id: TenantId::from_stored(Uuid::now_v7().to_string()),
            catalog_id: Uuid::now_v7().to_string(),
            catalog_key: "wordpress".into(),
            name: name.into(),
            status: ConnectorStatus::Error,
            status_message: text.map(str::to_string),
            config: RawValue::from_string(
                r#"{"site_url": "https://a.example", "n": [1, 2.5e3]}"#.into(),
            )
            .unwrap(),
            secrets: SecretStates::for_test(
                r#"{"k":{"set":true,"updated_at":"2026-01-01T00:00:00.000000Z"},"x":{"set":false}}"#,
            ),
            tags: RawValue::from_string(r#"["a", "b\"c"]"#.into()).unwrap(),
            version,
            created_at: time::Formatted(at),
            updated_at: time::Formatted(at + chrono::Duration::days(400_000 * 10)),
            created_by: text.map(str::to_string),
            updated_by: None,
            created_by_name: Some(name.to_string()),
            updated_by_name: text.map(str::to_string),
            last_check: text.map(|_| RawValue::from_string(r#"{"ok": true}"#.into()).unwrap()),
        }
    }

    #[test]
    fn pages_written_by_hand_are_what_the_derive_writes() {
        let names = [
            "plain",
            "",
            "quote \" and backslash \\",
            "control \u{1} \n \t \u{1f} del \u{7f}",
            "ünïcödé ✓ 🚀",
        ];
        let texts = [None, Some("why: \"broken\"\r\n"), Some("")];
        let mut items = Vec::new();
        for (i, name) in names.iter().enumerate() {
            for (j, text) in texts.iter().enumerate() {
                let version = [1, 0, -1, i64::MAX, i64::MIN, 1234567890][(i + j) % 6];
                let view = a_view(name, *text, version);
                let mut one = Vec::new();
                view.write_json(&mut one);
                assert_eq!(
                    String::from_utf8(one).unwrap(),
                    serde_json::to_string(&view).unwrap()
                );
                items.push(view);
            }
        }
        #[derive(Serialize)]
        struct Derived<'a> {
            items: &'a [ConnectorView],
            next_cursor: Option<&'a str>,
        }
        for cursor in [None, Some("Y3Vyc29y")] {
            let mut page = Vec::new();
            write_page_json(&items, cursor, &mut page);
            let derived = Derived {
                items: &items,
                next_cursor: cursor,
            };
            assert_eq!(
                String::from_utf8(page).unwrap(),
                serde_json::to_string(&derived).unwrap()
            );
        }
        let mut empty = Vec::new();
        write_page_json(&[], None, &mut empty);
        assert_eq!(empty, br#"{"items":[],"next_cursor":null}"#);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(decode_cursor(&encode_cursor(&id)), Some(id));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("not-a-uuid")), None);
    }
}
