//! The secrets a config holds at any depth, as a request sends them: taken
//! out of the config before it is stored, checked like those of `auth`
//! (text, never a mask), turned into the same per-name updates, and put
//! back to validate the whole config before anything is sealed.

use super::auth::MASKED;
use crate::domain::schema::secrets::{self, Change, Said, Split};
use crate::domain::text;
use crate::domain::validation::{FieldErrors, looks_like_mask, push};
use crate::service::catalog::CompiledEntry;
use crate::service::connectors::secrets::{SecretUpdate, SecretUpdates};
use secrecy::SecretString;
use serde_json::Value;

/// Splits a config of `entry` and reports, at its dotted path, every secret
/// place given something that cannot be stored as a secret (never the
/// value itself).
pub(in crate::service::connectors) fn read(
    entry: &CompiledEntry,
    config: &Value,
    errors: &mut FieldErrors,
) -> Split {
    let split = secrets::split(&entry.forms.config, config);
    for (key, said) in &split.said {
        match said {
            Said::Set(s) if !text::is_free_text(s) => push(errors, key, text::FREE_TEXT_MESSAGE),
            Said::Set(s) if looks_like_mask(s) => push(errors, key, MASKED),
            Said::NotText => push(errors, key, "must be text, or null to clear it"),
            Said::Set(_) | Said::Clear => {}
        }
    }
    split
}

/// The whole config to validate: the split config with the values it
/// sends at their places, and `kept` (a stored secret by name) at the
/// places its choices select and it leaves out.
pub(in crate::service::connectors) fn whole<'a>(
    entry: &CompiledEntry,
    split: &'a Split,
    kept: impl Fn(&str) -> Option<&'a str>,
) -> Value {
    let mut config = split.config.clone();
    secrets::merge(&entry.forms.config, &mut config, |k| {
        match split.said.get(k) {
            Some(Said::Set(v)) => Some(v.as_str()),
            Some(_) => None,
            None if split.active.iter().any(|a| a == k) => kept(k),
            None => None,
        }
    });
    config
}

/// The places `split` leaves out that hold a secret among `held`: the
/// secrets the update keeps, whose values its validation needs.
pub(in crate::service::connectors) fn kept<'a>(
    split: &'a Split,
    held: &'a [String],
) -> impl Iterator<Item = &'a String> {
    split
        .active
        .iter()
        .filter(|k| !split.said.contains_key(*k) && held.contains(k))
}

/// The updates a split config makes to the secrets `held` (every name
/// stored): see [`secrets::changes`].
pub(in crate::service::connectors) fn updates(split: &Split, held: &[String]) -> SecretUpdates {
    secrets::changes(split, held.iter().map(String::as_str))
        .into_iter()
        .map(|(k, c)| {
            let u = match c {
                Change::Set(v) => SecretUpdate::Set(SecretString::from(v)),
                Change::Clear => SecretUpdate::Clear,
            };
            (k, u)
        })
        .collect()
}
