//! `auth` as a body sends it: per secret of `auth_schema`, a value, `null`
//! or left out, each checked against its own schema.

use crate::domain::text;
use crate::domain::validation::{self, FieldErrors, looks_like_mask, push};
use crate::service::catalog::CompiledEntry;
use crate::service::connectors::secrets::{SecretUpdate, SecretUpdates};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::collections::BTreeMap;
use zeroize::Zeroize;

/// `auth` as read from a body: each key a string (set) or null (clear);
/// absent keys keep. Values of the wrong shape are kept by name, so that a
/// name the entry does not know is reported as such instead.
pub(super) struct SecretsRead {
    pub(super) updates: SecretUpdates,
    pub(super) refused: BTreeMap<String, &'static str>,
}

pub(super) const MASKED: &str =
    "looks like a masked value; send the secret itself, or leave it out to keep the current one";

impl SecretsRead {
    pub(super) fn of(v: Option<&Value>, errors: &mut FieldErrors) -> SecretsRead {
        let mut read = SecretsRead {
            updates: SecretUpdates::new(),
            refused: BTreeMap::new(),
        };
        let Some(v) = v else {
            return read;
        };
        let Some(map) = v.as_object() else {
            if !v.is_null() {
                push(errors, "auth", "must be an object of secrets");
            }
            return read;
        };
        for (name, value) in map {
            let refused = match value {
                Value::Null => {
                    read.updates.insert(name.clone(), SecretUpdate::Clear);
                    continue;
                }
                Value::String(s) if !text::is_free_text(s) => text::FREE_TEXT_MESSAGE,
                Value::String(s) if looks_like_mask(s) => MASKED,
                Value::String(s) => {
                    let secret = SecretString::from(s.as_str());
                    read.updates.insert(name.clone(), SecretUpdate::Set(secret));
                    continue;
                }
                _ => "must be text, or null to clear it",
            };
            read.refused.insert(name.clone(), refused);
        }
        read
    }

    /// Checks the secrets read against the entry.
    pub(super) fn check(self, entry: &CompiledEntry, errors: &mut FieldErrors) -> SecretUpdates {
        Self::check_names(entry, &self.updates, &self.refused, errors);
        self.updates
    }

    /// Reports, per secret named, a name the entry does not have, a value
    /// of the wrong shape, or a value its schema refuses.
    pub(super) fn check_names(
        entry: &CompiledEntry,
        updates: &SecretUpdates,
        refused: &BTreeMap<String, &'static str>,
        errors: &mut FieldErrors,
    ) {
        let names = updates.keys().chain(refused.keys());
        for name in names {
            let field = format!("auth.{name}");
            let Some((_, schema, validator)) =
                entry.secret_validators.iter().find(|(n, _, _)| n == name)
            else {
                push(errors, field, "is not a secret of this connector");
                continue;
            };
            if let Some(message) = refused.get(name) {
                push(errors, field, *message);
                continue;
            }
            if let Some(SecretUpdate::Set(s)) = updates.get(name) {
                let mut value = Value::String(s.expose_secret().to_string());
                let found = validation::validate(validator, schema, &value, &field);
                if let Value::String(v) = &mut value {
                    v.zeroize();
                }
                for (k, msgs) in found {
                    for m in msgs {
                        push(errors, k.clone(), m);
                    }
                }
            }
        }
    }
}
