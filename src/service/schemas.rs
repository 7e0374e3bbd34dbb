//! Schemas of the OpenAPI document for values the service keeps as JSON:
//! free-form objects (configs, capabilities, JSON Schemas), the per-secret
//! state, audit actions and changes. The API's request and response types
//! name these with `#[schema(value_type = …)]` or `schema_with`, so the
//! document says exactly what the JSON holds.

use std::collections::BTreeMap;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};

fn object(description: &str, nullable: bool) -> RefOr<Schema> {
    let ty = if nullable {
        SchemaType::from_iter([Type::Object, Type::Null])
    } else {
        SchemaType::new(Type::Object)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .description(Some(description))
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(true)))
        .into()
}

/// A connector's config: any object; the catalog entry's
/// `default_config_schema` says what it must hold.
pub fn config() -> RefOr<Schema> {
    object(
        "Validated against the catalog entry's `default_config_schema`",
        false,
    )
}

/// A config that may be left out or sent as null (an empty config).
pub fn config_or_null() -> RefOr<Schema> {
    object(
        "Validated against the catalog entry's `default_config_schema`; null or left out is an empty config",
        true,
    )
}

/// A catalog entry's capabilities.
pub fn capabilities() -> RefOr<Schema> {
    object(
        "`publish: true` for publish targets, and what can be published (e.g. `supports_scheduling`)",
        false,
    )
}

/// A JSON Schema document.
pub fn json_schema() -> RefOr<Schema> {
    object("A JSON Schema (draft 2020-12) document", false)
}

/// Whether one secret is set, and since when.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SecretState {
    /// Whether the secret holds a value
    pub set: bool,
    /// When it was last set; present only when `set` is true
    #[schema(value_type = String, format = DateTime, nullable = false, required = false)]
    pub updated_at: Option<String>,
}

pub use crate::service::connectors::AuditAction;

/// What happened to one secret in a change.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum SecretChange {
    Set,
    Changed,
    Cleared,
}

/// A status change: from one status to another.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct StatusChange {
    #[schema(value_type = crate::domain::status::ConnectorStatus)]
    pub from: String,
    #[schema(value_type = crate::domain::status::ConnectorStatus)]
    pub to: String,
}

/// The names of what an event changed; never a secret's value.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AuditChanges {
    /// Names of the changed fields (`name`, `config`, `tags`, `status`, `status_message`)
    pub fields: Vec<String>,
    /// Per secret changed: set, changed or cleared
    #[schema(value_type = BTreeMap<String, SecretChange>, nullable = false, required = false)]
    pub secrets: Option<BTreeMap<String, SecretChange>>,
    /// On a status change
    #[schema(value_type = StatusChange, nullable = false, required = false)]
    pub status: Option<StatusChange>,
    /// On create and delete: the connector's catalog key
    #[schema(value_type = String, nullable = false, required = false)]
    pub catalog_key: Option<String>,
    /// On a credentials read: the names of the secrets read
    #[schema(value_type = Vec<String>, nullable = false, required = false)]
    pub secrets_read: Option<Vec<String>>,
    /// On `connector.secrets_unreadable`: what found the secrets unreadable
    #[schema(value_type = String, nullable = false, required = false)]
    pub during: Option<String>,
    /// On `connector.checked`: the check's outcome code
    #[schema(value_type = crate::domain::check::CheckCode, nullable = false, required = false)]
    pub code: Option<String>,
    /// On `connector.checked`: manual, proposed, unsaved, activation or scheduled
    #[schema(value_type = String, nullable = false, required = false)]
    pub trigger: Option<String>,
    /// On a status change a connection check made: `check`
    #[schema(value_type = String, nullable = false, required = false)]
    pub by: Option<String>,
    /// On an activation that skipped its connection check (`force`)
    #[schema(value_type = bool, nullable = false, required = false)]
    pub forced: Option<bool>,
}
