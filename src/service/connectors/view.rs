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
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
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
            created_at: time::format(&row.created_at),
            updated_at: time::format(&row.updated_at),
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

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(decode_cursor(&encode_cursor(&id)), Some(id));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("not-a-uuid")), None);
    }
}
