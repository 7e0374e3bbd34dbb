//! Airbyte connector specs read as catalog manifests: a `spec.json` or
//! `spec.yaml` (`connectionSpecification`, `documentationUrl`,
//! `advancedAuth`) or a declarative `manifest.yaml`'s `spec`
//! (`connection_specification`, `documentation_url`, `advanced_auth`),
//! with the catalog fields (key, name, category, icon, auth type) given
//! beside it, since a spec does not carry them.

use crate::domain::catalog::{AuthType, Manifest, ManifestError, fail};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The catalog fields of a connector imported from an Airbyte spec: from
/// the command line, a side file, or both (the command line wins).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFields {
    pub key: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub icon: Option<String>,
    pub auth_type: Option<AuthType>,
}

impl CatalogFields {
    /// These fields, each one missing taken from `other`.
    pub fn or(self, other: CatalogFields) -> CatalogFields {
        CatalogFields {
            key: self.key.or(other.key),
            name: self.name.or(other.name),
            description: self.description.or(other.description),
            category: self.category.or(other.category),
            icon: self.icon.or(other.icon),
            auth_type: self.auth_type.or(other.auth_type),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == CatalogFields::default()
    }
}

/// The parts of a spec the catalog keeps.
struct Spec<'a> {
    connection: &'a Value,
    documentation_url: Option<&'a Value>,
    advanced_auth: Option<&'a Value>,
}

fn either<'a>(obj: &'a Value, a: &str, b: &str) -> Option<&'a Value> {
    obj.get(a).or_else(|| obj.get(b)).filter(|v| !v.is_null())
}

fn spec_of(doc: &Value) -> Option<Spec<'_>> {
    if let Some(connection) = doc.get("connectionSpecification") {
        return Some(Spec {
            connection,
            documentation_url: either(doc, "documentationUrl", "documentation_url"),
            advanced_auth: either(doc, "advancedAuth", "advanced_auth"),
        });
    }
    let spec = doc.get("spec")?;
    let connection = either(spec, "connection_specification", "connectionSpecification")?;
    Some(Spec {
        connection,
        documentation_url: either(spec, "documentation_url", "documentationUrl"),
        advanced_auth: either(spec, "advanced_auth", "advancedAuth"),
    })
}

/// Whether `doc` is an Airbyte spec (rather than a catalog manifest).
pub fn is_spec(doc: &Value) -> bool {
    spec_of(doc).is_some()
}

fn is_secret(prop: &Value) -> bool {
    ["airbyte_secret", "writeOnly"]
        .iter()
        .any(|k| prop.get(*k) == Some(&Value::Bool(true)))
}

/// The config schema and the secrets schema of a connection spec: the
/// top-level secrets move into `auth_schema` (with their place in
/// `required`), so they read like any connector's `auth`; secrets deeper in
/// the config (inside an auth-method choice, an SSH tunnel) stay where they
/// are and are sealed at their place.
fn split_secrets(connection: &Value) -> (Value, Value) {
    let mut config = connection.clone();
    let mut secrets = Map::new();
    let mut secret_required = Vec::new();
    if let Some(props) = config.get_mut("properties").and_then(Value::as_object_mut) {
        let names: Vec<String> = props
            .iter()
            .filter(|(_, p)| is_secret(p))
            .map(|(n, _)| n.clone())
            .collect();
        for name in names {
            if let Some(p) = props.shift_remove(&name) {
                secrets.insert(name, p);
            }
        }
    }
    if let Some(req) = config.get_mut("required").and_then(Value::as_array_mut) {
        req.retain(|r| {
            let moved = r.as_str().is_some_and(|n| secrets.contains_key(n));
            if moved {
                secret_required.push(r.clone());
            }
            !moved
        });
    }
    let mut auth = json!({"type": "object", "properties": secrets});
    if !secret_required.is_empty() {
        auth["required"] = Value::Array(secret_required);
    }
    (config, auth)
}

/// The manifest of an Airbyte spec with these catalog fields.
pub fn manifest(
    doc: &Value,
    fields: &CatalogFields,
    source_name: &str,
) -> Result<Manifest, ManifestError> {
    let Some(spec) = spec_of(doc) else {
        return Err(fail(
            source_name,
            "not an Airbyte spec: no `connectionSpecification` (spec.json/spec.yaml) or \
             `spec.connection_specification` (manifest.yaml)",
        ));
    };
    let Some(key) = fields.key.clone() else {
        return Err(fail(
            source_name,
            "an Airbyte spec needs the connector's key: give `--key` (or `key` in the `--fields` file)",
        ));
    };
    let Some(category) = fields.category.clone() else {
        return Err(fail(
            source_name,
            "an Airbyte spec needs the connector's category: give `--category` (or `category` in the `--fields` file)",
        ));
    };
    let name = fields
        .name
        .clone()
        .or_else(|| text(spec.connection.get("title")))
        .unwrap_or_else(|| key.clone());
    let (config, auth) = split_secrets(spec.connection);
    let auth_type = fields.auth_type.unwrap_or(if spec.advanced_auth.is_some() {
        AuthType::Oauth
    } else if auth["properties"]
        .as_object()
        .is_some_and(|p| !p.is_empty())
    {
        AuthType::ApiKey
    } else {
        AuthType::None
    });
    let mut out = json!({
        "key": key,
        "name": name,
        "category": category,
        "auth_type": auth_type,
        "default_config_schema": config,
        "auth_schema": auth,
    });
    if let Some(d) = fields
        .description
        .clone()
        .or_else(|| text(spec.connection.get("description")))
    {
        out["description"] = Value::String(d);
    }
    if let Some(i) = &fields.icon {
        out["icon"] = Value::String(i.clone());
    }
    if let Some(u) = spec.documentation_url {
        out["documentation_url"] = u.clone();
    }
    if let Some(a) = spec.advanced_auth {
        out["advanced_auth"] = a.clone();
    }
    Manifest::from_value(out, source_name)
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests;
