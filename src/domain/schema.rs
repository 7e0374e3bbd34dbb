//! What a catalog schema may contain so that the web UI can render it as a
//! form, checked once at import.
//!
//! The form generator renders: objects (nested as fieldsets), strings
//! (with `format`, `pattern`, `enum`), integers and numbers (with limits),
//! booleans, arrays of strings, `oneOf` of objects told apart by a `const`
//! property, and `$ref`s inside the document. Annotations it does not use
//! (`examples`, `$comment`, `x-…`) are ignored; anything structural it
//! cannot render is refused, naming the keyword and its JSON pointer.

use serde_json::{Map, Value};

/// Why a schema was refused: the keyword, where it is, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    pub keyword: String,
    /// JSON pointer of the offending keyword, from the manifest root.
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "keyword `{}` at {}: {}",
            self.keyword, self.path, self.reason
        )
    }
}

/// Keywords that carry no structure: allowed anywhere and ignored by forms
/// unless they use them (`title`, `description`, `default`, `order`…).
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    "order",
    "patternDescription",
];

/// Structural keywords that a form cannot render.
const UNRENDERABLE: &[&str] = &[
    "allOf",
    "anyOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "additionalItems",
    "contains",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Validation keywords a form renders or the server enforces.
const SUPPORTED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "oneOf",
    "$ref",
    "$defs",
    "definitions",
];

const SCALAR_TYPES: &[&str] = &["string", "integer", "number", "boolean"];

/// Which of the two manifest schemas is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaRole {
    /// `default_config_schema`: the whole form vocabulary.
    Config,
    /// `auth_schema`: a flat object of string secrets.
    Secrets,
}

struct Walker<'a> {
    root: &'a Value,
    /// JSON pointer prefix of the schema inside the manifest.
    base: &'a str,
    ref_stack: Vec<String>,
}

fn issue(keyword: &str, path: String, reason: impl Into<String>) -> SchemaIssue {
    SchemaIssue {
        keyword: keyword.to_string(),
        path,
        reason: reason.into(),
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Checks that `schema` (found at `base`, a JSON pointer inside the
/// manifest) can be rendered as a form.
pub fn check_renderable(schema: &Value, base: &str, role: SchemaRole) -> Result<(), SchemaIssue> {
    let mut w = Walker {
        root: schema,
        base,
        ref_stack: Vec::new(),
    };
    let top = w.node(schema, "")?;
    let Some(obj) = top.as_object() else {
        unreachable!("node() only returns objects");
    };
    if schema_type(obj) != Some("object") {
        return Err(issue(
            "type",
            format!("{base}/type"),
            "the top level must be `\"type\": \"object\"`",
        ));
    }
    if role == SchemaRole::Secrets {
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let path = format!("/properties/{}", escape(name));
                let resolved = w.resolve(prop, &path)?;
                let ty = resolved.as_object().and_then(schema_type);
                if ty != Some("string") {
                    return Err(issue(
                        "type",
                        format!("{base}{path}"),
                        "every secret in auth_schema must be `\"type\": \"string\"`",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The schema one secret of `auth_schema` is checked against on its own:
/// a reference to that property inside a copy of the document's
/// `properties`, `$defs` and `definitions`, so that every reference inside
/// the document (`#/$defs/…`, `#/definitions/…`, `#/properties/…`) still
/// points where it did, while the object-level keywords of the document
/// (`type`, `required`…) do not apply to the secret's value. `None` when
/// there is no such property.
pub fn secret_schema(auth_schema: &Value, name: &str) -> Option<Value> {
    let props = auth_schema.get("properties")?;
    props.get(name)?;
    let mut out = Map::new();
    out.insert(
        "$ref".into(),
        Value::String(format!("#/properties/{}", escape(name))),
    );
    out.insert("properties".into(), props.clone());
    for key in ["$defs", "definitions"] {
        if let Some(defs) = auth_schema.get(key) {
            out.insert(key.into(), defs.clone());
        }
    }
    Some(Value::Object(out))
}

/// The single `type` of a schema object, inferred from `properties` when
/// absent.
pub fn schema_type(obj: &Map<String, Value>) -> Option<&str> {
    match obj.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        None if obj.contains_key("properties") => Some("object"),
        _ => None,
    }
}

impl<'a> Walker<'a> {
    fn at(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Follows a `$ref` chain inside the document.
    fn resolve(&mut self, node: &'a Value, path: &str) -> Result<&'a Value, SchemaIssue> {
        let mut current = node;
        let mut seen: Vec<&str> = Vec::new();
        while let Some(r) = current.get("$ref").and_then(Value::as_str) {
            let Some(pointer) = r.strip_prefix('#') else {
                return Err(issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "only references inside the same document (`#/$defs/…`) can be rendered",
                ));
            };
            if seen.contains(&r) {
                return Err(issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "circular reference",
                ));
            }
            seen.push(r);
            let decoded: String = pointer
                .split('/')
                .map(unescape)
                .collect::<Vec<_>>()
                .join("/");
            current = self.root.pointer(&decoded).ok_or_else(|| {
                issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "the reference does not point at anything in this document",
                )
            })?;
        }
        Ok(current)
    }

    /// Checks one schema node at `path` (relative to the schema root) and
    /// returns the node after `$ref` resolution.
    fn node(&mut self, node: &'a Value, path: &str) -> Result<&'a Value, SchemaIssue> {
        let Some(obj) = node.as_object() else {
            return Err(issue(
                "(schema)",
                self.at(path),
                "a schema here must be an object",
            ));
        };
        for key in obj.keys() {
            let k = key.as_str();
            if k.starts_with("x-") || ANNOTATIONS.contains(&k) || SUPPORTED.contains(&k) {
                continue;
            }
            let reason = if UNRENDERABLE.contains(&k) {
                "this keyword cannot be rendered as a form"
            } else {
                "unknown keyword (vendor extensions must start with `x-`)"
            };
            return Err(issue(k, self.at(&format!("{path}/{}", escape(k))), reason));
        }
        if let Some(defs) = obj.get("$defs").or_else(|| obj.get("definitions")) {
            let defs_key = if obj.contains_key("$defs") {
                "$defs"
            } else {
                "definitions"
            };
            let Some(map) = defs.as_object() else {
                return Err(issue(
                    defs_key,
                    self.at(&format!("{path}/{defs_key}")),
                    "must be an object",
                ));
            };
            for (name, def) in map {
                self.node(def, &format!("{path}/{defs_key}/{}", escape(name)))?;
            }
        }
        if let Some(r) = obj.get("$ref") {
            let Some(r) = r.as_str() else {
                return Err(issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "must be a string",
                ));
            };
            if self.ref_stack.iter().any(|s| s == r) {
                return Err(issue(
                    "$ref",
                    self.at(&format!("{path}/$ref")),
                    "recursive schemas cannot be rendered as a form",
                ));
            }
            let target = self.resolve(node, path)?;
            self.ref_stack.push(r.to_string());
            let out = self.node(target, path);
            self.ref_stack.pop();
            return out;
        }
        if let Some(t) = obj.get("type") {
            match t {
                Value::String(s)
                    if SCALAR_TYPES.contains(&s.as_str()) || s == "object" || s == "array" => {}
                Value::String(_) => {
                    return Err(issue(
                        "type",
                        self.at(&format!("{path}/type")),
                        "only object, string, integer, number, boolean and array can be rendered",
                    ));
                }
                _ => {
                    return Err(issue(
                        "type",
                        self.at(&format!("{path}/type")),
                        "a list of types cannot be rendered; use a single type",
                    ));
                }
            }
        }
        let ty = schema_type(obj);
        if ty.is_none()
            && !obj.contains_key("enum")
            && !obj.contains_key("const")
            && !obj.contains_key("oneOf")
        {
            return Err(issue(
                "type",
                self.at(path),
                "every field needs a `type` (or `enum`, `const`, `oneOf`)",
            ));
        }
        if let Some(ap) = obj.get("additionalProperties") {
            if !ap.is_boolean() {
                return Err(issue(
                    "additionalProperties",
                    self.at(&format!("{path}/additionalProperties")),
                    "only `true` or `false` can be rendered",
                ));
            }
        }
        if let Some(props) = obj.get("properties") {
            let Some(props) = props.as_object() else {
                return Err(issue(
                    "properties",
                    self.at(&format!("{path}/properties")),
                    "must be an object",
                ));
            };
            for (name, prop) in props {
                self.node(prop, &format!("{path}/properties/{}", escape(name)))?;
            }
            if let Some(req) = obj.get("required") {
                let ok = req.as_array().is_some_and(|a| {
                    a.iter()
                        .all(|r| r.as_str().is_some_and(|r| props.contains_key(r)))
                });
                if !ok {
                    return Err(issue(
                        "required",
                        self.at(&format!("{path}/required")),
                        "must list names of properties defined in `properties`",
                    ));
                }
            }
        }
        if ty == Some("array") {
            let Some(items) = obj.get("items") else {
                return Err(issue(
                    "items",
                    self.at(path),
                    "an array needs `items` describing its strings",
                ));
            };
            let items_path = format!("{path}/items");
            let resolved = self.node(items, &items_path)?;
            let item_ty = resolved.as_object().and_then(schema_type);
            let string_enum = resolved
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.iter().all(Value::is_string));
            if !(item_ty == Some("string") || (item_ty.is_none() && string_enum)) {
                return Err(issue(
                    "items",
                    self.at(&items_path),
                    "only arrays of strings can be rendered (arrays of objects or arrays are not supported)",
                ));
            }
        } else if obj.contains_key("items") {
            return Err(issue(
                "items",
                self.at(&format!("{path}/items")),
                "`items` only applies to `\"type\": \"array\"`",
            ));
        }
        if let Some(one_of) = obj.get("oneOf") {
            self.one_of(one_of, &format!("{path}/oneOf"))?;
        }
        Ok(node)
    }

    /// `oneOf` must list object schemas that share a property holding a
    /// distinct `const` in each branch, so the form can offer a choice.
    fn one_of(&mut self, one_of: &'a Value, path: &str) -> Result<(), SchemaIssue> {
        let bad = |w: &Self| {
            issue(
                "oneOf",
                w.at(path),
                "`oneOf` must list object schemas told apart by a property with a distinct `const` in each",
            )
        };
        let Some(branches) = one_of.as_array() else {
            return Err(bad(self));
        };
        if branches.is_empty() {
            return Err(bad(self));
        }
        let mut resolved: Vec<&Map<String, Value>> = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let r = self.node(b, &format!("{path}/{i}"))?;
            match r.as_object() {
                Some(o) if schema_type(o) == Some("object") => resolved.push(o),
                _ => return Err(bad(self)),
            }
        }
        if discriminator(&resolved).is_none() {
            return Err(bad(self));
        }
        Ok(())
    }
}

/// The name of the property that tells `oneOf` branches apart: present in
/// every branch with a `const`, all different.
pub fn discriminator(branches: &[&Map<String, Value>]) -> Option<String> {
    let first = branches.first()?.get("properties")?.as_object()?;
    'candidates: for name in first.keys() {
        let mut seen: Vec<&Value> = Vec::new();
        for b in branches {
            let Some(c) = b
                .get("properties")
                .and_then(|p| p.get(name))
                .and_then(|p| p.get("const"))
            else {
                continue 'candidates;
            };
            if seen.contains(&c) {
                continue 'candidates;
            }
            seen.push(c);
        }
        return Some(name.clone());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value) -> Result<(), SchemaIssue> {
        check_renderable(&schema, "/default_config_schema", SchemaRole::Config)
    }

    #[test]
    fn accepts_the_form_vocabulary() {
        let s = json!({
            "type": "object",
            "$defs": {"urn": {"type": "string", "pattern": "^urn:", "patternDescription": "starts with urn:"}},
            "properties": {
                "url": {"type": "string", "format": "uri", "title": "URL", "x-widget": "big", "examples": ["https://a"]},
                "n": {"type": "integer", "minimum": 1, "maximum": 5, "default": 2, "order": 2},
                "flag": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                "pick": {"enum": ["a", "b"]},
                "nested": {"type": "object", "properties": {"x": {"$ref": "#/$defs/urn"}}},
                "author": {"type": "object", "oneOf": [
                    {"type": "object", "title": "Person", "properties": {"kind": {"const": "person"}, "urn": {"type": "string"}}},
                    {"type": "object", "title": "Org", "properties": {"kind": {"const": "org"}, "id": {"type": "integer"}}}
                ]}
            },
            "required": ["url"],
            "additionalProperties": false
        });
        check(s).unwrap();
    }

    #[test]
    fn refuses_structural_keywords_naming_keyword_and_path() {
        let cases = [
            (
                json!({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}}),
                "anyOf",
                "/default_config_schema/properties/a/anyOf",
            ),
            (
                json!({"type": "object", "allOf": []}),
                "allOf",
                "/default_config_schema/allOf",
            ),
            (
                json!({"type": "object", "if": {}, "then": {}}),
                "if",
                "/default_config_schema/if",
            ),
            (
                json!({"type": "object", "patternProperties": {}}),
                "patternProperties",
                "/default_config_schema/patternProperties",
            ),
            (
                json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/s.json"}}}),
                "$ref",
                "/default_config_schema/properties/a/$ref",
            ),
            (
                json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "object", "properties": {}}}}}),
                "items",
                "/default_config_schema/properties/l/items",
            ),
            (
                json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}),
                "type",
                "/default_config_schema/properties/a/type",
            ),
            (
                json!({"type": "object", "properties": {"a": {"type": "string", "frobnicate": 1}}}),
                "frobnicate",
                "/default_config_schema/properties/a/frobnicate",
            ),
            (
                json!({"type": "string"}),
                "type",
                "/default_config_schema/type",
            ),
            (
                json!({"type": "object", "properties": {"o": {"oneOf": [{"type": "object", "properties": {"k": {"type": "string"}}}]}}}),
                "oneOf",
                "/default_config_schema/properties/o/oneOf",
            ),
        ];
        for (schema, keyword, path) in cases {
            let err = check(schema.clone()).unwrap_err();
            assert_eq!(err.keyword, keyword, "{schema}");
            assert_eq!(err.path, path, "{schema}");
        }
    }

    #[test]
    fn a_secret_schema_keeps_every_reference_of_the_document() {
        for defs_key in ["$defs", "definitions"] {
            let auth = json!({
                "type": "object",
                defs_key: {"tok": {"type": "string", "minLength": 4}},
                "properties": {
                    "a/b": {"$ref": format!("#/{defs_key}/tok")},
                    "c": {"$ref": "#/properties/a~1b"}
                },
                "required": ["a/b"]
            });
            for name in ["a/b", "c"] {
                let schema = secret_schema(&auth, name).unwrap();
                let v = crate::domain::catalog::compile_schema(&schema).unwrap();
                assert!(v.is_valid(&json!("long enough")), "{defs_key} {name}");
                assert!(!v.is_valid(&json!("abc")), "{defs_key} {name}");
            }
            assert!(secret_schema(&auth, "missing").is_none());
        }
    }

    #[test]
    fn secrets_must_be_strings() {
        let ok = json!({"type": "object", "properties": {"k": {"type": "string"}}});
        check_renderable(&ok, "/auth_schema", SchemaRole::Secrets).unwrap();
        let bad = json!({"type": "object", "properties": {"k": {"type": "integer"}}});
        let err = check_renderable(&bad, "/auth_schema", SchemaRole::Secrets).unwrap_err();
        assert_eq!(err.path, "/auth_schema/properties/k");
    }
}
