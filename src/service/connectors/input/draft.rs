//! The body of `POST /check`: unsaved values to check, read like an
//! install's (the same field errors at the same paths) without a name.

use super::{SecretsRead, check_catalog_key, check_config, check_fields, invalid, object};
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
    /// What is wrong with the body's shape, as the API document describes
    /// it (an object of `catalog_key` text, a `config` object and an `auth`
    /// object of text values):
    /// a body of another shape is a malformed request (422), not values to
    /// check.
    pub fn shape_errors(body: &Value) -> ConnectorResult<FieldErrors> {
        let body = object(body)?;
        let mut errors = FieldErrors::new();
        check_fields(body, &["catalog_key", "config", "auth"], &mut errors);
        match body.get("catalog_key") {
            Some(Value::String(_)) => {}
            None | Some(Value::Null) => push(&mut errors, "catalog_key", "is required"),
            Some(_) => push(&mut errors, "catalog_key", "must be text"),
        }
        for k in ["config", "auth"] {
            if body.get(k).is_some_and(|v| !v.is_object() && !v.is_null()) {
                push(&mut errors, k, "must be an object");
            }
        }
        if let Some(auth) = body.get("auth").and_then(Value::as_object) {
            for (name, v) in auth {
                if !v.is_string() {
                    push(&mut errors, format!("auth.{name}"), "must be text");
                }
            }
        }
        Ok(errors)
    }

    /// Reads the body; `entry` is the catalog entry its `catalog_key`
    /// names, if there is one.
    pub fn parse(body: &Value, entry: Option<Arc<CompiledEntry>>) -> ConnectorResult<Self> {
        let body = object(body)?;
        let mut errors = FieldErrors::new();
        check_fields(body, &["catalog_key", "config", "auth"], &mut errors);
        check_catalog_key(entry.is_some(), body.get("catalog_key"), &mut errors);
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
