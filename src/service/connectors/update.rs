//! Updates: the three-way secret rule per name (`auth`'s and the config's
//! own, at any depth), validation of the whole config before anything is
//! sealed, and the compare-and-swap on the version.

use super::error::corrupt;
use super::input::{self, ConnectorPatch, invalid, nested};
use super::secrets::{self, SecretUpdate, apply_secrets};
use super::{
    ConnectorError, ConnectorResult, ConnectorStatus, ConnectorView, Connectors, audit, check,
};
use crate::domain::identity::Principal;
use crate::domain::schema::secrets::{Split, merge};
use crate::domain::time;
use crate::domain::validation::{FieldErrors, push};
use crate::storage::{AuthWrite, ConnectorRow, ConnectorUpdate, StoreError, UpdateOutcome};
use serde_json::Value;
use std::collections::BTreeMap;

impl Connectors {
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
        let activating = patch.status.unwrap_or(current) == ConnectorStatus::Active;

        // The config's own secrets: what the new config says of each place,
        // against the secrets the row holds (by its states).
        let mut found = FieldErrors::new();
        let split = match &patch.config {
            Some(c) if entry.config_secrets => Some(nested::read(&entry, c, &mut found)),
            _ => None,
        };
        let held = secrets::held_names(&row);
        // A replacement keeps no config secret it leaves out.
        let keeps_some = !patch.replace
            && split
                .as_ref()
                .is_some_and(|s| nested::kept(s, &held).next().is_some());
        let in_config = |s: &Split, held: &[String]| {
            let mut u = nested::updates(s, held);
            if patch.replace {
                for k in nested::kept(s, held) {
                    u.insert(k.clone(), SecretUpdate::Clear);
                }
            }
            u
        };
        let mut updates = patch.secret_updates(&entry).into_owned();
        if let Some(s) = &split {
            updates.extend(in_config(s, &held));
        }

        // Everything but the config's schema is checked before anything is
        // opened; so is the config's schema when it holds no secrets.
        let (status, status_message) = patch
            .check(
                &entry,
                current,
                row.status_message.as_deref(),
                split.is_none(),
                found,
            )
            .map_err(|errors| invalid("the update is not valid", errors))?;
        if expected.is_some_and(|v| v != row.version) {
            return Err(ConnectorError::VersionMismatch {
                current: row.version,
            });
        }

        // Decrypt only when secrets change, activation needs them, or the
        // config's validation needs the secrets it keeps.
        let opened = if !updates.is_empty() || activating || keeps_some {
            let during = if updates.is_empty() && !keeps_some {
                "activation"
            } else {
                "secret update"
            };
            let replaces_all = secrets::replaces_all(&row, &entry, &updates);
            Some(
                self.open_for_use(caller, &row.id, during, replaces_all)
                    .await?,
            )
        } else {
            None
        };
        if let Some(s) = &split {
            if let Some((_, payload)) = &opened {
                // Once opened, the payload says which secrets are held.
                let names: Vec<String> = payload.v.keys().cloned().collect();
                updates = patch.secret_updates(&entry).into_owned();
                updates.extend(in_config(s, &names));
            }
            // The whole config, its secrets in place, is validated before
            // anything is sealed.
            let whole = nested::whole(&entry, s, |k| {
                opened
                    .as_ref()
                    .and_then(|(_, p)| p.v.get(k))
                    .map(String::as_str)
            });
            let mut errors = FieldErrors::new();
            input::check_config_schema(&entry, &whole, &mut errors);
            if !errors.is_empty() {
                return Err(invalid("the update is not valid", errors));
            }
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
        let config = match (split, &patch.config) {
            (None, None) => old_config,
            (split, Some(c)) => {
                let c = split.map_or_else(|| c.clone(), |s| s.config);
                if c != old_config {
                    fields.push("config");
                }
                c
            }
            (Some(s), None) => s.config,
        };

        let now = time::now();
        let mut activation_check = None;
        let mut secret_audit = BTreeMap::new();
        let auth = match opened {
            None => None,
            Some((sealed, mut payload)) => {
                secret_audit = apply_secrets(&mut payload, updates, &time::format(&now));
                if activating {
                    let mut missing = FieldErrors::new();
                    let mut whole = config.clone();
                    if entry.config_secrets {
                        merge(&entry.forms.config, &mut whole, |k| {
                            payload.v.get(k).map(String::as_str)
                        });
                    }
                    input::check_config(&entry, &whole, &mut missing);
                    for r in entry.missing_secrets(|n| payload.v.contains_key(n)) {
                        push(
                            &mut missing,
                            format!("auth.{r}"),
                            "is required to activate the connector",
                        );
                    }
                    if !missing.is_empty() {
                        return Err(invalid(
                            "the connector cannot be active until its config is valid and its required secrets are set",
                            missing,
                        ));
                    }
                    if current != ConnectorStatus::Active {
                        activation_check = self
                            .activation_check(&entry, &whole, &payload, patch.force)
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
            }
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
}
