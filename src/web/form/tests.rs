//! Forms from the model, and form bodies back into JSON.

use super::*;
use crate::domain::schema::SchemaRole;
use serde_json::json;

fn config_model(schema: &Value) -> FormSchema {
    FormSchema::build(schema, "/default_config_schema", SchemaRole::Config).unwrap()
}

fn auth_model(schema: &Value) -> FormSchema {
    FormSchema::build(schema, "/auth_schema", SchemaRole::Secrets).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> FormData {
    let mut f = FormData::new();
    for (k, v) in pairs {
        f.entry(k.to_string()).or_default().push(v.to_string());
    }
    f
}

#[test]
fn fields_follow_order_types_and_defaults() {
    let schema = json!({
        "type": "object",
        "properties": {
            "b": {"type": "boolean", "title": "Flag", "default": true, "order": 3},
            "a": {"type": "string", "format": "uri", "title": "Site", "description": "Where", "pattern": "^https://", "patternDescription": "must start with https://", "order": 1},
            "n": {"type": "integer", "minimum": 1, "maximum": 9, "order": 2},
            "e": {"type": "string", "enum": ["x", "y"], "default": "y"},
            "l": {"type": "array", "items": {"type": "string"}},
            "o": {"type": "object", "title": "Nested", "properties": {"z": {"type": "string"}}}
        },
        "required": ["a"]
    });
    let mut errors = FieldErrors::new();
    errors.insert("config.a".into(), vec!["is required".into()]);
    let items = config_items(&config_model(&schema), None, &errors);
    let names: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Item::Field(f) => Some(f.name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        [
            "config.a",
            "config.n",
            "config.b",
            "config.e",
            "config.l",
            "config.o.z"
        ]
    );
    let Item::Field(a) = &items[0] else { panic!() };
    assert_eq!(a.input_type(), "url");
    assert!(a.required);
    assert_eq!(a.errors, ["is required"]);
    assert_eq!(a.pattern_help.as_deref(), Some("Must start with https://"));
    let Item::Field(n) = &items[1] else { panic!() };
    assert_eq!(
        (n.min.as_deref(), n.max.as_deref(), n.step()),
        (Some("1"), Some("9"), "1")
    );
    let Item::Field(b) = &items[2] else { panic!() };
    assert!(b.is_checkbox() && b.checked);
    let Item::Field(e) = &items[3] else { panic!() };
    assert_eq!(e.value, "y");
    assert!(matches!(items[5], Item::FieldsetStart { .. }));
}

#[test]
fn form_bodies_decode_by_schema_type() {
    let schema = json!({
        "type": "object",
        "properties": {
            "url": {"type": "string"},
            "n": {"type": "integer"},
            "bad": {"type": "integer"},
            "flag": {"type": "boolean"},
            "off": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "empty": {"type": "string"},
            "author": {"type": "object", "oneOf": [
                {"type": "object", "properties": {"type": {"const": "person"}, "urn": {"type": "string"}}},
                {"type": "object", "properties": {"type": {"const": "org"}, "id": {"type": "integer"}}}
            ]}
        }
    });
    let f = form(&[
        ("config.url", "https://x"),
        ("config.n", "5"),
        ("config.bad", "five"),
        ("config.flag", "true"),
        ("config.tags", "a\n\n b \n"),
        ("config.empty", ""),
        ("config.author.type", "org"),
        ("config.author.id", "42"),
        ("config.author.urn", "ignored"),
    ]);
    let v = decode_config(&config_model(&schema), &f);
    assert_eq!(
        v,
        json!({"url": "https://x", "n": 5, "bad": "five", "flag": true, "off": false, "tags": ["a", "b"], "author": {"type": "org", "id": 42}})
    );
    let auth =
        json!({"type": "object", "properties": {"k": {"type": "string"}, "j": {"type": "string"}}});
    assert_eq!(
        decode_auth(
            &auth_model(&auth),
            &form(&[("auth.k", "v"), ("auth.j", "")])
        ),
        json!({"k": "v"})
    );
    assert_eq!(
        decode_tags(&form(&[("tags", "a, b,,c ")])),
        json!(["a", "b", "c"])
    );
}
