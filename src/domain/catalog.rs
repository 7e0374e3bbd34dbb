//! Catalog manifests: the description of a connector type, with the JSON
//! Schema of its config and of its secrets.
//!
//! A manifest is parsed from JSON or YAML, checked field by field, its two
//! schemas compiled and checked for form-renderability, and then kept as a
//! canonical JSON document whose key order is the author's (forms render
//! fields in that order on every database).

use crate::domain::check::{Check, Fields};
use crate::domain::oauth::{AuthProperties, OAuth};
use crate::domain::schema::model::{Kind, Node, ObjectSchema};
use crate::domain::schema::{
    CatalogForms, SchemaIssue, SchemaRole, check_renderable, secret_schema,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::path::Path;

/// How a connector authenticates to its service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthType {
    Oauth,
    ApiKey,
    Basic,
    None,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Oauth => "oauth",
            AuthType::ApiKey => "api_key",
            AuthType::Basic => "basic",
            AuthType::None => "none",
        }
    }
}

/// A catalog manifest as written by its author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub category: String,
    #[serde(default)]
    pub icon: Option<String>,
    pub auth_type: AuthType,
    #[serde(default = "empty_object")]
    pub capabilities: Value,
    pub default_config_schema: Value,
    pub auth_schema: Value,
    /// How to ask the provider whether a connector's values work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<Check>,
    /// How to connect an account with OAuth 2.0 (`domain::oauth`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuth>,
    /// Where the connector's documentation is (an Airbyte spec's
    /// `documentationUrl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// An Airbyte spec's `advancedAuth`, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_auth: Option<Value>,
    /// The config field that says what a connector is connected to (an
    /// account handle, a site URL, a page URN): a dotted path to a
    /// non-secret string property of `default_config_schema`, through
    /// nested objects and `oneOf` branches (`author.urn`). Cards show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_field: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{source_name}: {message}")]
pub struct ManifestError {
    /// The file (or built-in name) the manifest came from.
    pub source_name: String,
    pub message: String,
}

pub(crate) fn fail(source_name: &str, message: impl Into<String>) -> ManifestError {
    ManifestError {
        source_name: source_name.to_string(),
        message: message.into(),
    }
}

/// A JSON or YAML document as a JSON value.
pub fn read_document(
    text: &str,
    format: Format,
    source_name: &str,
) -> Result<Value, ManifestError> {
    match format {
        Format::Json => serde_json::from_str(text)
            .map_err(|e| fail(source_name, format!("not valid JSON: {e}"))),
        Format::Yaml => serde_norway::from_str(text)
            .map_err(|e| fail(source_name, format!("not valid YAML: {e}"))),
    }
}

/// The text format of a manifest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// From a file name's extension: `.json`, `.yaml` or `.yml`.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Some(Format::Json),
            Some("yaml" | "yml") => Some(Format::Yaml),
            _ => None,
        }
    }
}

impl Manifest {
    /// Parses and fully checks a manifest. `source_name` prefixes every
    /// error message.
    pub fn parse(text: &str, format: Format, source_name: &str) -> Result<Manifest, ManifestError> {
        Manifest::from_value(read_document(text, format, source_name)?, source_name)
    }

    /// Checks a manifest already read as a JSON value.
    pub fn from_value(doc: Value, source_name: &str) -> Result<Manifest, ManifestError> {
        if !doc.is_object() {
            return Err(fail(source_name, "a manifest must be an object"));
        }
        let manifest: Manifest = serde_json::from_value(doc)
            .map_err(|e| fail(source_name, format!("invalid manifest: {e}")))?;
        manifest.check(source_name)?;
        Ok(manifest)
    }

    fn check(&self, src: &str) -> Result<(), ManifestError> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 100
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            && self.key.as_bytes()[0].is_ascii_alphanumeric();
        if !key_ok {
            return Err(fail(
                src,
                "`key` must be 1-100 lowercase letters, digits, '_' or '-', starting with a letter or digit",
            ));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(fail(src, "`name` must be 1-255 characters"));
        }
        let category = self.category.trim();
        if category.is_empty() || category.chars().count() > 50 {
            return Err(fail(src, "`category` must be 1-50 characters"));
        }
        if self.icon.as_ref().is_some_and(|i| i.chars().count() > 100) {
            return Err(fail(src, "`icon` must be at most 100 characters"));
        }
        if self.documentation_url.as_ref().is_some_and(|u| {
            u.chars().count() > 2048 || !(u.starts_with("https://") || u.starts_with("http://"))
        }) {
            return Err(fail(
                src,
                "`documentation_url` must be an http(s) URL of at most 2048 characters",
            ));
        }
        let Some(caps) = self.capabilities.as_object() else {
            return Err(fail(src, "`capabilities` must be an object"));
        };
        if caps.get("publish").is_some_and(|p| !p.is_boolean()) {
            return Err(fail(src, "`capabilities.publish` must be true or false"));
        }
        for (field, schema, role) in [
            (
                "default_config_schema",
                &self.default_config_schema,
                SchemaRole::Config,
            ),
            ("auth_schema", &self.auth_schema, SchemaRole::Secrets),
        ] {
            check_renderable(schema, &format!("/{field}"), role)
                .map_err(|issue| fail(src, issue.to_string()))?;
            compile_schema(schema)
                .map_err(|e| fail(src, format!("`{field}` is not a valid JSON Schema: {e}")))?;
        }
        if let Some(check) = &self.check {
            // A config property that is or holds a secret is not a field a
            // check's template may name: it would reach the URL or a body.
            let config: Vec<String> = property_names(&self.default_config_schema)
                .into_iter()
                .filter(|name| {
                    !self.default_config_schema["properties"]
                        .get(name)
                        .is_some_and(holds_secret)
                })
                .collect();
            let auth = self.secret_names();
            if check.oauth_auth.is_some() && self.oauth.is_none() {
                return Err(fail(
                    src,
                    "/check/oauth_auth: an auth part for OAuth 2.0 needs an `oauth` block",
                ));
            }
            check
                .validate(&Fields {
                    config: &config,
                    auth: &auth,
                })
                .map_err(|issue| fail(src, issue.to_string()))?;
        }
        if let Some(oauth) = &self.oauth {
            if self.auth_type != AuthType::Oauth {
                return Err(fail(
                    src,
                    "/oauth: an `oauth` block needs `auth_type: oauth`",
                ));
            }
            let names = self.secret_names();
            let required: Vec<String> = self.auth_schema["required"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            oauth
                .validate(&AuthProperties {
                    names: &names,
                    required: &required,
                })
                .map_err(|issue| fail(src, issue.to_string()))?;
        }
        // Each secret is also checked on its own (see `secret_schema`).
        for name in self.secret_names() {
            if let Some(schema) = secret_schema(&self.auth_schema, &name) {
                compile_schema(&schema).map_err(|e| {
                    fail(
                        src,
                        format!(
                            "secret `{name}` of `auth_schema` cannot be checked on its own: {e}"
                        ),
                    )
                })?;
            }
        }
        // Every secret, at any depth, has a name of its own.
        let forms = self.forms().map_err(|issue| fail(src, issue.to_string()))?;
        if let Some(field) = &self.identity_field {
            check_identity_field(&forms.config.root, field)
                .map_err(|reason| fail(src, format!("/identity_field: `{field}` {reason}")))?;
        }
        Ok(())
    }

    /// The canonical stored form: compact JSON in the author's key order.
    pub fn to_document(&self) -> String {
        serde_json::to_string(self).expect("manifest serialises")
    }

    /// Reads back a stored document (written by [`Manifest::to_document`]).
    pub fn from_document(doc: &str) -> Result<Manifest, serde_json::Error> {
        serde_json::from_str(doc)
    }

    /// The names of the secrets of `auth_schema`, in its own order.
    pub fn secret_names(&self) -> Vec<String> {
        property_names(&self.auth_schema)
    }

    /// The form model of both schemas.
    pub fn forms(&self) -> Result<CatalogForms, SchemaIssue> {
        CatalogForms::build(&self.default_config_schema, &self.auth_schema)
    }

    /// The keywords of both schemas that forms do not know and ignore
    /// (annotations), each with its JSON pointer.
    pub fn warnings(&self) -> Vec<SchemaIssue> {
        match self.forms() {
            Ok(forms) => forms
                .config
                .warnings
                .into_iter()
                .chain(forms.auth.warnings)
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The `auth_schema` property that receives the OAuth 2.0 access token,
    /// for an entry with an `oauth` block.
    pub fn oauth_access_token(&self) -> Option<&str> {
        self.oauth.as_ref().map(|o| o.tokens.access_token.as_str())
    }

    /// The check to run for a connector holding the secrets `holds` says
    /// it holds: with the check's `oauth_auth` in place of its `auth` when
    /// the connector holds the OAuth access token.
    pub fn check_for(&self, holds: impl Fn(&str) -> bool) -> Option<Cow<'_, Check>> {
        let check = self.check.as_ref()?;
        match (&check.oauth_auth, self.oauth_access_token()) {
            (Some(auth), Some(token)) if holds(token) => {
                let mut with_oauth = check.clone();
                with_oauth.auth = auth.clone();
                Some(Cow::Owned(with_oauth))
            }
            _ => Some(Cow::Borrowed(check)),
        }
    }

    /// Whether connectors of this type can be publish targets.
    pub fn can_publish(&self) -> bool {
        self.capabilities.get("publish") == Some(&Value::Bool(true))
    }
}

/// Checks that `field` (a manifest's `identity_field`) names a string
/// property of the config that is not a secret, wherever it sits: every
/// `oneOf` branch that has the property must agree. The error is the
/// reason, for the caller to prefix.
fn check_identity_field(root: &ObjectSchema, field: &str) -> Result<(), String> {
    let path: Vec<&str> = field.split('.').collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(
            "must be a dotted path of property names, such as `site_url` or `author.urn`".into(),
        );
    }
    let mut found = Vec::new();
    nodes_at(root, &path, &mut found);
    if found.is_empty() {
        return Err("is not a property of `default_config_schema`".into());
    }
    for node in found {
        if node.secret {
            return Err(
                "is a secret; the identity is shown on cards, so it must not be one".into(),
            );
        }
        if !matches!(node.kind, Kind::String(_)) {
            return Err("must be a string property".into());
        }
    }
    Ok(())
}

/// Every node at `path` below `obj`, looking into each `oneOf` branch.
fn nodes_at<'a>(obj: &'a ObjectSchema, path: &[&str], out: &mut Vec<&'a Node>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(prop) = obj.get(first) else {
        return;
    };
    if rest.is_empty() {
        out.push(&prop.node);
        return;
    }
    match &prop.node.kind {
        Kind::Object(o) => nodes_at(o, rest, out),
        Kind::OneOf(choice) => {
            if let Some(o) = &choice.object {
                nodes_at(o, rest, out);
            }
            for b in &choice.branches {
                nodes_at(&b.object, rest, out);
            }
        }
        _ => {}
    }
}

/// The text a config holds at a dotted path (`author.urn`), if it is a
/// non-empty string.
pub fn text_at<'a>(config: &'a Value, field: &str) -> Option<&'a str> {
    field
        .split('.')
        .try_fold(config, |v, name| v.get(name))?
        .as_str()
        .filter(|s| !s.trim().is_empty())
}

/// Whether a schema marks a secret anywhere inside it (`writeOnly` or
/// `airbyte_secret`, at any depth and in any branch).
fn holds_secret(schema: &Value) -> bool {
    match schema {
        Value::Object(o) => {
            ["writeOnly", "airbyte_secret"]
                .iter()
                .any(|k| o.get(*k) == Some(&Value::Bool(true)))
                || o.values().any(holds_secret)
        }
        Value::Array(a) => a.iter().any(holds_secret),
        _ => false,
    }
}

fn property_names(schema: &Value) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Compiles a schema under draft 2020-12 with format assertions on and no
/// remote reference resolution. An `examples` written as one value
/// instead of a list (an annotation, which no validation reads) counts as
/// a list of that value.
pub fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    let mut schema = schema.clone();
    examples_as_lists(&mut schema);
    jsonschema::meta::validate(&schema).map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// Wraps every single-value `examples` in a list, at the schema places a
/// renderable schema has (`properties`, `items`, `oneOf`, `$defs`,
/// `definitions`), never inside values (`const`, `enum`, `default`).
fn examples_as_lists(node: &mut Value) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    if let Some(e) = obj.get_mut("examples").filter(|e| !e.is_array()) {
        *e = Value::Array(vec![e.take()]);
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(map) = obj.get_mut(key).and_then(Value::as_object_mut) {
            map.values_mut().for_each(examples_as_lists);
        }
    }
    if let Some(items) = obj.get_mut("items") {
        examples_as_lists(items);
    }
    if let Some(list) = obj.get_mut("oneOf").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(examples_as_lists);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
        "key": "demo", "name": "Demo", "category": "test", "auth_type": "api_key",
        "capabilities": {"publish": true},
        "default_config_schema": {"type": "object", "properties": {"z": {"type": "string"}, "a": {"type": "integer"}}},
        "auth_schema": {"type": "object", "properties": {"token": {"type": "string"}}, "required": ["token"]}
    }"#;

    #[test]
    fn parses_json_and_yaml_and_keeps_key_order() {
        let m = Manifest::parse(MINIMAL, Format::Json, "demo.json").unwrap();
        assert!(m.can_publish());
        let doc = m.to_document();
        assert!(doc.find("\"z\"").unwrap() < doc.find("\"a\"").unwrap());
        assert_eq!(Manifest::from_document(&doc).unwrap(), m);
        let yaml = "key: demo\nname: Demo\ncategory: test\nauth_type: none\ndefault_config_schema:\n  type: object\n  properties:\n    z: {type: string}\n    a: {type: integer}\nauth_schema: {type: object}\n";
        let y = Manifest::parse(yaml, Format::Yaml, "demo.yaml").unwrap();
        assert_eq!(y.auth_type, AuthType::None);
        let doc = y.to_document();
        assert!(doc.find("\"z\"").unwrap() < doc.find("\"a\"").unwrap());
    }

    #[test]
    fn refuses_bad_manifests_with_file_names() {
        let cases = [
            (MINIMAL.replace("\"demo\"", "\"Bad Key\""), "`key`"),
            (
                MINIMAL.replace("\"api_key\"", "\"magic\""),
                "invalid manifest",
            ),
            (
                MINIMAL.replace(
                    "\"category\": \"test\",",
                    "\"category\": \"test\", \"extra\": 1,",
                ),
                "unknown field",
            ),
            (
                MINIMAL.replace(
                    "{\"type\": \"integer\"}",
                    "{\"type\": \"string\", \"pattern\": \"(\"}",
                ),
                "not a valid JSON Schema",
            ),
            (
                MINIMAL.replace(
                    "{\"type\": \"integer\"}",
                    "{\"anyOf\": [{\"type\": \"string\"}]}",
                ),
                "keyword `anyOf` at /default_config_schema/properties/a/anyOf",
            ),
            ("[1]".to_string(), "must be an object"),
            ("{".to_string(), "not valid JSON"),
        ];
        for (text, needle) in cases {
            let err = Manifest::parse(&text, Format::Json, "x.json")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("x.json: "), "{err}");
            assert!(err.contains(needle), "{needle} not in {err}");
        }
    }

    #[test]
    fn identity_field_names_a_string_setting_that_is_no_secret() {
        let doc = |field: &str| {
            format!(
                r#"{{"key": "demo", "name": "Demo", "category": "test", "auth_type": "api_key",
                "identity_field": "{field}",
                "default_config_schema": {{"type": "object", "properties": {{
                    "site": {{"type": "string"}}, "count": {{"type": "integer"}},
                    "pass": {{"type": "string", "writeOnly": true}},
                    "author": {{"type": "object", "oneOf": [
                        {{"type": "object", "properties": {{"kind": {{"const": "a"}}, "urn": {{"type": "string"}}}}}},
                        {{"type": "object", "properties": {{"kind": {{"const": "b"}}, "urn": {{"type": "string"}}}}}}
                    ]}}
                }}}},
                "auth_schema": {{"type": "object", "properties": {{"token": {{"type": "string"}}}}}}}}"#
            )
        };
        for ok in ["site", "author.urn"] {
            let m = Manifest::parse(&doc(ok), Format::Json, "d.json").unwrap();
            assert_eq!(m.identity_field.as_deref(), Some(ok));
            assert!(m.to_document().contains("\"identity_field\""));
        }
        for (bad, needle) in [
            ("nope", "is not a property"),
            ("count", "must be a string property"),
            ("pass", "is a secret"),
            ("author", "must be a string property"),
            ("author..urn", "dotted path"),
            ("token", "is not a property"),
        ] {
            let err = Manifest::parse(&doc(bad), Format::Json, "d.json")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("d.json: /identity_field: "), "{err}");
            assert!(err.contains(needle), "{needle} not in {err}");
        }
        let config = serde_json::json!({"site": "https://x.example", "author": {"urn": ""}});
        assert_eq!(text_at(&config, "site"), Some("https://x.example"));
        assert_eq!(text_at(&config, "author.urn"), None);
        assert_eq!(text_at(&config, "missing.deep"), None);
    }

    #[test]
    fn check_blocks_are_validated_at_import_naming_the_pointer() {
        let with_check = |check: &str| {
            MINIMAL.replacen(
                "\"capabilities\"",
                &format!("\"check\": {check}, \"capabilities\""),
                1,
            )
        };
        let good = with_check(
            r#"{"request": {"method": "GET", "url": "https://api.example.com/me?z={{config.z}}"},
                "auth": {"style": "bearer", "token": "{{auth.token}}"}, "identity": "/name"}"#,
        );
        let m = Manifest::parse(&good, Format::Json, "demo.json").unwrap();
        let check = m.check.as_ref().unwrap();
        assert_eq!(check.auth.style(), "bearer");
        assert_eq!(Manifest::from_document(&m.to_document()).unwrap(), m);
        for (check, needle) in [
            (
                r#"{"request": {"method": "GET", "url": "https://api.example.com/{{config.nope}}"},
                    "auth": {"style": "bearer", "token": "{{auth.token}}"}}"#,
                "demo.json: /check/request/url: unknown field `config.nope`",
            ),
            (
                r#"{"request": {"method": "GET", "url": "https://api.example.com/?t={{auth.token}}"},
                    "auth": {"style": "bearer", "token": "{{auth.token}}"}}"#,
                "demo.json: /check/request/url: secret `auth.token` cannot go here",
            ),
            (
                r#"{"request": {"method": "GET", "url": "https://api.example.com/"},
                    "auth": {"style": "bearer", "token": "{{auth.tok}}"}}"#,
                "demo.json: /check/auth/token: unknown field `auth.tok`",
            ),
            (
                r#"{"request": {"method": "GET", "url": "https://api.example.com/"},
                    "auth": {"style": "kerberos"}}"#,
                "demo.json: invalid manifest",
            ),
        ] {
            let err = Manifest::parse(&with_check(check), Format::Json, "demo.json")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(needle),
                "{needle}\n not at the start of {err}"
            );
        }
    }

    #[test]
    fn a_check_cannot_name_a_config_property_that_is_or_holds_a_secret() {
        let manifest = |z: &str| {
            MINIMAL
                .replace(r#""z": {"type": "string"}"#, &format!(r#""z": {z}"#))
                .replacen(
                    "\"capabilities\"",
                    r#""check": {"request": {"method": "GET", "url": "https://api.example.com/me?z={{config.z}}"},
                        "auth": {"style": "bearer", "token": "{{auth.token}}"}}, "capabilities""#,
                    1,
                )
        };
        assert!(
            Manifest::parse(
                &manifest(r#"{"type": "string"}"#),
                Format::Json,
                "demo.json"
            )
            .is_ok()
        );
        for z in [
            r#"{"type": "string", "writeOnly": true}"#,
            r#"{"type": "string", "airbyte_secret": true}"#,
            r#"{"type": "object", "properties": {"key": {"type": "string", "writeOnly": true}}}"#,
        ] {
            let err = Manifest::parse(&manifest(z), Format::Json, "demo.json")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("demo.json: /check/request/url: unknown field `config.z`"),
                "{z}: {err}"
            );
        }
    }

    #[test]
    fn built_in_manifests_carry_their_checks() {
        for (file, style, url) in [
            (
                "wordpress.json",
                "basic",
                "{{config.site_url}}/wp-json/wp/v2/users/me?context=edit",
            ),
            ("medium.json", "bearer", "https://api.medium.com/v1/me"),
            ("twitter.json", "oauth1", "https://api.x.com/2/users/me"),
            (
                "linkedin.json",
                "bearer",
                "https://api.linkedin.com/v2/userinfo",
            ),
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("catalog")
                .join(file);
            let text = std::fs::read_to_string(path).unwrap();
            let m = Manifest::parse(&text, Format::Json, file).unwrap();
            let check = m.check.expect(file);
            assert_eq!(check.auth.style(), style, "{file}");
            assert_eq!(check.request.url, url, "{file}");
            assert_eq!(check.request.allow_http, file == "wordpress.json");
            assert!(check.identity.is_some());
            assert!(check.rules.iter().any(|r| r.status == 401), "{file}");
        }
    }

    #[test]
    fn oauth_blocks_are_validated_at_import_and_choose_the_check_auth() {
        let with = |oauth: &str, check_extra: &str| {
            MINIMAL
                .replace(r#""auth_type": "api_key""#, r#""auth_type": "oauth""#)
                .replace(
                    r#""token": {"type": "string"}"#,
                    r#""token": {"type": "string"}, "oauth_token": {"type": "string"}"#,
                )
                .replacen(
                    "\"capabilities\"",
                    &format!(
                        r#"{oauth} "check": {{"request": {{"method": "GET", "url": "https://api.example.com/me"}},
                            "auth": {{"style": "header", "name": "X-Key", "value": "{{{{auth.token}}}}"}}{check_extra}}},
                            "capabilities""#
                    ),
                    1,
                )
        };
        let oauth = r#""oauth": {"authorization_url": "https://p.example/authorize",
            "token_url": "https://p.example/token", "tokens": {"access_token": "oauth_token"}},"#;
        let bearer = r#", "oauth_auth": {"style": "bearer", "token": "{{auth.oauth_token}}"}"#;
        let m = Manifest::parse(&with(oauth, bearer), Format::Json, "demo.json").unwrap();
        assert_eq!(Manifest::from_document(&m.to_document()).unwrap(), m);
        assert_eq!(m.oauth_access_token(), Some("oauth_token"));
        let pasted = m.check_for(|n| n == "token").unwrap();
        assert_eq!(pasted.auth.style(), "header");
        let connected = m.check_for(|n| n == "oauth_token").unwrap();
        assert_eq!(connected.auth.style(), "bearer");
        for (text, needle) in [
            (
                with("", bearer),
                "demo.json: /check/oauth_auth: an auth part for OAuth 2.0 needs an `oauth` block",
            ),
            (
                with(
                    oauth,
                    r#", "oauth_auth": {"style": "bearer", "token": "{{auth.nope}}"}"#,
                ),
                "demo.json: /check/oauth_auth/token: unknown field `auth.nope`",
            ),
            (
                with(&oauth.replace("oauth_token", "missing"), ""),
                "demo.json: /oauth/tokens/access_token: `auth_schema` has no property `missing`",
            ),
            (
                with(oauth, "").replace(r#""auth_type": "oauth""#, r#""auth_type": "api_key""#),
                "demo.json: /oauth: an `oauth` block needs `auth_type: oauth`",
            ),
        ] {
            let err = Manifest::parse(&text, Format::Json, "demo.json")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(needle),
                "{needle}\n not at the start of {err}"
            );
        }
    }

    #[test]
    fn the_built_in_x_entry_connects_with_oauth_2_or_takes_oauth_1_keys() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/twitter.json");
        let text = std::fs::read_to_string(path).unwrap();
        let m = Manifest::parse(&text, Format::Json, "twitter.json").unwrap();
        let oauth = m.oauth.as_ref().expect("X has an oauth block");
        assert_eq!(oauth.authorization_url, "https://x.com/i/oauth2/authorize");
        assert_eq!(oauth.token_url, "https://api.x.com/2/oauth2/token");
        assert_eq!(
            oauth.revocation_url.as_deref(),
            Some("https://api.x.com/2/oauth2/revoke")
        );
        assert_eq!(oauth.pkce.as_str(), "S256");
        assert_eq!(oauth.client_auth.as_str(), "client_secret_basic");
        assert!(oauth.scopes.iter().any(|s| s == "offline.access"));
        assert!(oauth.scopes.iter().any(|s| s == "tweet.write"));
        let keys = m.check_for(|n| n == "api_key").unwrap();
        assert_eq!(keys.auth.style(), "oauth1");
        let tokens = m.check_for(|n| n == "oauth2_access_token").unwrap();
        assert_eq!(tokens.auth.style(), "bearer");
    }

    #[test]
    fn a_single_value_examples_counts_as_a_list() {
        let text = MINIMAL.replace(
            r#""z": {"type": "string"}"#,
            r#""z": {"type": "string", "examples": 5, "properties": {}}, "c": {"const": {"examples": 1}}"#,
        );
        let m = Manifest::parse(&text, Format::Json, "demo.json").unwrap();
        let v = compile_schema(&m.default_config_schema).unwrap();
        assert!(v.is_valid(&serde_json::json!({"c": {"examples": 1}})));
        assert!(!v.is_valid(&serde_json::json!({"c": {"examples": [1]}})));
    }

    #[test]
    fn built_in_style_format_detection() {
        assert_eq!(Format::from_path(Path::new("a.JSON")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("a.yml")), Some(Format::Yaml));
        assert_eq!(Format::from_path(Path::new("a.txt")), None);
    }
}
