//! Connection checks of connectors: a stored connector, a stored one as a
//! proposed update would leave it (nothing saved), and unsaved values; the
//! check that activation runs first; and one scheduled re-check.
//!
//! Every check answers static validation and, when that passes, the live
//! result, in one [`CheckAnswer`]. Every check that runs is audited (who,
//! which connector, the code; never a value) and counted by catalog key
//! and code.

use super::input::{CheckDraft, check_config, invalid, nested};
use super::secrets::{SecretPayload, apply_secrets, open_secrets};
use super::{ConnectorError, ConnectorPatch, ConnectorResult, Connectors, audit, mark_unreadable};
use crate::domain::check::CheckCode;
use crate::domain::identity::Principal;
use crate::domain::schema::secrets::merge;
use crate::domain::status::ConnectorStatus;
use crate::domain::time;
use crate::domain::validation::{FieldErrors, push};
use crate::service::catalog::CompiledEntry;
use crate::service::checks::report::{CheckReport, LastCheck};
use crate::service::checks::{CheckInput, CheckOutcome};
use crate::storage::{AuditWrite, CheckRecord, CheckTransition, ConnectorRow, DueCheck};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The answer of a check request: static validation, and the live result
/// when the values are valid.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    pub valid: bool,
    /// Dotted field path → messages; empty when valid
    #[schema(value_type = HashMap<String, Vec<String>>)]
    pub errors: FieldErrors,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckReport>,
}

impl CheckAnswer {
    fn invalid(errors: FieldErrors) -> CheckAnswer {
        CheckAnswer {
            valid: false,
            errors,
            check: None,
        }
    }
}

/// Validation errors become an answer; anything else stays an error.
fn answer_of(e: ConnectorError) -> ConnectorResult<CheckAnswer> {
    match e {
        ConnectorError::Validation { errors, .. } => Ok(CheckAnswer::invalid(errors)),
        other => Err(other),
    }
}

/// Whether an error's dotted path is one of the values a check sends.
fn is_checked_value(path: &str) -> bool {
    ["config", "auth"]
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
}

/// The config with the secrets it holds put back at their places.
fn whole_config(entry: &CompiledEntry, config: &Value, payload: &SecretPayload) -> Value {
    let mut whole = config.clone();
    if entry.config_secrets {
        merge(&entry.forms.config, &mut whole, |k| {
            payload.v.get(k).map(String::as_str)
        });
    }
    whole
}

fn secret_map(payload: &SecretPayload) -> BTreeMap<String, SecretString> {
    payload
        .v
        .iter()
        .map(|(k, v)| (k.clone(), SecretString::from(v.clone())))
        .collect()
}

/// Problems that keep values from being checked: the config's schema and
/// the secrets the entry requires.
fn static_errors(entry: &CompiledEntry, config: &Value, payload: &SecretPayload) -> FieldErrors {
    let mut errors = FieldErrors::new();
    check_config(entry, config, &mut errors);
    for r in entry.missing_secrets(|n| payload.v.contains_key(n)) {
        push(&mut errors, format!("auth.{r}"), "is required");
    }
    errors
}

/// Whether a failed check says the connector does not work (rather than
/// that there is nothing to check, or that the provider asks to wait).
fn is_failure(code: CheckCode) -> bool {
    !matches!(
        code,
        CheckCode::Ok | CheckCode::NoCheck | CheckCode::RateLimited
    )
}

/// The message a connector a check moved to `error` carries.
fn failure_message(outcome: &CheckOutcome) -> String {
    format!("Connection check failed: {}", outcome.message)
}

impl Connectors {
    /// Runs the entry's check on these values (`config` with its own
    /// secrets in place), counts it, and answers its outcome.
    async fn run_check(
        &self,
        entry: &CompiledEntry,
        config: &Value,
        payload: &SecretPayload,
    ) -> CheckOutcome {
        let empty = Map::new();
        let secrets = secret_map(payload);
        let check = entry.manifest.check_for(|n| secrets.contains_key(n));
        let outcome = self
            .checks
            .checker
            .run(&CheckInput {
                catalog_key: &entry.key,
                check: check.as_deref(),
                config: config.as_object().unwrap_or(&empty),
                secrets: &secrets,
            })
            .await;
        self.checks.counts.count(&entry.key, outcome.code);
        outcome
    }

    fn take_manual(&self, caller: &Principal) -> ConnectorResult<()> {
        self.checks
            .limit
            .take(caller.tenant_id.as_str())
            .map_err(|retry_after| ConnectorError::CheckRateLimited { retry_after })
    }

    fn next_check_at(&self) -> chrono::DateTime<chrono::Utc> {
        let interval = chrono::Duration::from_std(self.checks.interval)
            .unwrap_or_else(|_| chrono::Duration::hours(6));
        time::now() + interval
    }

    /// Checks a stored connector, or (with a non-empty `body` in the shape
    /// of an update) the connector as that update would leave it, without
    /// saving it. A stored connector keeps the result as `last_check`; a
    /// success returns one that a failed check moved to `error` to
    /// `active`.
    pub async fn check_connector(
        &self,
        caller: &Principal,
        id: &str,
        body: Option<&Value>,
    ) -> ConnectorResult<CheckAnswer> {
        let row = self.load(caller, id).await?;
        let entry = self.entry_for(&row).await?;
        let patch = match body.filter(|b| b.as_object().is_none_or(|o| !o.is_empty())) {
            None => None,
            // A body that is not an update's shape is a malformed request.
            Some(b) => {
                let p = ConnectorPatch::parse(b)?;
                if let Some(errors) = p.malformed() {
                    return Err(invalid("the request is not valid", errors.clone()));
                }
                Some(p)
            }
        };
        let stored_config: Value =
            serde_json::from_str(&row.config).map_err(|e| super::error::corrupt(&row, e))?;
        let mut errors = FieldErrors::new();
        let (config, updates) = match &patch {
            None => (stored_config, Default::default()),
            Some(p) => {
                // The config's own secrets, as an update would read them.
                let mut found = FieldErrors::new();
                let split = match &p.config {
                    Some(c) if entry.config_secrets => Some(nested::read(&entry, c, &mut found)),
                    _ => None,
                };
                // A config holding secrets is validated whole below, once
                // the secrets it keeps are read.
                let with_schema = split.is_none();
                let status_message = row.status_message.as_deref();
                if let Err(e) = p.check(&entry, row.status, status_message, with_schema, found) {
                    errors = e;
                }
                // `valid: false` answers what a check would send (the config
                // and the secrets); anything else wrong with the proposed
                // update (name, tags, status, its message) is a request PATCH
                // would refuse, answered the same way.
                if errors.keys().any(|k| !is_checked_value(k)) {
                    return Err(invalid("the proposed update is not valid", errors));
                }
                let mut updates = p.secret_updates(&entry).into_owned();
                let config = match split {
                    Some(s) => {
                        updates.extend(nested::updates(&s, &super::secrets::held_names(&row)));
                        s.config
                    }
                    None => p.config.clone().unwrap_or(stored_config),
                };
                (config, updates)
            }
        };
        if !errors.is_empty() {
            return Ok(CheckAnswer::invalid(errors));
        }
        let replaces_all = super::secrets::replaces_all(&row, &entry, &updates);
        let (_, mut payload) = self
            .open_for_use(caller, &row.id, "check", replaces_all)
            .await?;
        apply_secrets(&mut payload, updates, &time::format(&time::now()));
        let config = whole_config(&entry, &config, &payload);
        let errors = static_errors(&entry, &config, &payload);
        if !errors.is_empty() {
            return Ok(CheckAnswer::invalid(errors));
        }
        self.take_manual(caller)?;
        let outcome = self.run_check(&entry, &config, &payload).await;
        let trigger = if patch.is_some() {
            "proposed"
        } else {
            "manual"
        };
        let event = audit::checked(
            Some(caller),
            Some(&row.id),
            &entry.key,
            outcome.code,
            trigger,
        );
        if patch.is_some() {
            self.store.audit_insert(&caller.tenant_id, &event).await?;
        } else {
            let transition = outcome.ok.then_some(CheckTransition::Recover);
            self.record(caller, &row, &outcome, transition, event)
                .await?;
        }
        Ok(CheckAnswer {
            valid: true,
            errors: FieldErrors::new(),
            check: Some(CheckReport::from(&outcome)),
        })
    }

    /// Checks unsaved values: `{catalog_key, config, auth}`.
    pub async fn check_unsaved(
        &self,
        caller: &Principal,
        body: &Value,
    ) -> ConnectorResult<CheckAnswer> {
        let shape = CheckDraft::shape_errors(body)?;
        if !shape.is_empty() {
            return Err(invalid("the request is not valid", shape));
        }
        let entry = self.entry_named(body).await?;
        let draft = match CheckDraft::parse(body, entry) {
            Ok(d) => d,
            Err(e) => return answer_of(e),
        };
        let mut payload = SecretPayload::default();
        apply_secrets(&mut payload, draft.auth, &time::format(&time::now()));
        let errors = static_errors(&draft.entry, &draft.config, &payload);
        if !errors.is_empty() {
            return Ok(CheckAnswer::invalid(errors));
        }
        self.take_manual(caller)?;
        let outcome = self.run_check(&draft.entry, &draft.config, &payload).await;
        let event = audit::checked(
            Some(caller),
            None,
            &draft.entry.key,
            outcome.code,
            "unsaved",
        );
        self.store.audit_insert(&caller.tenant_id, &event).await?;
        Ok(CheckAnswer {
            valid: true,
            errors: FieldErrors::new(),
            check: Some(CheckReport::from(&outcome)),
        })
    }

    /// Stores a check's outcome on its connector, with its audit event and
    /// the status change it makes, if any. `actor` is `None` for the
    /// scheduler.
    async fn record(
        &self,
        actor: &Principal,
        row: &ConnectorRow,
        outcome: &CheckOutcome,
        transition: Option<CheckTransition>,
        event: AuditWrite,
    ) -> ConnectorResult<()> {
        self.record_by(Some(actor), row, outcome, transition, event)
            .await
    }

    async fn record_by(
        &self,
        actor: Option<&Principal>,
        row: &ConnectorRow,
        outcome: &CheckOutcome,
        transition: Option<CheckTransition>,
        event: AuditWrite,
    ) -> ConnectorResult<()> {
        let last = serde_json::to_string(&LastCheck::from(outcome))
            .map_err(|e| super::error::corrupt(row, e))?;
        let now = time::now();
        let status_audit = match &transition {
            Some(CheckTransition::Fail { .. }) => {
                audit::moved_by_check(actor, &row.id, row.status, ConnectorStatus::Error, now)
            }
            _ => audit::moved_by_check(actor, &row.id, row.status, ConnectorStatus::Active, now),
        };
        let record = CheckRecord {
            id: row.id.clone(),
            last_check: last,
            next_check_at: actor.map(|_| self.next_check_at()),
            transition,
            now,
        };
        let moved = self
            .store
            .connector_record_check(&row.tenant_id, &record, &event, &status_audit)
            .await?;
        if moved {
            tracing::info!(connector_id = %row.id, code = outcome.code.as_str(), "a connection check changed the connector's status");
        }
        Ok(())
    }

    /// The check activation runs first, for an entry that has one: `None`
    /// when skipped (`force`, or no check), the outcome when it passed,
    /// and an error carrying the check's message when it failed.
    pub(super) async fn activation_check(
        &self,
        entry: &CompiledEntry,
        config: &Value,
        payload: &SecretPayload,
        force: bool,
    ) -> ConnectorResult<Option<CheckOutcome>> {
        if force || entry.manifest.check.is_none() {
            return Ok(None);
        }
        let outcome = self.run_check(entry, config, payload).await;
        if outcome.ok {
            Ok(Some(outcome))
        } else {
            Err(ConnectorError::CheckFailed {
                code: outcome.code,
                message: outcome.message,
            })
        }
    }

    /// After an activation whose check passed: keeps the result on the
    /// connector (and in `row`), audited like every check.
    pub(super) async fn record_activation(
        &self,
        caller: &Principal,
        row: &mut ConnectorRow,
        outcome: &CheckOutcome,
    ) -> ConnectorResult<()> {
        let event = audit::checked(
            Some(caller),
            Some(&row.id),
            &row.catalog_key,
            outcome.code,
            "activation",
        );
        self.record(caller, row, outcome, None, event).await?;
        row.last_check = serde_json::to_string(&LastCheck::from(outcome)).ok();
        Ok(())
    }

    /// After an activation that ran no check (forced, or an entry without
    /// one): the first scheduled check is due one interval later, not at
    /// once.
    pub(super) async fn defer_check(&self, row: &ConnectorRow) -> ConnectorResult<()> {
        self.store
            .connector_defer_check(&row.tenant_id, &row.id, self.next_check_at())
            .await?;
        Ok(())
    }

    /// One scheduled re-check of a connector the scheduler claimed: a
    /// failure moves an active connector to `error` with the check's
    /// message; a success returns one a check moved there to `active`.
    pub async fn run_scheduled(&self, due: &DueCheck) -> ConnectorResult<()> {
        let Some(row) = self.store.connector_get(&due.tenant_id, &due.id).await? else {
            return Ok(());
        };
        if row.status == ConnectorStatus::Inactive {
            return Ok(());
        }
        let entry = self.entry_for(&row).await?;
        if entry.manifest.check.is_none() {
            return Ok(());
        }
        let Some(sealed) = self.store.connector_sealed(&row.tenant_id, &row.id).await? else {
            return Ok(());
        };
        let payload = match open_secrets(
            &self.keys,
            row.tenant_id.as_str(),
            row.id.as_str(),
            &sealed.auth,
            sealed.states.as_deref(),
        ) {
            Ok(p) => p,
            Err(e) => {
                mark_unreadable(
                    self.store.as_ref(),
                    None,
                    &row.tenant_id,
                    &row.id,
                    &sealed.auth,
                    "scheduled check",
                    &e,
                )
                .await?;
                return Ok(());
            }
        };
        let config: Value =
            serde_json::from_str(&row.config).map_err(|e| super::error::corrupt(&row, e))?;
        let config = whole_config(&entry, &config, &payload);
        let outcome = self.run_check(&entry, &config, &payload).await;
        let transition = if outcome.ok {
            Some(CheckTransition::Recover)
        } else if is_failure(outcome.code) {
            Some(CheckTransition::Fail {
                message: failure_message(&outcome),
            })
        } else {
            None
        };
        let event = audit::checked(None, Some(&row.id), &entry.key, outcome.code, "scheduled");
        self.record_by(None, &row, &outcome, transition, event)
            .await
    }
}

/// Marks an update's audit event as a forced activation.
pub(super) fn mark_forced(event: &mut AuditWrite) {
    if let Ok(mut changes) = serde_json::from_str::<Value>(&event.changes) {
        changes["forced"] = json!(true);
        event.changes = changes.to_string();
    }
}
