//! A connector's secrets: the payload sealed into its ciphertext, what the
//! API shows of it (which secrets are set, and when), the per-process
//! memory of those states, and the three-way change a request makes.

use super::{ConnectorError, ConnectorResult, Connectors};
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::secrets::{Envelope, SecretsError, connector_aad};
use crate::service::catalog::CompiledEntry;
use crate::storage::ConnectorRow;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use zeroize::Zeroize;

/// What a request says about one secret: a new value, or clear it. A
/// secret the request does not name is kept.
#[derive(Clone)]
pub enum SecretUpdate {
    Set(SecretString),
    Clear,
}

/// Secret name → its update; names left out keep their secret.
pub type SecretUpdates = BTreeMap<String, SecretUpdate>;

/// The decrypted secrets of one connector: values and when each was set.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct SecretPayload {
    /// name → value
    pub(super) v: BTreeMap<String, String>,
    /// name → RFC 3339 time it was last set
    pub(super) t: BTreeMap<String, String>,
}

impl Drop for SecretPayload {
    fn drop(&mut self) {
        for v in self.v.values_mut() {
            v.zeroize();
        }
    }
}

/// Applies secret updates; returns each changed name with `set`, `changed`
/// or `cleared`.
///
/// A supplied value always replaces the stored one, with a new time, as
/// `changed` when a value was stored before and `set` when none was,
/// whether or not it equals the stored value: nothing the caller can see
/// (answer, version, times, audit) depends on that equality, so a guess of
/// a stored secret cannot be confirmed by sending it.
pub(super) fn apply_secrets(
    payload: &mut SecretPayload,
    updates: SecretUpdates,
    now: &str,
) -> BTreeMap<String, &'static str> {
    let mut audit = BTreeMap::new();
    for (name, update) in updates {
        match update {
            SecretUpdate::Set(value) => {
                let what = if payload.v.contains_key(&name) {
                    "changed"
                } else {
                    "set"
                };
                if let Some(mut old) = payload
                    .v
                    .insert(name.clone(), value.expose_secret().to_string())
                {
                    old.zeroize();
                }
                payload.t.insert(name.clone(), now.to_string());
                audit.insert(name, what);
            }
            SecretUpdate::Clear => {
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
    pub(super) fn of(payload: &SecretPayload, entry: &CompiledEntry) -> SecretStates {
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

    /// Every one of the entry's secrets unset: what a connector whose
    /// ciphertext cannot be opened shows.
    pub(super) fn unset(entry: &CompiledEntry) -> SecretStates {
        SecretStates::new(
            entry
                .secret_names
                .iter()
                .map(|name| (name.clone(), json!({"set": false})))
                .collect(),
        )
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
pub(super) struct OpenedSecrets {
    map: RwLock<HashMap<ConnectorId, Opened>>,
}

struct Opened {
    tenant_id: TenantId,
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

    pub(super) fn put(&self, row: &ConnectorRow, entry: &CompiledEntry, states: SecretStates) {
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

impl Connectors {
    pub(super) fn open(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        auth: &str,
    ) -> Result<SecretPayload, SecretsError> {
        let env = Envelope::parse(auth)?;
        let plain = self
            .keys
            .decrypt(&env, &connector_aad(tenant_id.as_str(), id.as_str()))?;
        serde_json::from_slice(&plain).map_err(|_| SecretsError::Malformed)
    }

    pub(super) fn seal(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        payload: &SecretPayload,
    ) -> ConnectorResult<String> {
        let mut plain = serde_json::to_vec(payload)
            .map_err(|_| ConnectorError::Service(SecretsError::Encrypt.into()))?;
        let env = self
            .keys
            .encrypt(&plain, &connector_aad(tenant_id.as_str(), id.as_str()));
        plain.zeroize();
        Ok(env
            .map_err(|e| ConnectorError::Service(e.into()))?
            .to_json())
    }

    /// Which of the entry's secrets the row's ciphertext holds, and when
    /// each was set. Decrypts once per distinct ciphertext (see
    /// [`OpenedSecrets`]).
    pub(super) fn secret_states(
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &str) -> SecretUpdate {
        SecretUpdate::Set(SecretString::from(v))
    }

    #[test]
    fn secret_changes_are_named_not_shown() {
        let mut p = SecretPayload::default();
        let a = apply_secrets(&mut p, [("k".into(), set("v1"))].into(), "t1");
        assert_eq!(a["k"], "set");
        let a = apply_secrets(&mut p, [("k".into(), set("v2"))].into(), "t2");
        assert_eq!(a["k"], "changed");
        assert_eq!(p.t["k"], "t2");
        // The same value again is a change like any other.
        let a = apply_secrets(&mut p, [("k".into(), set("v2"))].into(), "t3");
        assert_eq!(a["k"], "changed");
        assert_eq!(p.t["k"], "t3");
        let a = apply_secrets(&mut p, [("k".into(), SecretUpdate::Clear)].into(), "t4");
        assert_eq!(a["k"], "cleared");
        assert!(p.v.is_empty() && p.t.is_empty());
    }
}
