//! The walker's refusals and the form model it builds.

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
