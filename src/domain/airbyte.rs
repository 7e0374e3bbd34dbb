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
    /// Where the connection specification is in the document.
    at: &'static str,
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
            at: "/connectionSpecification",
            documentation_url: either(doc, "documentationUrl", "documentation_url"),
            advanced_auth: either(doc, "advancedAuth", "advanced_auth"),
        });
    }
    let spec = doc.get("spec")?;
    let (connection, at) = match spec.get("connection_specification") {
        Some(c) if !c.is_null() => (c, "/spec/connection_specification"),
        _ => (
            either(spec, "connectionSpecification", "connection_specification")?,
            "/spec/connectionSpecification",
        ),
    };
    Some(Spec {
        connection,
        at,
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

/// The flags Airbyte's specs sometimes write as the text `"true"` or
/// `"false"`.
const FLAGS: &[&str] = &[
    "airbyte_secret",
    "writeOnly",
    "airbyte_hidden",
    "always_show",
    "multiline",
];

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Repairs the slips real specs carry that no validator of Airbyte's acts
/// on, so that the schema means what its author meant; each repair is
/// noted (keyword, JSON pointer, what was done) as a warning:
///
/// - a flag written as the text `"true"`/`"false"` becomes the boolean
///   (a secret written `"airbyte_secret": "true"` is a secret);
/// - a `format` beside a `pattern` is dropped: the pattern says what the
///   value looks like (Airbyte does not check formats, and real specs pair
///   `format: date` with a `dd-mm-yyyy` pattern);
/// - names listed twice in `required` are listed once, and names of
///   properties an object does not define are dropped from it (no form can
///   ask for a field the schema does not describe);
/// - `items` on a schema that is not an array (which JSON Schema ignores)
///   is dropped.
fn repair(node: &mut Value, pointer: &str, notes: &mut Vec<String>) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    for flag in FLAGS {
        let text = obj.get(*flag).and_then(Value::as_str).map(str::to_string);
        if let Some(t) = text
            && (t == "true" || t == "false")
        {
            obj.insert((*flag).to_string(), Value::Bool(t == "true"));
            notes.push(format!(
                "keyword `{flag}` at {pointer}/{flag}: the text \"{t}\" read as {t}"
            ));
        }
    }
    if obj.contains_key("pattern") && obj.remove("format").is_some() {
        notes.push(format!(
            "keyword `format` at {pointer}/format: beside a `pattern`, ignored (the pattern is checked)"
        ));
    }
    let defined: Option<Vec<String>> = obj
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect());
    if let Some(req) = obj.get_mut("required").and_then(Value::as_array_mut) {
        let before = req.len();
        let mut seen: Vec<Value> = Vec::new();
        req.retain(|r| {
            let known = match (&defined, r.as_str()) {
                (Some(names), Some(n)) => names.iter().any(|d| d == n),
                _ => true,
            };
            let keep = known && !seen.contains(r);
            if keep {
                seen.push(r.clone());
            }
            keep
        });
        if req.len() != before {
            notes.push(format!(
                "keyword `required` at {pointer}/required: names listed twice, or of properties not defined, ignored"
            ));
        }
    }
    let is_array = match obj.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(list)) => list.iter().any(|t| t == "array"),
        _ => true,
    };
    if !is_array && obj.remove("items").is_some() {
        notes.push(format!(
            "keyword `items` at {pointer}/items: only applies to an array, ignored"
        ));
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(map) = obj.get_mut(key).and_then(Value::as_object_mut) {
            for (name, child) in map.iter_mut() {
                repair(child, &format!("{pointer}/{key}/{}", escape(name)), notes);
            }
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            for (i, child) in list.iter_mut().enumerate() {
                repair(child, &format!("{pointer}/{key}/{i}"), notes);
            }
        }
    }
    if let Some(items) = obj.get_mut("items") {
        repair(items, &format!("{pointer}/items"), notes);
    }
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
    manifest_with_repairs(doc, fields, source_name).map(|(m, _)| m)
}

/// The manifest of an Airbyte spec with these catalog fields, and the
/// repairs made to its connection specification (see [`repair`]), one
/// line each with the keyword and its JSON pointer in the spec file.
pub fn manifest_with_repairs(
    doc: &Value,
    fields: &CatalogFields,
    source_name: &str,
) -> Result<(Manifest, Vec<String>), ManifestError> {
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
    let mut connection = spec.connection.clone();
    let mut repairs = Vec::new();
    repair(&mut connection, spec.at, &mut repairs);
    let name = fields
        .name
        .clone()
        .or_else(|| text(connection.get("title")))
        .unwrap_or_else(|| key.clone());
    let (config, auth) = split_secrets(&connection);
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
        .or_else(|| text(connection.get("description")))
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
    Ok((Manifest::from_value(out, source_name)?, repairs))
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests;
