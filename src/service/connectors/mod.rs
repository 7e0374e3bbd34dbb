//! Installed connectors: install, read, list, update, delete, validate,
//! publish targets, credentials, audit — the one validation path and the
//! one encryption path, used by the JSON API and the web forms alike.
//!
//! Every operation takes the caller's [`Principal`]; the tenant comes from
//! it and from nowhere else. Requests arrive as the typed commands of
//! [`input`].

mod audit;
mod check;
mod error;
mod input;
mod secrets;
mod targets;
mod update;
mod view;

pub use crate::domain::status::ConnectorStatus;
pub use audit::AuditAction;
pub use check::CheckAnswer;
pub use error::{ConnectorError, ConnectorResult};
pub use input::{
    CheckDraft, ConnectorPatch, ConnectorReplace, InstallConnector, ListQuery, MAX_TAG_CHARS,
    MAX_TAGS, StatusMessage, ValidateConfig,
};
pub use secrets::{SecretStates, SecretUpdate, SecretUpdates, UNREADABLE, seal_new_secrets};
pub(crate) use secrets::{
    holds_clear_secrets, mark_unreadable, open_secrets, reseal, seal_config_values,
};
pub use view::{
    AuditView, ConnectorView, DEFAULT_LIMIT, MAX_LIMIT, Page, PublishTarget, decode_cursor,
    write_page_json,
};

use super::catalog::{CatalogCache, CompiledEntry};
use super::checks::Checks;
use crate::config::CheckSettings;
use crate::domain::identity::{Principal, SCOPE_CREDENTIALS_READ, TenantId};
use crate::domain::ids::ConnectorId;
use crate::domain::schema::secrets::{merge, merge_unmarked};
use crate::domain::secrets::KeyRing;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, push};
use crate::storage::{ConnectorFilter, ConnectorInsert, ConnectorRow, DynStore, StoreError};
use error::corrupt;
use input::invalid;
use secrets::{SecretPayload, apply_secrets};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use uuid::Uuid;
use view::{check_limit, cut_page, read_cursor};

/// Everything the connector operations need.
#[derive(Clone)]
pub struct Connectors {
    pub store: DynStore,
    pub keys: Arc<KeyRing>,
    pub catalog: Arc<CatalogCache>,
    pub checks: Arc<Checks>,
}

/// The stored row of a connector just inserted, from the values written.
fn inserted_row(tenant_id: &TenantId, row: ConnectorInsert, entry: &CompiledEntry) -> ConnectorRow {
    ConnectorRow {
        id: row.id,
        tenant_id: tenant_id.clone(),
        catalog_id: row.catalog_id,
        catalog_key: entry.key.clone(),
        catalog_updated_at: entry.updated_at,
        name: row.name,
        status: ConnectorStatus::Inactive,
        status_message: None,
        config: row.config,
        secret_states: Some(row.secret_states),
        legacy_auth: None,
        tags: row.tags,
        version: 1,
        created_at: row.now,
        updated_at: row.now,
        created_by: Some(row.actor_id.clone()),
        updated_by: Some(row.actor_id),
        created_by_name: Some(row.actor_name.clone()),
        updated_by_name: Some(row.actor_name),
        last_check: None,
    }
}

impl Connectors {
    /// With the default check settings (and a counter no one reads).
    pub fn new(store: DynStore, keys: Arc<KeyRing>) -> Connectors {
        let checks = Checks::new(&CheckSettings::default(), Default::default());
        Self::with_checks(store, keys, Arc::new(checks))
    }

    pub fn with_checks(store: DynStore, keys: Arc<KeyRing>, checks: Arc<Checks>) -> Connectors {
        Connectors {
            store,
            keys,
            catalog: Arc::new(CatalogCache::default()),
            checks,
        }
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

    /// The catalog entry a body's `catalog_key` names, if it names one.
    async fn entry_named(&self, body: &Value) -> ConnectorResult<Option<Arc<CompiledEntry>>> {
        match InstallConnector::requested_key(body) {
            Some(k) => Ok(self.catalog.by_key(self.store.as_ref(), k).await?),
            None => Ok(None),
        }
    }

    async fn load(&self, caller: &Principal, id: &str) -> ConnectorResult<ConnectorRow> {
        if Uuid::parse_str(id).is_err() {
            return Err(ConnectorError::NotFound);
        }
        self.store
            .connector_get(&caller.tenant_id, &ConnectorId::from(id))
            .await?
            .ok_or(ConnectorError::NotFound)
    }

    /// Reads an install body against the catalog entry it names.
    pub async fn read_install(&self, body: &Value) -> ConnectorResult<InstallConnector> {
        InstallConnector::parse(body, self.entry_named(body).await?)
    }

    /// [`read_install`](Self::read_install), then [`install`](Self::install):
    /// for callers holding the API's JSON body (the web forms).
    pub async fn install_json(
        &self,
        caller: &Principal,
        body: &Value,
    ) -> ConnectorResult<ConnectorView> {
        let cmd = self.read_install(body).await?;
        self.install(caller, cmd).await
    }

    /// Install a connector from the catalog. New connectors are inactive.
    pub async fn install(
        &self,
        caller: &Principal,
        cmd: InstallConnector,
    ) -> ConnectorResult<ConnectorView> {
        let InstallConnector {
            name,
            config,
            auth: updates,
            tags,
            entry,
            ..
        } = cmd;
        let id = ConnectorId::generate();
        let now = time::now();
        let mut payload = SecretPayload::default();
        let secret_audit = apply_secrets(&mut payload, updates, &time::format(&now));
        let (auth, secret_states) = self.seal(&caller.tenant_id, &id, &payload)?;
        let audit = audit::created(
            caller,
            &id,
            &entry.key,
            !tags.is_empty(),
            &secret_audit,
            now,
        );
        let row = ConnectorInsert {
            id,
            catalog_id: entry.id.clone(),
            name,
            config: config.to_string(),
            auth,
            secret_states,
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
            Ok(()) => self.view(inserted_row(&caller.tenant_id, row, &entry), &entry),
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
            if ConnectorStatus::parse(s).is_none() {
                push(&mut errors, "status", ConnectorStatus::EXPECTED);
            }
        }
        let after_id = read_cursor(q.cursor.as_deref(), &mut errors);
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
        let next_cursor = cut_page(&mut rows, limit, |r| r.id.as_str());
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

    /// Deletes a connector; returns its name (for the page's message).
    pub async fn delete(&self, caller: &Principal, id: &str) -> ConnectorResult<String> {
        let row = self.load(caller, id).await?;
        let audit = audit::event(
            caller,
            &row.id,
            audit::AuditAction::Deleted,
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
    pub async fn validate_config(&self, body: &Value) -> ConnectorResult<ValidateConfig> {
        let entry = self.entry_named(body).await?;
        ValidateConfig::parse(body, entry.as_deref())
    }

    /// The decrypted secrets of one connector, for a token with the
    /// `credentials:read` scope: `auth`'s by name and, when the config
    /// holds secrets of its own, `config` with them back at their places.
    /// Audited.
    pub async fn credentials(
        &self,
        caller: &Principal,
        id: &str,
    ) -> ConnectorResult<Map<String, Value>> {
        if !caller.has_scope(SCOPE_CREDENTIALS_READ) {
            return Err(ConnectorError::MissingScope);
        }
        let row = self.load(caller, id).await?;
        let (_, payload) = self
            .open_for_use(caller, &row.id, "credentials read", false)
            .await?;
        let names: Vec<&String> = payload.v.keys().collect();
        let audit = audit::event(
            caller,
            &row.id,
            audit::AuditAction::CredentialsRead,
            json!({"fields": [], "secrets_read": names}),
            time::now(),
        );
        self.store.audit_insert(&caller.tenant_id, &audit).await?;
        let entry = self.entry_for(&row).await?;
        // Config secrets sealed while the schema marked them stay sealed
        // after a re-import drops the mark, and come back at their places.
        let sealed_config = payload.v.keys().any(|k| k.starts_with("config."));
        let with_config = entry.config_secrets || sealed_config;
        let mut out: Map<String, Value> = payload
            .v
            .iter()
            .filter(|(k, _)| !with_config || !k.starts_with("config."))
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        if with_config {
            let mut config: Value =
                serde_json::from_str(&row.config).map_err(|e| corrupt(&row, e))?;
            merge(&entry.forms.config, &mut config, |k| {
                payload.v.get(k).map(String::as_str)
            });
            merge_unmarked(
                &entry.forms.config,
                &mut config,
                payload.v.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            );
            out.insert("config".into(), config);
        }
        Ok(out)
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
        let before = read_cursor(cursor, &mut errors);
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
        let next_cursor = cut_page(&mut rows, limit, |r| r.id.as_str());
        Ok(Page {
            items: rows.into_iter().map(AuditView::from).collect(),
            next_cursor,
        })
    }
}
