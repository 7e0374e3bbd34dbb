//! A connector's secrets: the payload sealed into its ciphertext, the
//! states stored in clear beside it (which secrets are set, and when; bound
//! into the ciphertext's associated data), what the API shows of those, the
//! three-way change a request makes, and what happens to a ciphertext that
//! fails to open when it is used.

use super::view::json_str;
use super::{ConnectorError, ConnectorResult, Connectors, audit};
use crate::domain::identity::Principal;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::schema::FormSchema;
use crate::domain::schema::secrets::{Said, split};
use crate::domain::secrets::{Envelope, KeyRing, SecretsError, connector_aad};
use crate::domain::time;
use crate::service::catalog::CompiledEntry;
use crate::storage::{
    ConfigSecretsRow, ConnectorRow, SealedSecrets, SecretRow, Store, StoreResult,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
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
pub(crate) struct SecretPayload {
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

/// Secret name → the RFC 3339 time it was set: the secret states stored in
/// clear beside the ciphertext (never a value, a length or a hash of one).
pub(crate) type SecretTimes = BTreeMap<String, String>;

impl SecretPayload {
    /// The states of this payload as stored beside its ciphertext, as JSON
    /// text: the same states always give the same text (names in order).
    fn states_json(&self) -> String {
        let times: BTreeMap<&str, &str> = self
            .t
            .iter()
            .filter(|(name, _)| self.v.contains_key(*name))
            .map(|(name, at)| (name.as_str(), at.as_str()))
            .collect();
        // A map of strings always serialises.
        serde_json::to_string(&times).unwrap_or_else(|_| "{}".into())
    }
}

/// Reads a stored states column.
fn parse_states(text: &str) -> Result<SecretTimes, SecretsError> {
    serde_json::from_str(text).map_err(|_| SecretsError::Malformed)
}

/// Opens a connector's envelope, bound to its tenant, its id and the
/// states stored beside it (`None` for an envelope sealed before states
/// were stored).
pub(crate) fn open_secrets(
    keys: &KeyRing,
    tenant_id: &str,
    id: &str,
    auth: &str,
    states: Option<&str>,
) -> Result<SecretPayload, SecretsError> {
    let env = Envelope::parse(auth)?;
    let plain = keys.decrypt(&env, &connector_aad(tenant_id, id, states))?;
    serde_json::from_slice(&plain).map_err(|_| SecretsError::Malformed)
}

/// Seals a payload under the primary key: the envelope and the states to
/// store beside it, bound together.
pub(crate) fn seal_secrets(
    keys: &KeyRing,
    tenant_id: &str,
    id: &str,
    payload: &SecretPayload,
) -> Result<(String, String), SecretsError> {
    let states = payload.states_json();
    let mut plain = serde_json::to_vec(payload).map_err(|_| SecretsError::Encrypt)?;
    let env = keys.encrypt(&plain, &connector_aad(tenant_id, id, Some(&states)));
    plain.zeroize();
    Ok((env?.to_json(), states))
}

/// Seals the secrets of a new connector, given as name → value and name →
/// the time it was set: the envelope and the states, exactly as an install
/// writes them (for bulk loads such as the benchmark's). A time without a
/// value is left out.
pub fn seal_new_secrets(
    keys: &KeyRing,
    tenant_id: &str,
    id: &str,
    values: &BTreeMap<String, String>,
    set_at: &BTreeMap<String, String>,
) -> Result<(String, String), SecretsError> {
    let payload = SecretPayload {
        v: values.clone(),
        t: set_at
            .iter()
            .filter(|(name, _)| values.contains_key(*name))
            .map(|(name, at)| (name.clone(), at.clone()))
            .collect(),
    };
    seal_secrets(keys, tenant_id, id, &payload)
}

/// What moving a stored config's values at secret places into its sealed
/// secrets gives: the config without them, the envelope and the states.
pub(crate) struct SealedConfig {
    pub config: String,
    pub auth: String,
    pub states: String,
}

/// Whether a stored config holds a value at a secret place of `schema`
/// (read without opening anything).
pub(crate) fn holds_clear_secrets(schema: &FormSchema, config: &Value) -> bool {
    split(schema, config).config != *config
}

/// Moves the values a stored config holds at the secret places of
/// `schema` (a schema re-imported with fields made secret) into the
/// connector's sealed secrets, each set at `now`, and seals them again
/// under the primary key. A place the sealed secrets already hold keeps
/// its sealed value; values at the places of a branch the config does not
/// choose are dropped, as an update drops them. `None` when the config
/// holds no such value.
pub(crate) fn seal_config_values(
    keys: &KeyRing,
    schema: &FormSchema,
    row: &ConfigSecretsRow,
    now: &str,
) -> Result<Option<SealedConfig>, SecretsError> {
    let config: Value = serde_json::from_str(&row.config).map_err(|_| SecretsError::Malformed)?;
    let parts = split(schema, &config);
    if parts.config == config {
        return Ok(None);
    }
    let mut payload = open_secrets(
        keys,
        row.tenant_id.as_str(),
        row.id.as_str(),
        &row.auth,
        row.states.as_deref(),
    )?;
    for (key, said) in parts.said {
        if let Said::Set(mut value) = said {
            if !payload.v.contains_key(&key) {
                payload.v.insert(key.clone(), value.clone());
                payload.t.insert(key, now.to_string());
            }
            value.zeroize();
        }
    }
    let (auth, states) = seal_secrets(keys, row.tenant_id.as_str(), row.id.as_str(), &payload)?;
    Ok(Some(SealedConfig {
        config: parts.config.to_string(),
        auth,
        states,
    }))
}

/// Opens and seals again under the primary key, with states: what key
/// rotation and the states backfill do to one row.
pub(crate) fn reseal(keys: &KeyRing, row: &SecretRow) -> Result<(String, String), SecretsError> {
    let payload = open_secrets(
        keys,
        row.tenant_id.as_str(),
        row.id.as_str(),
        &row.auth,
        row.states.as_deref(),
    )?;
    seal_secrets(keys, row.tenant_id.as_str(), row.id.as_str(), &payload)
}

/// The message of a connector whose secrets failed to open.
pub const UNREADABLE: &str =
    "stored secrets could not be decrypted (tampered data or an unknown key)";

/// Moves a connector whose envelope `auth` failed to open (during `use`,
/// such as "credentials read") to `error`, durably and audited, so that
/// every list shows it from now on. `actor` is the caller, or `None` for
/// an operator command. Logs the failure (never the envelope).
pub(crate) async fn mark_unreadable(
    store: &dyn Store,
    actor: Option<&Principal>,
    tenant_id: &TenantId,
    id: &ConnectorId,
    auth: &str,
    during: &str,
    error: &SecretsError,
) -> StoreResult<()> {
    tracing::warn!(connector_id = %id, error = %error, during, "connector secrets unreadable");
    let audit = audit::unreadable(actor, id, during, time::now());
    store
        .connector_mark_unreadable(tenant_id, id, auth, UNREADABLE, &audit)
        .await?;
    Ok(())
}

/// Whether `updates` sets a new value for every secret the row holds (by
/// its stored states; every one of `auth_schema`'s when those cannot be
/// read) and every required one: an update that needs nothing of the
/// stored secrets, so it can repair a row whose secrets no longer open. A
/// config secret whose `oneOf` branch the update leaves (cleared) needs
/// nothing either.
pub(super) fn replaces_all(
    row: &ConnectorRow,
    entry: &CompiledEntry,
    updates: &SecretUpdates,
) -> bool {
    let sets = |name: &str| matches!(updates.get(name), Some(SecretUpdate::Set(_)));
    let in_config = |name: &str| entry.config_secrets && name.starts_with("config.");
    let decided = |name: &str| sets(name) || (in_config(name) && updates.contains_key(name));
    let held: Vec<String> = match row.secret_states.as_deref().map(parse_states) {
        Some(Ok(times)) => times.into_keys().collect(),
        _ => entry
            .secret_names
            .iter()
            .filter(|n| !in_config(n))
            .cloned()
            .collect(),
    };
    !updates.is_empty() && held.iter().all(|n| decided(n)) && entry.missing_secrets(sets).is_empty()
}

/// The names of the secrets a row holds, by its stored states (none when
/// they cannot be read, or for a row sealed before states were stored,
/// which predates the config's own secrets).
pub(super) fn held_names(row: &ConnectorRow) -> Vec<String> {
    match row.secret_states.as_deref().map(parse_states) {
        Some(Ok(times)) => times.into_keys().collect(),
        _ => Vec::new(),
    }
}

/// Per secret of a catalog entry, whether it is set and when: what the API
/// shows of a connector's secrets, held as the JSON text it is written as
/// (`{"name": {"set": true, "updated_at": …}, "other": {"set": false}}`,
/// in the entry's order of secrets), written straight from the stored
/// states without building JSON values.
#[derive(Debug)]
pub struct SecretStates(String);

impl SecretStates {
    /// The entry's secrets as `time_of` has them.
    fn of_times<'a>(
        entry: &CompiledEntry,
        time_of: impl Fn(&str) -> Option<&'a str>,
    ) -> SecretStates {
        SecretStates(write_states(&entry.secret_names, time_of))
    }

    /// What `payload` holds of each of the entry's secrets.
    fn of(payload: &SecretPayload, entry: &CompiledEntry) -> SecretStates {
        Self::of_times(entry, |name| {
            payload
                .t
                .get(name)
                .filter(|_| payload.v.contains_key(name))
                .map(String::as_str)
        })
    }

    /// Every one of the entry's secrets unset: what a connector whose
    /// secrets cannot be read shows.
    pub(super) fn unset(entry: &CompiledEntry) -> SecretStates {
        Self::of_times(entry, |_| None)
    }

    /// States from their JSON text, for tests.
    #[cfg(test)]
    pub(super) fn for_test(json: &str) -> SecretStates {
        SecretStates(json.to_string())
    }

    /// The JSON text of the states.
    pub fn json(&self) -> &str {
        &self.0
    }

    /// The states as JSON values (for the forms, which mark set secrets).
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(&self.0).unwrap_or_default()
    }
}

impl Serialize for SecretStates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.0.clone())
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }
}

/// The JSON of [`SecretStates`]: each of `names` with its state,
/// `{"set": true, "updated_at": …}` or `{"set": false}`.
fn write_states<'a>(names: &[String], time_of: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = Vec::with_capacity(2 + names.len() * 64);
    out.push(b'{');
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(&mut out, name);
        match time_of(name) {
            Some(at) => {
                out.extend_from_slice(br#":{"set":true,"updated_at":"#);
                json_str(&mut out, at);
                out.push(b'}');
            }
            None => out.extend_from_slice(br#":{"set":false}"#),
        }
    }
    out.push(b'}');
    // Only whole strings and ASCII were written.
    String::from_utf8(out).unwrap_or_default()
}

/// A stored states column read in place: each name with its time,
/// borrowed from the text unless JSON escapes had to be undone. The same
/// text [`parse_states`] accepts, with the same answer for a name given
/// twice (the last one).
struct StatesText<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> StatesText<'a> {
    fn parse(text: &'a str) -> Result<StatesText<'a>, SecretsError> {
        serde_json::from_str(text).map_err(|_| SecretsError::Malformed)
    }

    fn time_of(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, at)| at.as_ref())
    }
}

/// A JSON string, borrowed from the input when it holds no escape.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for StatesText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StatesText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of secret names and times")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<StatesText<'de>, M::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(4));
                while let Some((Text(name), Text(at))) = m.next_entry()? {
                    out.push((name, at));
                }
                Ok(StatesText(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Connectors {
    /// Which of the entry's secrets the row has set, and when, from the
    /// states stored beside its ciphertext, which is not read. Only a row
    /// sealed before states were stored (and not yet re-sealed) is opened.
    pub(super) fn secret_states(
        &self,
        row: &ConnectorRow,
        entry: &CompiledEntry,
    ) -> Result<SecretStates, SecretsError> {
        match (&row.secret_states, &row.legacy_auth) {
            (Some(text), _) => {
                let times = StatesText::parse(text)?;
                Ok(SecretStates::of_times(entry, |name| times.time_of(name)))
            }
            (None, Some(auth)) => {
                let payload = open_secrets(
                    &self.keys,
                    row.tenant_id.as_str(),
                    row.id.as_str(),
                    auth,
                    None,
                )?;
                Ok(SecretStates::of(&payload, entry))
            }
            (None, None) => Err(SecretsError::Malformed),
        }
    }

    pub(super) fn seal(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        payload: &SecretPayload,
    ) -> ConnectorResult<(String, String)> {
        seal_secrets(&self.keys, tenant_id.as_str(), id.as_str(), payload)
            .map_err(|e| ConnectorError::Service(e.into()))
    }

    /// Reads and opens a connector's secrets for a use (`during` names it).
    /// Secrets that fail to open move the connector to `error` for good
    /// (see [`mark_unreadable`]) and answer
    /// [`ConnectorError::SecretsUnreadable`], unless the use `replaces_all`
    /// of them: then it starts from none, which is how a connector whose
    /// secrets no longer open is repaired.
    pub(super) async fn open_for_use(
        &self,
        caller: &Principal,
        id: &ConnectorId,
        during: &str,
        replaces_all: bool,
    ) -> ConnectorResult<(SealedSecrets, SecretPayload)> {
        let sealed = self
            .store
            .connector_sealed(&caller.tenant_id, id)
            .await?
            .ok_or(ConnectorError::NotFound)?;
        match open_secrets(
            &self.keys,
            caller.tenant_id.as_str(),
            id.as_str(),
            &sealed.auth,
            sealed.states.as_deref(),
        ) {
            Ok(payload) => Ok((sealed, payload)),
            Err(_) if replaces_all => Ok((sealed, SecretPayload::default())),
            Err(e) => {
                mark_unreadable(
                    self.store.as_ref(),
                    Some(caller),
                    &caller.tenant_id,
                    id,
                    &sealed.auth,
                    during,
                    &e,
                )
                .await?;
                Err(ConnectorError::SecretsUnreadable)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &str) -> SecretUpdate {
        SecretUpdate::Set(SecretString::from(v))
    }

    #[test]
    fn states_read_in_place_agree_with_the_parsed_map() {
        let texts = [
            r#"{}"#,
            r#"{"api_key":"2026-01-02T03:04:05.000006Z","token":"2026-02-03T00:00:00.000000Z"}"#,
            r#"{"config.a\u002eb":"t\"1","x":"a","x":"b"}"#,
            r#" { "k" : "v" } "#,
        ];
        for text in texts {
            let map = parse_states(text).unwrap();
            let read = StatesText::parse(text).unwrap();
            for name in map.keys().map(String::as_str).chain(["missing"]) {
                assert_eq!(
                    read.time_of(name),
                    map.get(name).map(String::as_str),
                    "{text}"
                );
            }
        }
        for bad in [r#"[]"#, r#"{"k":1}"#, r#"{"k":"v""#, "", r#"{"k":null}"#] {
            assert!(
                parse_states(bad).is_err() && StatesText::parse(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn states_are_written_as_the_json_values_were() {
        let names: Vec<String> = ["b", "a\"q", "c", "ü\n"].map(String::from).into();
        let at = |n: &str| (n != "c").then_some("2026-01-01T00:00:00.000000Z");
        let values: Map<String, Value> = names
            .iter()
            .map(|name| {
                let v = match at(name) {
                    Some(at) => serde_json::json!({"set": true, "updated_at": at}),
                    None => serde_json::json!({"set": false}),
                };
                (name.clone(), v)
            })
            .collect();
        let text = write_states(&names, at);
        assert_eq!(text, serde_json::to_string(&values).unwrap());
        assert_eq!(SecretStates(text).to_map(), values);
        assert_eq!(write_states(&[], at), "{}");
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
