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

mod view;

pub use crate::domain::status::ConnectorStatus;
pub use check::CheckAnswer;
pub use error::{ConnectorError, ConnectorResult};
pub use input::{
    CheckDraft, ConnectorPatch, ConnectorReplace, InstallConnector, ListQuery, MAX_TAG_CHARS,
    MAX_TAGS, StatusMessage, ValidateConfig,
};
pub use secrets::{SecretStates, SecretUpdate, SecretUpdates, UNREADABLE, seal_new_secrets};
pub(crate) use secrets::{mark_unreadable, open_secrets, reseal};
pub use view::{
    AuditView, ConnectorView, DEFAULT_LIMIT, MAX_LIMIT, Page, PublishTarget, decode_cursor,
};

use super::catalog::{CatalogCache, CompiledEntry};
use super::checks::Checks;
use crate::config::CheckSettings;
use crate::domain::identity::{Principal, SCOPE_CREDENTIALS_READ, TenantId};
use crate::domain::ids::ConnectorId;
use crate::domain::secrets::KeyRing;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, push};
use crate::storage::{
    AuthWrite, ConnectorFilter, ConnectorInsert, ConnectorRow, ConnectorUpdate, DynStore,
    StoreError, UpdateOutcome,
};
use error::corrupt;
use input::invalid;
use secrets::{SecretPayload, apply_secrets};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
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

    /// [`ConnectorPatch::parse`], then [`update`](Self::update): for callers
    /// holding the API's JSON body (the web forms).
    pub async fn update_json(
        &self,
        caller: &Principal,
        id: &str,
        body: &Value,
        if_match: Option<i64>,
    ) -> ConnectorResult<ConnectorView> {
        self.update(caller, id, ConnectorPatch::parse(body)?, if_match)
            .await
    }

    /// Partial update or replacement ([`ConnectorPatch`]). `if_match` (a
    /// header), else the patch's `version`, is the version last seen: an
    /// invalid patch answers its errors, a valid one at a stale version 412.
    pub async fn update(
        &self,
        caller: &Principal,
        id: &str,
        patch: ConnectorPatch,
        if_match: Option<i64>,
    ) -> ConnectorResult<ConnectorView> {
        let expected = if_match.or(patch.version);
        // Retry the read-modify-write when someone else wrote in between,
        // unless the client pinned a version.
        for _ in 0..5 {
            let row = self.load(caller, id).await?;
            match self.try_update(caller, row, &patch, expected).await? {
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
        patch: &ConnectorPatch,
        expected: Option<i64>,
    ) -> ConnectorResult<Option<ConnectorView>> {
        let entry = self.entry_for(&row).await?;
        let current = row.status;
        let (status, status_message) = patch
            .check(&entry, current, row.status_message.as_deref())
            .map_err(|errors| invalid("the update is not valid", errors))?;
        if expected.is_some_and(|v| v != row.version) {
            return Err(ConnectorError::VersionMismatch {
                current: row.version,
            });
        }

        let mut fields: Vec<&str> = Vec::new();
        let name = match &patch.name {
            None => row.name.clone(),
            Some(n) => {
                if *n != row.name {
                    fields.push("name");
                }
                n.clone()
            }
        };
        let tags = match &patch.tags {
            None => row.tags.clone(),
            Some(t) => {
                let t = serde_json::to_string(t).unwrap_or_else(|_| "[]".into());
                let old: Value = serde_json::from_str(&row.tags).unwrap_or(Value::Null);
                let new: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                if old != new {
                    fields.push("tags");
                }
                t
            }
        };
        let old_config: Value = serde_json::from_str(&row.config).map_err(|e| corrupt(&row, e))?;
        let config = match &patch.config {
            None => old_config,
            Some(c) => {
                if *c != old_config {
                    fields.push("config");
                }
                c.clone()
            }
        };

        // Secrets: decrypt only when they change or activation needs them.
        let now = time::now();
        let activating = status == ConnectorStatus::Active;
        let mut activation_check = None;
        let mut secret_audit = BTreeMap::new();
        let updates = patch.secret_updates(&entry);
        let auth = if !updates.is_empty() || activating {
            let during = if activating && updates.is_empty() {
                "activation"
            } else {
                "secret update"
            };
            let replaces_all = secrets::replaces_all(&row, &entry, &updates);
            let (sealed, mut payload) = self
                .open_for_use(caller, &row.id, during, replaces_all)
                .await?;
            secret_audit = apply_secrets(&mut payload, updates.into_owned(), &time::format(&now));
            if activating {
                let mut missing = FieldErrors::new();
                input::check_config(&entry, &config, &mut missing);
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
                if current != ConnectorStatus::Active {
                    activation_check = self
                        .activation_check(&entry, &config, &payload, patch.force)
                        .await?;
                }
            }
            if secret_audit.is_empty() {
                None
            } else {
                let (new_auth, states) = self.seal(&row.tenant_id, &row.id, &payload)?;
                Some(AuthWrite {
                    expected: sealed.auth,
                    sealed: new_auth,
                    states,
                })
            }
        } else {
            None
        };

        let status_changed = status != current;
        if status_changed {
            fields.push("status");
        }
        if status_message != row.status_message && !fields.contains(&"status") {
            fields.push("status_message");
        }
        let mut audit = audit::updated(
            caller,
            &row.id,
            &fields,
            &secret_audit,
            status_changed.then_some((current, status)),
            now,
        );
        let forced = activating && status_changed && patch.force;
        if forced && entry.manifest.check.is_some() {
            check::mark_forced(&mut audit);
        }
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
            Ok(UpdateOutcome::Updated(mut row)) => {
                match &activation_check {
                    Some(outcome) => self.record_activation(caller, &mut row, outcome).await?,
                    None if activating && status_changed => {
                        self.defer_check(&row).await?;
                    }
                    None => {}
                }
                Ok(Some(self.view(*row, &entry)?))
            }
            Ok(UpdateOutcome::VersionMismatch) => Ok(None),
            Ok(UpdateOutcome::NotFound) => Err(ConnectorError::NotFound),
            Err(StoreError::Conflict(_)) => Err(ConnectorError::DuplicateName),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a connector; returns its name (for the page's message).
    pub async fn delete(&self, caller: &Principal, id: &str) -> ConnectorResult<String> {
        let row = self.load(caller, id).await?;
        let audit = audit::event(
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
    pub async fn validate_config(&self, body: &Value) -> ConnectorResult<ValidateConfig> {
        let entry = self.entry_named(body).await?;
        ValidateConfig::parse(body, entry.as_deref())
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
        let (_, payload) = self
            .open_for_use(caller, &row.id, "credentials read", false)
            .await?;
        let names: Vec<&String> = payload.v.keys().collect();
        let audit = audit::event(
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
