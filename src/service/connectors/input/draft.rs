//! The body of `POST /check`: unsaved values to check, read like an
//! install's (the same field errors at the same paths) without a name.

use super::{SecretsRead, check_config, check_fields, invalid, object};
use crate::domain::validation::{FieldErrors, push};
use crate::service::catalog::CompiledEntry;
use crate::service::connectors::{ConnectorResult, SecretUpdates};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Check unsaved values against a catalog entry's connection check.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CheckUnsaved, description = "Body of `POST /check`.")]
pub struct CheckDraft {
    /// Key of the catalog entry whose check runs
    pub catalog_key: String,
    #[schema(schema_with = crate::service::schemas::config_or_null, required = false)]
    pub config: Value,
    /// Secret name to value, per the entry's `auth_schema`
    #[schema(value_type = Option<BTreeMap<String, String>>, required = false)]
    pub auth: SecretUpdates,
    #[serde(skip)]
    pub(in crate::service::connectors) entry: Arc<CompiledEntry>,
}

impl CheckDraft {
    /// Reads the body; `entry` is the catalog entry its `catalog_key`
    /// names, if there is one.
    pub fn parse(body: &Value, entry: Option<Arc<CompiledEntry>>) -> ConnectorResult<Self> {
        let body = object(body)?;
        let mut errors = FieldErrors::new();
        check_fields(body, &["catalog_key", "config", "auth"], &mut errors);
        match (&entry, body.get("catalog_key")) {
            (Some(_), _) => {}
            (None, None | Some(Value::Null)) => push(&mut errors, "catalog_key", "is required"),
            (None, Some(Value::String(_))) => {
                push(&mut errors, "catalog_key", "does not name a catalog entry")
            }
            (None, Some(_)) => push(&mut errors, "catalog_key", "must be text"),
        }
        let config = match body.get("config") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(c) => c.clone(),
        };
        let Some(entry) = entry else {
            return Err(invalid("the values are not valid", errors));
        };
        check_config(&entry, &config, &mut errors);
        let auth = SecretsRead::of(body.get("auth"), &mut errors).check(&entry, &mut errors);
        if !errors.is_empty() {
            return Err(invalid("the values are not valid", errors));
        }
        Ok(CheckDraft {
            catalog_key: entry.key.clone(),
            config,
            auth,
            entry,
        })
    }
}
