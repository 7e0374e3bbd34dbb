//! Installed connectors: install, read, list, update, delete, validate,
//! publish targets, credentials, audit — the one validation path and the
//! one encryption path, used by the JSON API and the web forms alike.
//!
//! Every operation takes the caller's [`Principal`]; the tenant comes from
//! it and from nowhere else.

use super::catalog::{CatalogCache, CompiledEntry};
use super::{ServiceError, ServiceResult};
use crate::domain::identity::{Principal, SCOPE_CREDENTIALS_READ};
use crate::domain::secrets::{Envelope, KeyRing, SecretsError, connector_aad};
use crate::domain::text;
use crate::domain::time;
use crate::domain::validation::{self, FieldErrors, looks_like_mask, push};
use crate::storage::{
    AuditRow, AuditWrite, AuthWrite, ConnectorFilter, ConnectorInsert, ConnectorRow,
    ConnectorUpdate, DynStore, SecretRow, StoreError, UpdateOutcome,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;
use zeroize::Zeroize;

/// Everything the connector operations need.
#[derive(Clone)]
pub struct Connectors {
    pub store: DynStore,
    pub keys: Arc<KeyRing>,
    pub catalog: Arc<CatalogCache>,
    opened: Arc<OpenedSecrets>,
}

/// Why an operation on connectors failed, in terms the edge maps to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("{message}")]
    Validation {
        message: String,
        errors: FieldErrors,
    },
    #[error("no connector with that id")]
    NotFound,
    #[error("a connector with this name already exists in this tenant")]
    DuplicateName,
    #[error("the connector was changed by someone else (version {current} is current)")]
    VersionMismatch { current: i64 },
    #[error("this action needs a token with the credentials:read scope")]
    MissingScope,
    #[error(
        "the stored secrets of this connector cannot be decrypted; restore the key or set every secret again"
    )]
    SecretsUnreadable,
    #[error("the connector kept changing while it was being updated; try again")]
    Contention,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ConnectorError {
    fn from(e: StoreError) -> Self {
        ConnectorError::Service(e.into())
    }
}

pub type ConnectorResult<T> = Result<T, ConnectorError>;

fn invalid(message: &str, errors: FieldErrors) -> ConnectorError {
    ConnectorError::Validation {
        message: message.to_string(),
        errors,
    }
}

// ---------------------------------------------------------------- resources

/// A connector as the API shows it. `secrets` says which secrets are set,
/// never what they are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorView {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub tenant_id: String,
    #[schema(format = "uuid")]
    pub catalog_id: String,
    pub catalog_key: String,
    pub name: String,
    /// inactive, active or error
    pub status: String,
    pub status_message: Option<String>,
    #[schema(value_type = Object)]
    pub config: Box<RawValue>,
    /// Per secret of the catalog entry: `{"set": true, "updated_at": …}` or `{"set": false}`
    #[schema(value_type = Object)]
    pub secrets: SecretStates,
    #[schema(value_type = Vec<String>)]
    pub tags: Box<RawValue>,
    /// Starts at 1, +1 on every change
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub created_by_name: Option<String>,
    pub updated_by_name: Option<String>,
}

/// The decrypted secrets of one connector: values and when each was set.
#[derive(Default, Serialize, Deserialize)]
struct SecretPayload {
    /// name → value
    v: BTreeMap<String, String>,
    /// name → RFC 3339 time it was last set
    t: BTreeMap<String, String>,
}

impl Drop for SecretPayload {
    fn drop(&mut self) {
        for v in self.v.values_mut() {
            v.zeroize();
        }
    }
}

/// Per secret of a catalog entry, whether it is set and when: what the API
/// shows of a connector's secrets. Shared, since it is remembered per
/// ciphertext, and kept with its JSON text, written once.
#[derive(Debug, Clone)]
pub struct SecretStates(Arc<RenderedStates>);

#[derive(Debug)]
struct RenderedStates {
    map: Map<String, Value>,
    json: Box<RawValue>,
}

impl SecretStates {
    fn new(map: Map<String, Value>) -> SecretStates {
        // A map of JSON values always serialises; NULL only satisfies the type.
        let json =
            serde_json::value::to_raw_value(&map).unwrap_or_else(|_| RawValue::NULL.to_owned());
        SecretStates(Arc::new(RenderedStates { map, json }))
    }

    /// What `payload` holds of each of the entry's secrets.
    fn of(payload: &SecretPayload, entry: &CompiledEntry) -> SecretStates {
        let mut states = Map::new();
        for name in &entry.secret_names {
            let v = match payload.t.get(name) {
                Some(at) if payload.v.contains_key(name) => json!({"set": true, "updated_at": at}),
                _ => json!({"set": false}),
            };
            states.insert(name.clone(), v);
        }
        SecretStates::new(states)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0.map
    }
}

impl Serialize for SecretStates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.json.serialize(s)
    }
}

/// Most connectors whose opened secret states are remembered.
const OPENED_CAPACITY: usize = 10_000;

/// The secret states of recently read connectors, keyed by connector id and
/// valid only for the exact ciphertext, tenant and catalog entry version
/// they were read from. Decrypting the same ciphertext with the same key
/// ring always gives the same answer, so this changes no outcome: a changed
/// or tampered ciphertext misses and is decrypted (and refused) as before.
/// Only set/unset flags and times are kept, never a secret value.
#[derive(Default)]
struct OpenedSecrets {
    map: std::sync::RwLock<std::collections::HashMap<String, Opened>>,
}

struct Opened {
    tenant_id: String,
    auth: String,
    entry_updated_at: DateTime<Utc>,
    states: SecretStates,
}

impl OpenedSecrets {
    fn get(&self, row: &ConnectorRow, entry: &CompiledEntry) -> Option<SecretStates> {
        let map = self.map.read().ok()?;
        let o = map.get(&row.id)?;
        (o.auth == row.auth
            && o.tenant_id == row.tenant_id
            && o.entry_updated_at == entry.updated_at)
            .then(|| o.states.clone())
    }

    fn put(&self, row: &ConnectorRow, entry: &CompiledEntry, states: SecretStates) {
        let Ok(mut map) = self.map.write() else {
            return;
        };
        if map.len() >= OPENED_CAPACITY && !map.contains_key(&row.id) {
            map.clear();
        }
        map.insert(
            row.id.clone(),
            Opened {
                tenant_id: row.tenant_id.clone(),
                auth: row.auth.clone(),
                entry_updated_at: entry.updated_at,
                states,
            },
        );
    }
}

const UNREADABLE: &str = "stored secrets could not be decrypted (tampered data or an unknown key)";

impl Connectors {
    fn open(&self, tenant_id: &str, id: &str, auth: &str) -> Result<SecretPayload, SecretsError> {
        let env = Envelope::parse(auth)?;
        let plain = self.keys.decrypt(&env, &connector_aad(tenant_id, id))?;
        serde_json::from_slice(&plain).map_err(|_| SecretsError::Malformed)
    }

    fn seal(&self, tenant_id: &str, id: &str, payload: &SecretPayload) -> ConnectorResult<String> {
        let mut plain = serde_json::to_vec(payload)
            .map_err(|_| ConnectorError::Service(SecretsError::Encrypt.into()))?;
        let env = self.keys.encrypt(&plain, &connector_aad(tenant_id, id));
        plain.zeroize();
        Ok(env
            .map_err(|e| ConnectorError::Service(e.into()))?
            .to_json())
    }

    /// Which of the entry's secrets the row's ciphertext holds, and when
    /// each was set. Decrypts once per distinct ciphertext (see
    /// [`OpenedSecrets`]).
    fn secret_states(
        &self,
        row: &ConnectorRow,
        entry: &CompiledEntry,
    ) -> Result<SecretStates, SecretsError> {
        if let Some(known) = self.opened.get(row, entry) {
            return Ok(known);
        }
        let states = SecretStates::of(&self.open(&row.tenant_id, &row.id, &row.auth)?, entry);
        self.opened.put(row, entry, states.clone());
        Ok(states)
    }

    /// Builds the API view of a row; a row whose secrets cannot be decrypted
    /// reads as `status: error` instead of failing.
    fn view(&self, row: ConnectorRow, entry: &CompiledEntry) -> ConnectorResult<ConnectorView> {
        let (secrets, status, status_message) = match self.secret_states(&row, entry) {
            Ok(states) => (states, row.status, row.status_message),
            Err(e) => {
                tracing::warn!(connector_id = %row.id, error = %e, "connector secrets unreadable");
                let unset = entry
                    .secret_names
                    .iter()
                    .map(|name| (name.clone(), json!({"set": false})))
                    .collect();
                (
                    SecretStates::new(unset),
                    "error".to_string(),
                    Some(UNREADABLE.to_string()),
                )
            }
        };
        let raw = |s: String| {
            RawValue::from_string(s).map_err(|e| {
                ConnectorError::from(StoreError::Corrupt(format!("connector {}: {e}", row.id)))
            })
        };
        Ok(ConnectorView {
            config: raw(row.config)?,
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

    async fn entry_for(&self, row: &ConnectorRow) -> ConnectorResult<Arc<CompiledEntry>> {
        Ok(self
            .catalog
            .by_id(
                self.store.as_ref(),
                &row.catalog_id,
                &row.catalog_updated_at,
            )
            .await?)
    }

    async fn load(&self, caller: &Principal, id: &str) -> ConnectorResult<ConnectorRow> {
        if Uuid::parse_str(id).is_err() {
            return Err(ConnectorError::NotFound);
        }
        self.store
            .connector_get(&caller.tenant_id, id)
            .await?
            .ok_or(ConnectorError::NotFound)
    }
}

// ------------------------------------------------------------ body parsing

/// Fields no client may set.
const SERVER_FIELDS: &[&str] = &[
    "id",
    "tenant_id",
    "catalog_id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "created_by_name",
    "updated_by_name",
    "secrets",
];

fn check_fields(body: &Map<String, Value>, allowed: &[&str], errors: &mut FieldErrors) {
    for k in body.keys() {
        if allowed.contains(&k.as_str()) {
            continue;
        }
        if SERVER_FIELDS.contains(&k.as_str()) {
            push(
                errors,
                k.clone(),
                "is set by the server and cannot be changed",
            );
        } else {
            push(errors, k.clone(), "is not a recognised field");
        }
    }
}

fn parse_name(v: Option<&Value>, errors: &mut FieldErrors) -> Option<String> {
    match v {
        None | Some(Value::Null) => {
            push(errors, "name", "is required");
            None
        }
        Some(Value::String(s)) => {
            let t = s.trim();
            let n = t.chars().count();
            if n == 0 {
                push(errors, "name", "must not be empty");
                None
            } else if n > 255 {
                push(errors, "name", "must be at most 255 characters");
                None
            } else if t.chars().any(char::is_control) {
                push(errors, "name", "must not contain control characters");
                None
            } else {
                Some(t.to_string())
            }
        }
        Some(_) => {
            push(errors, "name", "must be text");
            None
        }
    }
}

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

fn parse_tags(v: Option<&Value>, errors: &mut FieldErrors) -> Vec<String> {
    let Some(v) = v else {
        return Vec::new();
    };
    let Some(items) = v.as_array() else {
        if !v.is_null() {
            push(errors, "tags", "must be a list of text tags");
        }
        return Vec::new();
    };
    if items.len() > MAX_TAGS {
        push(errors, "tags", format!("must have at most {MAX_TAGS} tags"));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::trim) {
            Some(t) if !text::is_line(t) => push(errors, format!("tags.{i}"), text::LINE_MESSAGE),
            Some(t) if !t.is_empty() && t.chars().count() <= MAX_TAG_CHARS => {
                if !out.iter().any(|o| o == t) {
                    out.push(t.to_string());
                }
            }
            Some("") => push(errors, format!("tags.{i}"), "must not be empty"),
            Some(_) => push(
                errors,
                format!("tags.{i}"),
                format!("must be at most {MAX_TAG_CHARS} characters"),
            ),
            None => push(errors, format!("tags.{i}"), "must be text"),
        }
    }
    out
}

fn validate_config(entry: &CompiledEntry, config: &Value, errors: &mut FieldErrors) {
    if !config.is_object() {
        push(errors, "config", "must be an object");
        return;
    }
    // Text that is not text is reported alone: the schema's own messages
    // could name a key that holds it.
    if text::check_json(config, "config", errors) {
        return;
    }
    let found = validation::validate(
        &entry.config_validator,
        &entry.manifest.default_config_schema,
        config,
        "config",
    );
    for (k, msgs) in found {
        for m in msgs {
            push(errors, k.clone(), m);
        }
    }
}

/// What a request says about one secret.
enum SecretChange {
    Set(String),
    Clear,
}

impl Drop for SecretChange {
    fn drop(&mut self) {
        if let SecretChange::Set(v) = self {
            v.zeroize();
        }
    }
}

/// Reads `auth`: each key a string (set) or null (clear); absent keys keep.
fn parse_auth(
    entry: &CompiledEntry,
    v: Option<&Value>,
    errors: &mut FieldErrors,
) -> Vec<(String, SecretChange)> {
    let Some(v) = v else {
        return Vec::new();
    };
    let Some(map) = v.as_object() else {
        if !v.is_null() {
            push(errors, "auth", "must be an object of secrets");
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in map {
        let field = format!("auth.{name}");
        let Some((_, schema, validator)) =
            entry.secret_validators.iter().find(|(n, _, _)| n == name)
        else {
            push(errors, field, "is not a secret of this connector");
            continue;
        };
        match value {
            Value::Null => out.push((name.clone(), SecretChange::Clear)),
            Value::String(s) if !text::is_free_text(s) => {
                push(errors, field, text::FREE_TEXT_MESSAGE)
            }
            Value::String(s) if looks_like_mask(s) => push(
                errors,
                field,
                "looks like a masked value; send the secret itself, or leave it out to keep the current one",
            ),
            Value::String(s) => {
                let found = validation::validate(validator, schema, value, &field);
                if found.is_empty() {
                    out.push((name.clone(), SecretChange::Set(s.clone())));
                }
                for (k, msgs) in found {
                    for m in msgs {
                        push(errors, k.clone(), m);
                    }
                }
            }
            _ => push(errors, field, "must be text, or null to clear it"),
        }
    }
    out
}

/// Applies secret changes; returns each changed name with `set`, `changed`
/// or `cleared`.
///
/// A supplied value always replaces the stored one, with a new time, as
/// `changed` when a value was stored before and `set` when none was,
/// whether or not it equals the stored value: nothing the caller can see
/// (answer, version, times, audit) depends on that equality, so a guess of
/// a stored secret cannot be confirmed by sending it.
fn apply_secrets(
    payload: &mut SecretPayload,
    changes: Vec<(String, SecretChange)>,
    now: &str,
) -> BTreeMap<String, &'static str> {
    let mut audit = BTreeMap::new();
    for (name, mut change) in changes {
        match &mut change {
            SecretChange::Set(value) => {
                let what = if payload.v.contains_key(&name) {
                    "changed"
                } else {
                    "set"
                };
                payload.v.insert(name.clone(), std::mem::take(value));
                payload.t.insert(name.clone(), now.to_string());
                audit.insert(name, what);
            }
            SecretChange::Clear => {
                if let Some(mut old) = payload.v.remove(&name) {
                    old.zeroize();
                    payload.t.remove(&name);
                    audit.insert(name, "cleared");
                }
            }
        }
    }
    audit
}

fn audit_event(
    caller: &Principal,
    connector_id: &str,
    action: &str,
    changes: Value,
    now: DateTime<Utc>,
) -> AuditWrite {
    AuditWrite {
        id: Uuid::now_v7().to_string(),
        connector_id: Some(connector_id.to_string()),
        actor_id: Some(caller.user_id.clone()),
        actor_name: Some(caller.display_name.clone()),
        action: action.to_string(),
        changes: changes.to_string(),
        created_at: now,
    }
}

// ------------------------------------------------------------- operations

/// Filters of the installed list, as given by the client.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub status: Option<String>,
    pub catalog_key: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// Decodes a page cursor: base64url of a UUID.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    Uuid::parse_str(&s).ok().map(|u| u.to_string())
}

fn check_limit(limit: Option<i64>, errors: &mut FieldErrors) -> i64 {
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

const STATUSES: &[&str] = &["inactive", "active", "error"];

/// Whether a status change is allowed: inactive ↔ active, any → error,
/// error → inactive. Staying in the same status is not a change.
pub fn transition_allowed(from: &str, to: &str) -> bool {
    from == to
        || matches!(
            (from, to),
            ("inactive", "active") | ("active", "inactive") | (_, "error") | ("error", "inactive")
        )
}

/// The stored row of a connector just inserted, from the values written.
fn inserted_row(tenant_id: &str, row: ConnectorInsert, entry: &CompiledEntry) -> ConnectorRow {
    ConnectorRow {
        id: row.id,
        tenant_id: tenant_id.to_string(),
        catalog_id: row.catalog_id,
        catalog_key: entry.key.clone(),
        catalog_updated_at: entry.updated_at,
        name: row.name,
        status: "inactive".into(),
        status_message: None,
        config: row.config,
        auth: row.auth,
        tags: row.tags,
        version: 1,
        created_at: row.now,
        updated_at: row.now,
        created_by: Some(row.actor_id.clone()),
        updated_by: Some(row.actor_id),
        created_by_name: Some(row.actor_name.clone()),
        updated_by_name: Some(row.actor_name),
    }
}

impl Connectors {
    pub fn new(store: DynStore, keys: Arc<KeyRing>) -> Connectors {
        Connectors {
            store,
            keys,
            catalog: Arc::new(CatalogCache::default()),
            opened: Arc::new(OpenedSecrets::default()),
        }
    }

    /// Install a connector from the catalog. New connectors are inactive.
    pub async fn install(
        &self,
        caller: &Principal,
        body: &Value,
    ) -> ConnectorResult<ConnectorView> {
        let mut errors = FieldErrors::new();
        let Some(body) = body.as_object() else {
            push(&mut errors, "body", "must be a JSON object");
            return Err(invalid("the request is not valid", errors));
        };
        check_fields(
            body,
            &["catalog_key", "name", "config", "auth", "tags"],
            &mut errors,
        );
        if body.contains_key("status") || body.contains_key("version") {
            errors.remove("status");
            errors.remove("version");
            for k in ["status", "version"] {
                if body.contains_key(k) {
                    push(
                        &mut errors,
                        k,
                        "cannot be set on install: a new connector starts inactive at version 1",
                    );
                }
            }
        }
        let entry = match body.get("catalog_key") {
            Some(Value::String(k)) => {
                let e = self.catalog.by_key(self.store.as_ref(), k).await?;
                if e.is_none() {
                    push(&mut errors, "catalog_key", "does not name a catalog entry");
                }
                e
            }
            None | Some(Value::Null) => {
                push(&mut errors, "catalog_key", "is required");
                None
            }
            Some(_) => {
                push(&mut errors, "catalog_key", "must be text");
                None
            }
        };
        let name = parse_name(body.get("name"), &mut errors);
        let tags = parse_tags(body.get("tags"), &mut errors);
        let empty = Value::Object(Map::new());
        let config = match body.get("config") {
            None | Some(Value::Null) => &empty,
            Some(c) => c,
        };
        let mut changes = Vec::new();
        if let Some(entry) = &entry {
            validate_config(entry, config, &mut errors);
            changes = parse_auth(entry, body.get("auth"), &mut errors);
        }
        let (Some(entry), Some(name), true) = (entry, name, errors.is_empty()) else {
            return Err(invalid("the connector is not valid", errors));
        };

        let id = Uuid::now_v7().to_string();
        let now = time::now();
        let mut payload = SecretPayload::default();
        let secret_audit = apply_secrets(&mut payload, changes, &time::format(&now));
        let auth = self.seal(&caller.tenant_id, &id, &payload)?;
        let mut fields = vec!["name", "config"];
        if !tags.is_empty() {
            fields.push("tags");
        }
        let audit = audit_event(
            caller,
            &id,
            "connector.created",
            json!({"fields": fields, "secrets": secret_audit, "catalog_key": entry.key}),
            now,
        );
        let row = ConnectorInsert {
            id,
            catalog_id: entry.id.clone(),
            name,
            config: config.to_string(),
            auth,
            tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
            actor_id: caller.user_id.clone(),
            actor_name: caller.display_name.clone(),
            now,
        };
        match self
            .store
            .connector_insert(&caller.tenant_id, &row, &audit)
            .await
        {
            Ok(()) => {
                // The states of what was just sealed, so the answer does not
                // decrypt it again.
                let row = inserted_row(&caller.tenant_id, row, &entry);
                self.opened
                    .put(&row, &entry, SecretStates::of(&payload, &entry));
                self.view(row, &entry)
            }
            Err(StoreError::Conflict(_)) => Err(ConnectorError::DuplicateName),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get(&self, caller: &Principal, id: &str) -> ConnectorResult<ConnectorView> {
        let row = self.load(caller, id).await?;
        let entry = self.entry_for(&row).await?;
        self.view(row, &entry)
    }

    pub async fn list(
        &self,
        caller: &Principal,
        q: &ListQuery,
    ) -> ConnectorResult<Page<ConnectorView>> {
        let mut errors = FieldErrors::new();
        let limit = check_limit(q.limit, &mut errors);
        if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
            if !STATUSES.contains(&s) {
                push(
                    &mut errors,
                    "status",
                    "must be one of: inactive, active, error",
                );
            }
        }
        let after_id = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => {
                let id = decode_cursor(c);
                if id.is_none() {
                    push(
                        &mut errors,
                        "cursor",
                        "is not a cursor returned by this list",
                    );
                }
                id
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(invalid("the query is not valid", errors));
        }
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let filter = ConnectorFilter {
            status: nonempty(&q.status),
            catalog_key: nonempty(&q.catalog_key),
            tag: nonempty(&q.tag),
            name_contains: nonempty(&q.q),
            after_id,
            limit: limit + 1,
        };
        let mut rows = self
            .store
            .connector_list(&caller.tenant_id, &filter)
            .await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&r.id))
        } else {
            None
        };
        let mut items = Vec::with_capacity(rows.len());
        // A page's rows mostly share their catalog entry: look it up again
        // only when it changes from one row to the next.
        let mut last: Option<Arc<CompiledEntry>> = None;
        for row in rows {
            let entry = match last.as_ref() {
                Some(e) if e.id == row.catalog_id && e.updated_at == row.catalog_updated_at => {
                    e.clone()
                }
                _ => self.entry_for(&row).await?,
            };
            items.push(self.view(row, &entry)?);
            last = Some(entry);
        }
        Ok(Page { items, next_cursor })
    }

    /// Partial update; see the module docs of the API for the rules.
    /// `if_match` is the version the client last saw (header or body).
    pub async fn update(
        &self,
        caller: &Principal,
        id: &str,
        body: &Value,
        if_match: Option<i64>,
    ) -> ConnectorResult<ConnectorView> {
        let mut errors = FieldErrors::new();
        let Some(body) = body.as_object() else {
            push(&mut errors, "body", "must be a JSON object");
            return Err(invalid("the request is not valid", errors));
        };
        check_fields(
            body,
            &[
                "name",
                "config",
                "auth",
                "tags",
                "status",
                "status_message",
                "version",
            ],
            &mut errors,
        );
        if body.contains_key("catalog_key") {
            errors.remove("catalog_key");
            push(
                &mut errors,
                "catalog_key",
                "cannot be changed; install a new connector instead",
            );
        }
        let body_version = match body.get("version") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    push(&mut errors, "version", "must be a whole number");
                    None
                }
            },
        };
        let expected = if_match.or(body_version);
        if !errors.is_empty() {
            return Err(invalid("the update is not valid", errors));
        }
        // Retry the read-modify-write when someone else wrote in between,
        // unless the client pinned a version.
        for _ in 0..5 {
            let row = self.load(caller, id).await?;
            if let Some(v) = expected {
                if v != row.version {
                    return Err(ConnectorError::VersionMismatch {
                        current: row.version,
                    });
                }
            }
            match self.try_update(caller, row, body).await? {
                Some(view) => return Ok(view),
                None => {
                    // The version moved, or (with the same version) key
                    // rotation replaced the envelope the new secrets were
                    // derived from: only the first is the client's conflict.
                    if let Some(v) = expected {
                        let current = self.load(caller, id).await?.version;
                        if current != v {
                            return Err(ConnectorError::VersionMismatch { current });
                        }
                    }
                    continue;
                }
            }
        }
        Err(ConnectorError::Contention)
    }

    /// One attempt: `None` when the version moved under us.
    async fn try_update(
        &self,
        caller: &Principal,
        row: ConnectorRow,
        body: &Map<String, Value>,
    ) -> ConnectorResult<Option<ConnectorView>> {
        let entry = self.entry_for(&row).await?;
        let mut errors = FieldErrors::new();
        let mut fields: Vec<&str> = Vec::new();

        let name = match body.get("name") {
            None => row.name.clone(),
            Some(v) => {
                let n = parse_name(Some(v), &mut errors).unwrap_or_default();
                if n != row.name {
                    fields.push("name");
                }
                n
            }
        };
        let tags = match body.get("tags") {
            None => row.tags.clone(),
            Some(v) => {
                let t = serde_json::to_string(&parse_tags(Some(v), &mut errors))
                    .unwrap_or_else(|_| "[]".into());
                let old: Value = serde_json::from_str(&row.tags).unwrap_or(Value::Null);
                let new: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                if old != new {
                    fields.push("tags");
                }
                t
            }
        };
        let old_config: Value = serde_json::from_str(&row.config).map_err(|e| {
            ConnectorError::from(StoreError::Corrupt(format!("connector {}: {e}", row.id)))
        })?;
        let config = match body.get("config") {
            None => old_config.clone(),
            Some(c) => {
                validate_config(&entry, c, &mut errors);
                if *c != old_config {
                    fields.push("config");
                }
                c.clone()
            }
        };
        let auth_changes = parse_auth(&entry, body.get("auth"), &mut errors);

        // Status and its message.
        let mut status = row.status.clone();
        let mut status_message = row.status_message.clone();
        if let Some(v) = body.get("status") {
            match v.as_str() {
                Some(s) if STATUSES.contains(&s) => {
                    if !transition_allowed(&row.status, s) {
                        push(
                            &mut errors,
                            "status",
                            format!(
                                "cannot change from {} to {s} (allowed: inactive ↔ active, any → error, error → inactive)",
                                row.status
                            ),
                        );
                    }
                    status = s.to_string();
                }
                _ => push(
                    &mut errors,
                    "status",
                    "must be one of: inactive, active, error",
                ),
            }
        }
        match body.get("status_message") {
            None => {
                if status != "error" {
                    status_message = None;
                }
            }
            Some(Value::Null) => status_message = None,
            Some(Value::String(m)) if status == "error" => {
                if !text::is_free_text(m) {
                    push(&mut errors, "status_message", text::FREE_TEXT_MESSAGE);
                } else if m.chars().count() > 1000 {
                    push(
                        &mut errors,
                        "status_message",
                        "must be at most 1000 characters",
                    );
                }
                status_message = Some(m.trim().to_string()).filter(|m| !m.is_empty());
            }
            Some(Value::String(_)) => push(
                &mut errors,
                "status_message",
                "can only be set together with status error",
            ),
            Some(_) => push(&mut errors, "status_message", "must be text"),
        }
        if !errors.is_empty() {
            return Err(invalid("the update is not valid", errors));
        }

        // Secrets: decrypt only when they change or activation needs them.
        let now = time::now();
        let needs_secrets = !auth_changes.is_empty() || status == "active";
        let mut secret_audit = BTreeMap::new();
        let auth = if needs_secrets {
            let mut payload = self
                .open(&row.tenant_id, &row.id, &row.auth)
                .map_err(|_| ConnectorError::SecretsUnreadable)?;
            secret_audit = apply_secrets(&mut payload, auth_changes, &time::format(&now));
            if status == "active" {
                let mut missing = FieldErrors::new();
                validate_config(&entry, &config, &mut missing);
                for r in &entry.required_secrets {
                    if !payload.v.contains_key(r) {
                        push(
                            &mut missing,
                            format!("auth.{r}"),
                            "is required to activate the connector",
                        );
                    }
                }
                if !missing.is_empty() {
                    return Err(invalid(
                        "the connector cannot be active until its config is valid and its required secrets are set",
                        missing,
                    ));
                }
            }
            if secret_audit.is_empty() {
                None
            } else {
                Some(AuthWrite {
                    expected: row.auth.clone(),
                    sealed: self.seal(&row.tenant_id, &row.id, &payload)?,
                })
            }
        } else {
            None
        };

        let status_changed = status != row.status;
        if status_changed {
            fields.push("status");
        }
        if status_message != row.status_message && !fields.contains(&"status") {
            fields.push("status_message");
        }
        let action = match (fields.as_slice(), secret_audit.is_empty()) {
            (["status"] | ["status", "status_message"], true) => "connector.status_changed",
            ([], false) => "connector.secrets_changed",
            _ => "connector.updated",
        };
        let mut changes = json!({"fields": fields, "secrets": secret_audit});
        if status_changed {
            changes["status"] = json!({"from": row.status, "to": status});
        }
        let audit = audit_event(caller, &row.id, action, changes, now);
        let update = ConnectorUpdate {
            id: row.id.clone(),
            expected_version: row.version,
            name,
            status,
            status_message,
            config: config.to_string(),
            auth,
            tags,
            actor_id: caller.user_id.clone(),
            actor_name: caller.display_name.clone(),
            now,
        };
        match self
            .store
            .connector_update(&caller.tenant_id, &update, &audit)
            .await
        {
            Ok(UpdateOutcome::Updated(row)) => Ok(Some(self.view(*row, &entry)?)),
            Ok(UpdateOutcome::VersionMismatch) => Ok(None),
            Ok(UpdateOutcome::NotFound) => Err(ConnectorError::NotFound),
            Err(StoreError::Conflict(_)) => Err(ConnectorError::DuplicateName),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a connector; returns its name (for the page's message).
    pub async fn delete(&self, caller: &Principal, id: &str) -> ConnectorResult<String> {
        let row = self.load(caller, id).await?;
        let audit = audit_event(
            caller,
            &row.id,
            "connector.deleted",
            json!({"fields": [], "catalog_key": row.catalog_key}),
            time::now(),
        );
        if self
            .store
            .connector_delete(&caller.tenant_id, &row.id, &audit)
            .await?
        {
            Ok(row.name)
        } else {
            Err(ConnectorError::NotFound)
        }
    }

    /// Checks a config against a catalog entry without saving anything.
    pub async fn validate_config(&self, body: &Value) -> ConnectorResult<()> {
        let mut errors = FieldErrors::new();
        let Some(body) = body.as_object() else {
            push(&mut errors, "body", "must be a JSON object");
            return Err(invalid("the request is not valid", errors));
        };
        check_fields(body, &["catalog_key", "config"], &mut errors);
        let entry = match body.get("catalog_key") {
            Some(Value::String(k)) => self.catalog.by_key(self.store.as_ref(), k).await?,
            _ => None,
        };
        match (&entry, body.get("catalog_key")) {
            (Some(_), _) => {}
            (None, None | Some(Value::Null)) => push(&mut errors, "catalog_key", "is required"),
            (None, Some(Value::String(_))) => {
                push(&mut errors, "catalog_key", "does not name a catalog entry")
            }
            (None, Some(_)) => push(&mut errors, "catalog_key", "must be text"),
        }
        if let Some(entry) = entry {
            let empty = Value::Object(Map::new());
            let config = match body.get("config") {
                None | Some(Value::Null) => &empty,
                Some(c) => c,
            };
            validate_config(&entry, config, &mut errors);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(invalid("the config is not valid", errors))
        }
    }

    /// Active connectors whose catalog entry can publish; with `capability`,
    /// only those whose capabilities have it truthy. A page at a time, in
    /// id order, like the installed list. The catalog entries that qualify
    /// are chosen first, so the store filters by them and every page but
    /// the last is full. Nothing is decrypted: a target's secrets are read
    /// (and checked) when the broadcaster reads its credentials.
    pub async fn publish_targets(
        &self,
        caller: &Principal,
        capability: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> ConnectorResult<Page<PublishTarget>> {
        let mut errors = FieldErrors::new();
        let limit = check_limit(limit, &mut errors);
        let after_id = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => {
                let id = decode_cursor(c);
                if id.is_none() {
                    push(
                        &mut errors,
                        "cursor",
                        "is not a cursor returned by this list",
                    );
                }
                id
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(invalid("the query is not valid", errors));
        }
        let catalog = self.catalog.all(self.store.as_ref()).await?;
        let publishing: Vec<_> = catalog
            .iter()
            .filter(|e| e.capabilities.get("publish") == Some(&Value::Bool(true)))
            .filter(|e| capability.is_none_or(|cap| truthy(e.capabilities.get(cap))))
            .collect();
        if publishing.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let ids: Vec<String> = publishing.iter().map(|e| e.id.clone()).collect();
        let mut rows = self
            .store
            .publish_targets(&caller.tenant_id, &ids, after_id.as_deref(), limit + 1)
            .await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&r.id))
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|row| PublishTarget {
                capabilities: publishing
                    .iter()
                    .find(|e| e.id == row.catalog_id)
                    .map(|e| e.capabilities.clone())
                    .unwrap_or(Value::Null),
                id: row.id,
                name: row.name,
                catalog_key: row.catalog_key,
            })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// The decrypted secrets of one connector, for a token with the
    /// `credentials:read` scope. Audited.
    pub async fn credentials(
        &self,
        caller: &Principal,
        id: &str,
    ) -> ConnectorResult<Map<String, Value>> {
        if !caller.has_scope(SCOPE_CREDENTIALS_READ) {
            return Err(ConnectorError::MissingScope);
        }
        let row = self.load(caller, id).await?;
        let payload = self
            .open(&row.tenant_id, &row.id, &row.auth)
            .map_err(|_| ConnectorError::SecretsUnreadable)?;
        let names: Vec<&String> = payload.v.keys().collect();
        let audit = audit_event(
            caller,
            &row.id,
            "connector.credentials_read",
            json!({"fields": [], "secrets_read": names}),
            time::now(),
        );
        self.store.audit_insert(&caller.tenant_id, &audit).await?;
        Ok(payload
            .v
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect())
    }

    pub async fn audit(
        &self,
        caller: &Principal,
        connector_id: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> ConnectorResult<Page<AuditView>> {
        let mut errors = FieldErrors::new();
        let limit = check_limit(limit, &mut errors);
        let before = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => {
                let id = decode_cursor(c);
                if id.is_none() {
                    push(
                        &mut errors,
                        "cursor",
                        "is not a cursor returned by this list",
                    );
                }
                id
            }
            None => None,
        };
        if let Some(c) = connector_id {
            if Uuid::parse_str(c).is_err() {
                push(&mut errors, "connector_id", "must be a connector id");
            }
        }
        if !errors.is_empty() {
            return Err(invalid("the query is not valid", errors));
        }
        let mut rows = self
            .store
            .audit_list(
                &caller.tenant_id,
                connector_id,
                before.as_deref(),
                limit + 1,
            )
            .await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| encode_cursor(&r.id))
        } else {
            None
        };
        Ok(Page {
            items: rows.into_iter().map(AuditView::from).collect(),
            next_cursor,
        })
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: String,
    pub connector_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    /// e.g. connector.created, connector.secrets_changed
    pub action: String,
    /// Names of changed fields; secrets as set, changed or cleared
    #[schema(value_type = Object)]
    pub changes: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// A connector the content broadcaster can publish to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublishTarget {
    pub id: String,
    pub name: String,
    pub catalog_key: String,
    #[schema(value_type = Object)]
    pub capabilities: Value,
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        AuditView {
            id: r.id,
            connector_id: r.connector_id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            changes: serde_json::from_str(&r.changes).unwrap_or(Value::Null),
            created_at: time::format(&r.created_at),
        }
    }
}

// ---------------------------------------------------------- key rotation

/// What `keys rotate` did.
#[derive(Debug, Default)]
pub struct RotateReport {
    pub rotated: u64,
    pub unreadable: u64,
    /// Rows per key id after the run.
    pub by_key: Vec<(String, i64)>,
}

pub const ROTATE_BATCH: i64 = 100;

/// Re-encrypts every stored secret under the primary key, in batches. Each
/// row is replaced only if it is unchanged since it was read, so the run is
/// safe to interrupt and re-run, and safe beside a serving replica.
pub async fn rotate_keys(store: &DynStore, keys: &KeyRing) -> ServiceResult<RotateReport> {
    let mut report = RotateReport::default();
    let mut after: Option<String> = None;
    loop {
        let batch: Vec<SecretRow> = store
            .secrets_not_under(keys.primary_id(), after.as_deref(), ROTATE_BATCH)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        for row in batch {
            let aad = connector_aad(&row.tenant_id, &row.id);
            let plain = match Envelope::parse(&row.auth).and_then(|e| keys.decrypt(&e, &aad)) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(connector_id = %row.id, error = %e, "cannot re-encrypt secrets");
                    report.unreadable += 1;
                    continue;
                }
            };
            let sealed = keys.encrypt(&plain, &aad)?.to_json();
            if store.secret_replace(&row.id, &row.auth, &sealed).await? {
                report.rotated += 1;
            }
        }
    }
    report.by_key = store.key_usage().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert!(transition_allowed("inactive", "active"));
        assert!(transition_allowed("active", "inactive"));
        assert!(transition_allowed("active", "error"));
        assert!(transition_allowed("inactive", "error"));
        assert!(transition_allowed("error", "inactive"));
        assert!(!transition_allowed("error", "active"));
        assert!(transition_allowed("active", "active"));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7().to_string();
        assert_eq!(decode_cursor(&encode_cursor(&id)), Some(id));
        assert_eq!(decode_cursor("!!"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode("not-a-uuid")), None);
    }

    #[test]
    fn secret_changes_are_named_not_shown() {
        let mut p = SecretPayload::default();
        let a = apply_secrets(
            &mut p,
            vec![("k".into(), SecretChange::Set("v1".into()))],
            "t1",
        );
        assert_eq!(a["k"], "set");
        let a = apply_secrets(
            &mut p,
            vec![("k".into(), SecretChange::Set("v2".into()))],
            "t2",
        );
        assert_eq!(a["k"], "changed");
        assert_eq!(p.t["k"], "t2");
        // The same value again is a change like any other.
        let a = apply_secrets(
            &mut p,
            vec![("k".into(), SecretChange::Set("v2".into()))],
            "t3",
        );
        assert_eq!(a["k"], "changed");
        assert_eq!(p.t["k"], "t3");
        let a = apply_secrets(&mut p, vec![("k".into(), SecretChange::Clear)], "t4");
        assert_eq!(a["k"], "cleared");
        assert!(p.v.is_empty() && p.t.is_empty());
    }

    #[test]
    fn truthiness() {
        assert!(truthy(Some(&json!(true))));
        assert!(truthy(Some(&json!(280))));
        assert!(truthy(Some(&json!(["image"]))));
        assert!(!truthy(Some(&json!(false))));
        assert!(!truthy(Some(&json!(0))));
        assert!(!truthy(Some(&json!([]))));
        assert!(!truthy(None));
    }
}
