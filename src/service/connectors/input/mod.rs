//! What clients ask of the connector operations, as typed commands, each
//! read from its JSON body by one parse function that reports every field
//! error at its dotted path (`name`, `config.site_url`, `auth.api_key`).
//!
//! These types are also the request bodies of the OpenAPI document, so the
//! published description and the parser cannot drift apart.
//!
//! What a body says is checked in two parts: its shape (known fields,
//! names trimmed, text that is text, masks refused) here, and what only
//! the catalog entry can tell (the config's schema, which secrets exist
//! and their schemas) against that entry. An install names its entry, so
//! [`InstallConnector::parse`] does both; a patch's entry is the stored
//! connector's, so [`ConnectorPatch`] keeps what it found wrong and
//! [`ConnectorPatch::check`] reports it together with the rest, in one
//! answer.

mod auth;
pub(super) mod nested;

use super::secrets::SecretUpdates;
use super::{ConnectorError, ConnectorResult};
use crate::domain::status::ConnectorStatus;
use crate::domain::text;
use crate::domain::validation::{self, FieldErrors, push};
use crate::service::catalog::CompiledEntry;
use auth::SecretsRead;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

mod replace;
pub use replace::ConnectorReplace;
mod draft;

pub use draft::CheckDraft;

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

/// Fields no client may set.
const SERVER_FIELDS: &[&str] = &[
    "id",
    "tenant_id",
    "catalog_id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "created_by_name",
    "updated_by_name",
    "secrets",
];

pub(super) fn invalid(message: &str, errors: FieldErrors) -> ConnectorError {
    ConnectorError::Validation {
        message: message.to_string(),
        errors,
    }
}

/// Install a connector from the catalog.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateConnector, description = "Body of `POST /connectors`.")]
pub struct InstallConnector {
    /// Key of the catalog entry to install
    pub catalog_key: String,
    /// 1-255 characters, unique in the tenant
    #[schema(min_length = 1, max_length = 255)]
    pub name: String,
    /// Validated against the entry's `default_config_schema`, its secrets
    /// (`writeOnly` or `airbyte_secret`, at any depth) included; those are
    /// stored apart, encrypted, and never returned
    #[schema(schema_with = crate::service::schemas::config_or_null, required = false)]
    pub config: Value,
    /// Secret name to value, per the entry's `auth_schema`
    #[schema(value_type = Option<BTreeMap<String, String>>, required = false)]
    pub auth: SecretUpdates,
    /// Up to 50 tags of 1-64 characters; duplicates are dropped
    #[schema(value_type = Option<Vec<String>>, required = false)]
    pub tags: Vec<String>,
    /// The entry `catalog_key` names, which the config and secrets were
    /// checked against.
    #[serde(skip)]
    pub(super) entry: Arc<CompiledEntry>,
}

impl InstallConnector {
    /// The catalog key a body names, to look its entry up before parsing.
    pub fn requested_key(body: &Value) -> Option<&str> {
        body.get("catalog_key").and_then(Value::as_str)
    }

    /// Reads an install body; `entry` is the catalog entry its
    /// [`requested_key`](Self::requested_key) names, if there is one. The
    /// config and secrets are checked only against a known entry.
    pub fn parse(body: &Value, entry: Option<Arc<CompiledEntry>>) -> ConnectorResult<Self> {
        let body = object(body)?;
        let mut errors = FieldErrors::new();
        check_fields(
            body,
            &["catalog_key", "name", "config", "auth", "tags"],
            &mut errors,
        );
        for k in ["status", "version"] {
            if body.contains_key(k) {
                errors.remove(k);
                push(
                    &mut errors,
                    k,
                    "cannot be set on install: a new connector starts inactive at version 1",
                );
            }
        }
        check_catalog_key(entry.is_some(), body.get("catalog_key"), &mut errors);
        let name = parse_name(body.get("name"), &mut errors);
        let tags = parse_tags(body.get("tags"), &mut errors);
        let mut config = match body.get("config") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(c) => c.clone(),
        };
        let mut auth = SecretUpdates::new();
        if let Some(entry) = &entry {
            // The config's own secrets: validated in place with the rest of
            // the config, then stored apart from it, sealed with `auth`.
            let mut in_config = SecretUpdates::new();
            if config_shape_ok(&config, &mut errors) {
                if entry.config_secrets {
                    let split = nested::read(entry, &config, &mut errors);
                    let whole = nested::whole(entry, &split, |_| None);
                    check_config_schema(entry, &whole, &mut errors);
                    in_config = nested::updates(&split, &[]);
                    config = split.config;
                } else {
                    check_config_schema(entry, &config, &mut errors);
                }
            }
            let read = SecretsRead::of(body.get("auth"), &mut errors);
            auth = read.check(entry, &mut errors);
            auth.extend(in_config);
        }
        match (entry, name) {
            (Some(entry), Some(name)) if errors.is_empty() => Ok(InstallConnector {
                catalog_key: entry.key.clone(),
                name,
                config,
                auth,
                tags,
                entry,
            }),
            _ => Err(invalid("the connector is not valid", errors)),
        }
    }
}

/// A partial update: fields left out stay as they are.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(
    as = UpdateConnector,
    description = "Body of `PATCH /connectors/{id}`: every field is optional, and a field left out stays as it is."
)]
pub struct ConnectorPatch {
    /// 1-255 characters, unique in the tenant
    #[schema(value_type = String, nullable = false, required = false, min_length = 1, max_length = 255)]
    pub name: Option<String>,
    /// Replaces the whole config; validated with its secrets in place. Per
    /// secret place of the branches it chooses: a string replaces the
    /// secret, null clears it, absent keeps it; a branch left drops its secrets
    #[schema(schema_with = crate::service::schemas::config, required = false)]
    pub config: Option<Value>,
    /// Per secret: a string replaces it, null clears it, absent keeps it
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    pub auth: SecretUpdates,
    /// Replaces the tags; null is no tags
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Option<Vec<String>>,
    /// inactive ↔ active, any → error, error → inactive
    #[schema(value_type = ConnectorStatus, nullable = false, required = false)]
    pub status: Option<ConnectorStatus>,
    /// Only with status error; null clears it
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub status_message: Option<StatusMessage>,
    /// The version last seen (like If-Match); a stale one answers 412
    pub version: Option<i64>,
    /// Whether this is a whole replacement (`PUT`): secrets the body does
    /// not name are cleared.
    #[serde(skip)]
    pub(super) replace: bool,
    /// With status active: activate even if the connection check fails
    /// (or without running it); audited
    #[schema(value_type = Option<bool>)]
    pub force: bool,
    /// What was wrong with the fields above, reported by [`Self::check`].
    #[serde(skip)]
    problems: FieldErrors,
    /// Secrets named with a value that is not a secret's, by name.
    #[serde(skip)]
    refused_secrets: BTreeMap<String, &'static str>,
}

/// What a patch says of the status message: clear it, or this text (as
/// sent; whether it may be given depends on the status it ends up with).
pub enum StatusMessage {
    Clear,
    Text(String),
}

impl ConnectorPatch {
    /// Reads a patch body. Fields no client may send, a `catalog_key` and a
    /// `version` that is not a number fail here, before the connector is
    /// read; what else is wrong is kept for [`check`](Self::check).
    pub fn parse(body: &Value) -> ConnectorResult<Self> {
        let body = object(body)?;
        let mut errors = FieldErrors::new();
        check_fields(
            body,
            &[
                "name",
                "config",
                "auth",
                "tags",
                "status",
                "status_message",
                "version",
                "force",
            ],
            &mut errors,
        );
        if body.contains_key("catalog_key") {
            errors.remove("catalog_key");
            push(
                &mut errors,
                "catalog_key",
                "cannot be changed; install a new connector instead",
            );
        }
        let version = match body.get("version") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let n = v.as_i64();
                if n.is_none() {
                    push(&mut errors, "version", "must be a whole number");
                }
                n
            }
        };
        if !errors.is_empty() {
            return Err(invalid("the update is not valid", errors));
        }

        let name = body
            .get("name")
            .map(|v| parse_name(Some(v), &mut errors).unwrap_or_default());
        let tags = body.get("tags").map(|v| parse_tags(Some(v), &mut errors));
        let config = body
            .get("config")
            .filter(|c| config_shape_ok(c, &mut errors))
            .cloned();
        let SecretsRead { updates, refused } = SecretsRead::of(body.get("auth"), &mut errors);
        let force = match body.get("force") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                push(&mut errors, "force", "must be true or false");
                false
            }
        };
        let status = body.get("status").and_then(|v| {
            let s = v.as_str().and_then(ConnectorStatus::parse);
            if s.is_none() {
                push(&mut errors, "status", ConnectorStatus::EXPECTED);
            }
            s
        });
        let status_message = match body.get("status_message") {
            None => None,
            Some(Value::Null) => Some(StatusMessage::Clear),
            Some(Value::String(m)) => Some(StatusMessage::Text(m.clone())),
            Some(_) => {
                push(&mut errors, "status_message", "must be text");
                None
            }
        };
        Ok(ConnectorPatch {
            name,
            config,
            auth: updates,
            tags,
            status,
            status_message,
            version,
            replace: false,
            force,
            problems: errors,
            refused_secrets: refused,
        })
    }

    /// What [`parse`](Self::parse) found wrong with the body's shape
    /// (unknown fields, wrong types, lengths), if anything: the problems
    /// that do not depend on the connector or its catalog entry.
    pub(in crate::service::connectors) fn malformed(&self) -> Option<&FieldErrors> {
        (!self.problems.is_empty()).then_some(&self.problems)
    }

    /// Everything wrong with the patch for a connector of `entry` now in
    /// status `current`, together with what [`parse`](Self::parse) found
    /// and `found` (what the config's own secrets were given): the config's
    /// schema (unless `with_schema` is false: a config holding secrets is
    /// validated whole once the secrets it keeps are read), which secrets
    /// exist and their schemas, the status change and its message. Returns
    /// the status and message the connector would end up with.
    pub(super) fn check(
        &self,
        entry: &CompiledEntry,
        current: ConnectorStatus,
        current_message: Option<&str>,
        with_schema: bool,
        found: FieldErrors,
    ) -> Result<(ConnectorStatus, Option<String>), FieldErrors> {
        let mut errors = self.problems.clone();
        for (k, msgs) in found {
            for m in msgs {
                push(&mut errors, k.clone(), m);
            }
        }
        if let Some(c) = self.config.as_ref().filter(|_| with_schema) {
            check_config_schema(entry, c, &mut errors);
        }
        SecretsRead::check_names(entry, &self.auth, &self.refused_secrets, &mut errors);
        let mut status = current;
        if let Some(to) = self.status {
            if !current.can_become(to) {
                push(
                    &mut errors,
                    "status",
                    format!(
                        "cannot change from {current} to {to} (allowed: inactive ↔ active, any → error, error → inactive)"
                    ),
                );
            }
            status = to;
        }
        let mut message = current_message.map(str::to_string);
        match &self.status_message {
            None => {
                if status != ConnectorStatus::Error {
                    message = None;
                }
            }
            Some(StatusMessage::Clear) => message = None,
            Some(StatusMessage::Text(m)) if status == ConnectorStatus::Error => {
                if !text::is_free_text(m) {
                    push(&mut errors, "status_message", text::FREE_TEXT_MESSAGE);
                } else if m.chars().count() > 1000 {
                    push(
                        &mut errors,
                        "status_message",
                        "must be at most 1000 characters",
                    );
                }
                message = Some(m.trim().to_string()).filter(|m| !m.is_empty());
            }
            Some(StatusMessage::Text(_)) => push(
                &mut errors,
                "status_message",
                "can only be set together with status error",
            ),
        }
        if errors.is_empty() {
            Ok((status, message))
        } else {
            Err(errors)
        }
    }
}

/// Check a config against a catalog entry without saving anything.
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ValidateConfig, description = "Body of `POST /validate-config`.")]
pub struct ValidateConfig {
    pub catalog_key: String,
    #[schema(schema_with = crate::service::schemas::config_or_null, required = false)]
    pub config: Value,
}

impl ValidateConfig {
    /// Reads the body and checks its config against `entry`, the catalog
    /// entry its `catalog_key` names, if there is one.
    pub fn parse(body: &Value, entry: Option<&CompiledEntry>) -> ConnectorResult<Self> {
        let body = object(body)?;
        let mut errors = FieldErrors::new();
        check_fields(body, &["catalog_key", "config"], &mut errors);
        check_catalog_key(entry.is_some(), body.get("catalog_key"), &mut errors);
        let config = match body.get("config") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(c) => c.clone(),
        };
        match entry {
            Some(entry) => {
                if entry.config_secrets {
                    // Checked as an install checks them: no mask, text only.
                    if config_shape_ok(&config, &mut errors) {
                        let split = nested::read(entry, &config, &mut errors);
                        check_config_schema(
                            entry,
                            &nested::whole(entry, &split, |_| None),
                            &mut errors,
                        );
                    }
                } else {
                    check_config(entry, &config, &mut errors);
                }
                if errors.is_empty() {
                    return Ok(ValidateConfig {
                        catalog_key: entry.key.clone(),
                        config,
                    });
                }
                Err(invalid("the config is not valid", errors))
            }
            None => Err(invalid("the config is not valid", errors)),
        }
    }
}

/// Filters of the installed list, as given by the client.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub status: Option<String>,
    pub catalog_key: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn object(body: &Value) -> ConnectorResult<&Map<String, Value>> {
    body.as_object().ok_or_else(|| {
        let mut errors = FieldErrors::new();
        push(&mut errors, "body", "must be a JSON object");
        invalid("the request is not valid", errors)
    })
}

/// The errors of a body's `catalog_key` when it names no entry
/// (`found` is whether it does).
pub(super) fn check_catalog_key(found: bool, key: Option<&Value>, errors: &mut FieldErrors) {
    match (found, key) {
        (true, _) => {}
        (false, None | Some(Value::Null)) => push(errors, "catalog_key", "is required"),
        (false, Some(Value::String(_))) => {
            push(errors, "catalog_key", "does not name a catalog entry")
        }
        (false, Some(_)) => push(errors, "catalog_key", "must be text"),
    }
}

fn check_fields(body: &Map<String, Value>, allowed: &[&str], errors: &mut FieldErrors) {
    for k in body.keys() {
        if allowed.contains(&k.as_str()) {
            continue;
        }
        if SERVER_FIELDS.contains(&k.as_str()) {
            push(
                errors,
                k.clone(),
                "is set by the server and cannot be changed",
            );
        } else {
            push(errors, k.clone(), "is not a recognised field");
        }
    }
}

fn parse_name(v: Option<&Value>, errors: &mut FieldErrors) -> Option<String> {
    match v {
        None | Some(Value::Null) => {
            push(errors, "name", "is required");
            None
        }
        Some(Value::String(s)) => {
            let t = s.trim();
            let n = t.chars().count();
            if n == 0 {
                push(errors, "name", "must not be empty");
                None
            } else if n > 255 {
                push(errors, "name", "must be at most 255 characters");
                None
            } else if t.chars().any(char::is_control) {
                push(errors, "name", "must not contain control characters");
                None
            } else {
                Some(t.to_string())
            }
        }
        Some(_) => {
            push(errors, "name", "must be text");
            None
        }
    }
}

fn parse_tags(v: Option<&Value>, errors: &mut FieldErrors) -> Vec<String> {
    let Some(v) = v else {
        return Vec::new();
    };
    let Some(items) = v.as_array() else {
        if !v.is_null() {
            push(errors, "tags", "must be a list of text tags");
        }
        return Vec::new();
    };
    if items.len() > MAX_TAGS {
        push(errors, "tags", format!("must have at most {MAX_TAGS} tags"));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::trim) {
            Some(t) if !text::is_line(t) => push(errors, format!("tags.{i}"), text::LINE_MESSAGE),
            Some(t) if !t.is_empty() && t.chars().count() <= MAX_TAG_CHARS => {
                if !out.iter().any(|o| o == t) {
                    out.push(t.to_string());
                }
            }
            Some("") => push(errors, format!("tags.{i}"), "must not be empty"),
            Some(_) => push(
                errors,
                format!("tags.{i}"),
                format!("must be at most {MAX_TAG_CHARS} characters"),
            ),
            None => push(errors, format!("tags.{i}"), "must be text"),
        }
    }
    out
}

/// Whether a config is an object of text that is text. Text that is not
/// is reported alone: the schema's own messages could name a key that
/// holds it.
fn config_shape_ok(config: &Value, errors: &mut FieldErrors) -> bool {
    if !config.is_object() {
        push(errors, "config", "must be an object");
        return false;
    }
    !text::check_json(config, "config", errors)
}

pub(super) fn check_config_schema(entry: &CompiledEntry, config: &Value, errors: &mut FieldErrors) {
    let found = validation::validate(
        &entry.config_validator,
        &entry.manifest.default_config_schema,
        config,
        "config",
    );
    for (k, msgs) in found {
        for m in msgs {
            push(errors, k.clone(), m);
        }
    }
}

/// A config's shape and, when that is right, its schema. The config holds
/// its secrets in place.
pub(super) fn check_config(entry: &CompiledEntry, config: &Value, errors: &mut FieldErrors) {
    if config_shape_ok(config, errors) {
        check_config_schema(entry, config, errors);
    }
}

#[cfg(test)]
mod tests;
