//! The walker's refusals and the form model it builds.

use super::*;
use crate::domain::schema::model;
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
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}}),
            "items",
            "/default_config_schema/properties/l/items",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": ["string", "integer"]}}}),
            "type",
            "/default_config_schema/properties/a/type",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": ["null"]}}}),
            "type",
            "/default_config_schema/properties/a/type",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "integer", "writeOnly": true}}}),
            "writeOnly",
            "/default_config_schema/properties/a/writeOnly",
        ),
        (
            json!({"type": "object", "properties": {"l": {"type": "array", "items": {
                "type": "object", "properties": {"s": {"type": "string", "airbyte_secret": true}}}}}}),
            "writeOnly",
            "/default_config_schema/properties/l/items",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "string", "multiline": "yes"}}}),
            "multiline",
            "/default_config_schema/properties/a/multiline",
        ),
        (
            json!({"type": "object", "groups": [{"title": "no id"}], "properties": {}}),
            "groups",
            "/default_config_schema/groups",
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
        (
            json!({"type": "object", "properties": {"e": {"type": "string", "enum": ["a", "b"], "x-enumNames": ["A"]}}}),
            "x-enumNames",
            "/default_config_schema/properties/e/x-enumNames",
        ),
        (
            json!({"type": "object", "properties": {"e": {"type": "string", "enum": ["a"], "x-enumNames": [1]}}}),
            "x-enumNames",
            "/default_config_schema/properties/e/x-enumNames",
        ),
        (
            json!({"type": "object", "properties": {"e": {"type": "string", "x-enumNames": ["A"]}}}),
            "x-enumNames",
            "/default_config_schema/properties/e/x-enumNames",
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

fn model(schema: Value) -> FormSchema {
    FormSchema::build(&schema, "/default_config_schema", SchemaRole::Config).unwrap()
}

fn names(object: &model::ObjectSchema) -> Vec<&str> {
    object.properties.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn the_model_keeps_form_order_required_and_annotations() {
    let m = model(json!({
        "type": "object",
        "properties": {
            "z": {"type": "string", "title": "Zed", "description": "Last letter", "default": "zz",
                  "format": "email", "pattern": "^z", "patternDescription": "starts with z",
                  "minLength": 1, "maxLength": 9},
            "a": {"type": "integer", "minimum": 1, "maximum": 5, "order": 2},
            "b": {"type": "number", "minimum": 0.5, "order": 1},
            "flag": {"type": "string", "airbyte_secret": true},
            "tags": {"type": "array", "items": {"type": "string"}},
            "pick": {"enum": ["x", "y"]},
            "fixed": {"const": 3}
        },
        "required": ["z", "a"]
    }));
    assert_eq!(
        names(&m.root),
        ["b", "a", "z", "flag", "tags", "pick", "fixed"]
    );
    let z = &m.root.get("z").unwrap();
    assert!(z.required);
    assert_eq!(z.node.title.as_deref(), Some("Zed"));
    assert_eq!(z.node.description.as_deref(), Some("Last letter"));
    assert_eq!(z.node.default, Some(json!("zz")));
    let model::Kind::String(rules) = &z.node.kind else {
        panic!("{:?}", z.node.kind)
    };
    assert_eq!(rules.format.as_deref(), Some("email"));
    assert_eq!(rules.pattern.as_deref(), Some("^z"));
    assert_eq!(rules.pattern_description.as_deref(), Some("starts with z"));
    assert_eq!((rules.min_length, rules.max_length), (Some(1), Some(9)));
    let a = m.root.get("a").unwrap();
    assert!(a.required);
    let model::Kind::Integer(l) = &a.node.kind else {
        panic!()
    };
    assert_eq!(
        (
            l.minimum.as_ref().map(ToString::to_string),
            l.maximum.as_ref().map(ToString::to_string)
        ),
        (Some("1".into()), Some("5".into()))
    );
    assert!(matches!(
        m.root.get("b").unwrap().node.kind,
        model::Kind::Number(_)
    ));
    let flag = &m.root.get("flag").unwrap().node;
    assert!(flag.secret && matches!(flag.kind, model::Kind::String(_)));
    let model::Kind::Array(item) = &m.root.get("tags").unwrap().node.kind else {
        panic!()
    };
    assert!(matches!(item.kind, model::Kind::String(_)));
    let pick = &m.root.get("pick").unwrap().node;
    assert_eq!(pick.kind, model::Kind::Untyped);
    assert_eq!(pick.options, Some(vec![json!("x"), json!("y")]));
    assert_eq!(m.root.get("fixed").unwrap().node.constant, Some(json!(3)));
}

#[test]
fn the_model_nests_objects_and_choices() {
    let m = model(json!({
        "type": "object",
        "properties": {
            "outer": {"type": "object", "title": "Outer", "properties": {
                "inner": {"properties": {"leaf": {"type": "string"}}, "required": ["leaf"]}
            }},
            "author": {"type": "object", "title": "Post as", "default": {"kind": "org"}, "oneOf": [
                {"type": "object", "title": "Person", "properties": {
                    "kind": {"const": "person"}, "urn": {"type": "string"}}, "required": ["urn"]},
                {"type": "object", "title": "Org", "properties": {
                    "id": {"type": "integer", "order": 2}, "kind": {"const": "org", "order": 1}}}
            ]}
        }
    }));
    let outer = m.root.get("outer").unwrap().node.as_object().unwrap();
    let inner = outer.get("inner").unwrap().node.as_object().unwrap();
    assert!(inner.get("leaf").unwrap().required);
    let model::Kind::OneOf(choice) = &m.root.get("author").unwrap().node.kind else {
        panic!()
    };
    assert_eq!(choice.discriminator, "kind");
    let values: Vec<&Value> = choice.branches.iter().map(|b| &b.value).collect();
    assert_eq!(values, [&json!("person"), &json!("org")]);
    assert_eq!(choice.branches[0].title.as_deref(), Some("Person"));
    assert!(choice.branches[0].object.get("urn").unwrap().required);
    assert_eq!(names(&choice.branches[1].object), ["kind", "id"]);
    // The properties beside `oneOf` (none here) are kept apart.
    assert_eq!(choice.object, Some(model::ObjectSchema::default()));
}

#[test]
fn the_model_follows_refs_to_defs_and_definitions() {
    for defs_key in ["$defs", "definitions"] {
        let m = model(json!({
            "type": "object",
            defs_key: {
                "urn": {"type": "string", "title": "URN", "pattern": "^urn:"},
                "box": {"type": "object", "properties": {"u": {"$ref": format!("#/{defs_key}/urn")}}}
            },
            "properties": {
                "late": {"type": "string"},
                "first": {"$ref": format!("#/{defs_key}/box"), "order": 1}
            }
        }));
        assert_eq!(names(&m.root), ["first", "late"], "{defs_key}");
        let boxed = m.root.get("first").unwrap().node.as_object().unwrap();
        let u = &boxed.get("u").unwrap().node;
        assert_eq!(u.title.as_deref(), Some("URN"));
        assert!(matches!(&u.kind, model::Kind::String(r) if r.pattern.as_deref() == Some("^urn:")));
    }
}

#[test]
fn every_property_of_auth_schema_is_a_secret() {
    let auth = json!({"type": "object", "properties": {"k": {"type": "string"}, "j": {"type": "string", "order": 0}}, "required": ["k"]});
    let m = FormSchema::build(&auth, "/auth_schema", SchemaRole::Secrets).unwrap();
    assert_eq!(names(&m.root), ["j", "k"]);
    assert!(m.root.properties.iter().all(|p| p.node.secret));
    assert!(m.root.get("k").unwrap().required);
    let config = model(json!({"type": "object", "properties": {"k": {"type": "string"}}}));
    assert!(!config.root.get("k").unwrap().node.secret);
}

#[test]
fn the_refusal_is_the_builders_error() {
    let bad = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}});
    let err = FormSchema::build(&bad, "/default_config_schema", SchemaRole::Config).unwrap_err();
    assert_eq!(err, check(bad).unwrap_err());
    assert_eq!(
        err.to_string(),
        "keyword `$ref` at /default_config_schema/properties/a/$ref: the reference does not point at anything in this document"
    );
    let looped = json!({"type": "object", "$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}}}}, "properties": {"n": {"$ref": "#/$defs/n"}}});
    let err = check(looped).unwrap_err();
    assert_eq!(
        (err.keyword.as_str(), err.reason.as_str()),
        ("$ref", "recursive schemas cannot be rendered as a form")
    );
}

#[test]
fn secrets_are_strings_outside_arrays() {
    let with = |prop: Value| json!({"type": "object", "properties": {"p": prop}});
    for keyword in ["writeOnly", "airbyte_secret"] {
        let nested = with(json!({"type": "object", "properties": {
            "s": {"type": "string", keyword: true}}}));
        let m = model(nested);
        let inner = m.root.get("p").unwrap().node.as_object().unwrap();
        assert!(inner.get("s").unwrap().node.secret, "{keyword}");
        for (bad, reason) in [
            (json!({"type": "boolean", keyword: true}), "must be"),
            (
                json!({"type": "object", keyword: true, "properties": {}}),
                "must be",
            ),
            (
                json!({"type": "string", "const": "x", keyword: true}),
                "fixed value",
            ),
        ] {
            let err = check(with(bad.clone())).unwrap_err();
            assert_eq!(err.keyword, keyword, "{bad}");
            assert_eq!(
                err.path,
                format!("/default_config_schema/properties/p/{keyword}")
            );
            assert!(err.reason.contains(reason), "{}", err.reason);
        }
        let in_array = with(json!({"type": "array", "items": {"type": "string", keyword: true}}));
        let err = check(in_array).unwrap_err();
        assert_eq!(err.path, "/default_config_schema/properties/p/items");
        assert!(err.reason.contains("inside an array"), "{}", err.reason);
    }
    // Marked beside a reference, or on the definition it points at.
    let m = model(json!({"type": "object",
        "$defs": {"s": {"type": "string"}, "t": {"type": "string", "writeOnly": true}},
        "properties": {"a": {"$ref": "#/$defs/s", "airbyte_secret": true}, "b": {"$ref": "#/$defs/t"}}}));
    assert!(m.root.get("a").unwrap().node.secret);
    assert!(m.root.get("b").unwrap().node.secret);
    let err = check(
        json!({"type": "object", "$defs": {"n": {"type": "integer"}},
        "properties": {"a": {"$ref": "#/$defs/n", "writeOnly": true}}}),
    )
    .unwrap_err();
    assert_eq!(err.path, "/default_config_schema/properties/a/writeOnly");
    // `false` marks nothing.
    let m = model(with(
        json!({"type": "integer", "writeOnly": false, "airbyte_secret": false}),
    ));
    assert!(!m.root.get("p").unwrap().node.secret);
}

#[test]
fn unknown_keywords_are_warnings_with_their_pointer() {
    let m = model(json!({
        "type": "object",
        "$defs": {"d": {"type": "string", "tittle": "typo"}},
        "properties": {
            "a": {"type": "string", "example": "x", "min": 1},
            "b": {"$ref": "#/$defs/d"},
            "c": {"type": "array", "item": "string"}
        }
    }));
    let found: Vec<(&str, &str)> = m
        .warnings
        .iter()
        .map(|w| (w.keyword.as_str(), w.path.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("tittle", "/default_config_schema/$defs/d/tittle"),
            ("example", "/default_config_schema/properties/a/example"),
            ("min", "/default_config_schema/properties/a/min"),
            ("item", "/default_config_schema/properties/c/item"),
        ]
    );
    assert_eq!(
        m.warnings[1].to_string(),
        "keyword `example` at /default_config_schema/properties/a/example: unknown keyword, ignored"
    );
    // Known keywords, Airbyte's among them, and `x-` extensions warn of nothing.
    let quiet = model(json!({
        "type": "object",
        "groups": [{"id": "g", "title": "G"}],
        "properties": {"a": {"type": "string", "x-any": 1, "airbyte_hidden": false, "group": "g",
            "always_show": true, "multiline": true, "pattern_descriptor": "p", "examples": ["e"], "order": 1}}
    }));
    assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
}

#[test]
fn a_type_with_null_is_that_type_and_an_array_without_items_holds_strings() {
    let m = model(json!({
        "type": "object",
        "properties": {
            "s": {"type": ["string", "null"], "pattern": "^a"},
            "n": {"type": ["null", "integer"], "minimum": 1},
            "l": {"type": "array"}
        }
    }));
    assert!(
        matches!(&m.root.get("s").unwrap().node.kind, model::Kind::String(r) if r.pattern.as_deref() == Some("^a"))
    );
    assert!(matches!(
        m.root.get("n").unwrap().node.kind,
        model::Kind::Integer(_)
    ));
    let model::Kind::Array(item) = &m.root.get("l").unwrap().node.kind else {
        panic!()
    };
    assert!(matches!(item.kind, model::Kind::String(_)));
}

#[test]
fn airbyte_ui_keywords_land_on_the_model() {
    let m = model(json!({
        "type": "object",
        "groups": [{"id": "conn", "title": "Connection"}, {"id": "adv"}],
        "properties": {
            "h": {"type": "string", "airbyte_hidden": true, "default": "kept"},
            "t": {"type": "string", "multiline": true, "group": "conn", "always_show": true,
                  "examples": ["SELECT 1"], "pattern": "^S", "pattern_descriptor": "starts with S"},
            "c": {"type": "object", "display_type": "radio", "oneOf": [
                {"type": "object", "properties": {"m": {"type": "string", "enum": ["a"]}}},
                {"type": "object", "properties": {"m": {"type": "string", "enum": ["b"]}, "x": {"type": "integer"}}}
            ]},
            "d": {"type": "object", "display_type": "carousel", "oneOf": [
                {"type": "object", "properties": {"m": {"const": "a"}}}
            ]}
        }
    }));
    assert_eq!(
        m.groups,
        [
            model::Group {
                id: "conn".into(),
                title: Some("Connection".into())
            },
            model::Group {
                id: "adv".into(),
                title: None
            }
        ]
    );
    let h = &m.root.get("h").unwrap().node;
    assert!(h.hidden && h.default == Some(json!("kept")));
    let t = &m.root.get("t").unwrap().node;
    assert_eq!(
        (t.group.as_deref(), t.always_show, t.example.as_deref()),
        (Some("conn"), true, Some("SELECT 1"))
    );
    let model::Kind::String(rules) = &t.kind else {
        panic!()
    };
    assert!(rules.multiline);
    assert_eq!(rules.pattern_description.as_deref(), Some("starts with S"));
    let model::Kind::OneOf(c) = &m.root.get("c").unwrap().node.kind else {
        panic!()
    };
    // A single-value `enum` tells the branches apart like a `const`.
    assert_eq!(c.display, model::Display::Radio);
    assert_eq!(c.discriminator, "m");
    let values: Vec<&Value> = c.branches.iter().map(|b| &b.value).collect();
    assert_eq!(values, [&json!("a"), &json!("b")]);
    assert_eq!(
        c.branches[1].object.get("m").unwrap().node.constant,
        Some(json!("b"))
    );
    let model::Kind::OneOf(d) = &m.root.get("d").unwrap().node.kind else {
        panic!()
    };
    assert_eq!(d.display, model::Display::Dropdown);
    assert_eq!(m.warnings.len(), 1);
    assert_eq!(
        m.warnings[0].path,
        "/default_config_schema/properties/d/display_type"
    );
}

#[test]
fn auth_schema_accepts_airbyte_secret() {
    let auth =
        json!({"type": "object", "properties": {"k": {"type": "string", "airbyte_secret": true}}});
    let m = FormSchema::build(&auth, "/auth_schema", SchemaRole::Secrets).unwrap();
    assert!(m.root.get("k").unwrap().node.secret);
}

#[test]
fn arrays_of_objects_are_rows_with_their_limits() {
    let m = model(json!({
        "type": "object",
        "properties": {
            "reports": {"type": "array", "minItems": 1, "maxItems": 3, "items": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "days": {"type": "integer"}}
            }}
        }
    }));
    let model::Kind::Rows(rows) = &m.root.get("reports").unwrap().node.kind else {
        panic!()
    };
    assert_eq!((rows.min_items, rows.max_items), (Some(1), Some(3)));
    assert_eq!(names(&rows.item), ["name", "days"]);
    assert!(rows.item.get("name").unwrap().required);
    let choice = json!({"type": "object", "properties": {"l": {"type": "array", "items": {
        "type": "object", "oneOf": [{"type": "object", "properties": {"k": {"const": "a"}}}]}}}});
    let err = check(choice).unwrap_err();
    assert_eq!(err.path, "/default_config_schema/properties/l/items");
}

#[test]
fn a_secret_pairs_with_a_config_field_it_names_and_may_be_unmasked() {
    let config = json!({"type": "object", "properties": {"username": {"type": "string"}}});
    let auth = json!({"type": "object", "properties": {
        "password": {"type": "string", "x-after": "username"},
        "client_id": {"type": "string", "x-masked": false}
    }});
    let forms = model::CatalogForms::build(&config, &auth).unwrap();
    let password = forms.auth.root.get("password").unwrap();
    assert_eq!(password.node.after.as_deref(), Some("username"));
    assert!(password.node.masked);
    assert!(!forms.auth.root.get("client_id").unwrap().node.masked);

    let wrong = json!({"type": "object", "properties": {"password": {"type": "string", "x-after": "nobody"}}});
    let err = model::CatalogForms::build(&config, &wrong).unwrap_err();
    assert_eq!(
        (err.keyword.as_str(), err.path.as_str()),
        ("x-after", "/auth_schema/properties/password/x-after")
    );
    let wrong =
        json!({"type": "object", "properties": {"id": {"type": "string", "x-masked": "no"}}});
    let err = model::CatalogForms::build(&config, &wrong).unwrap_err();
    assert_eq!(err.keyword, "x-masked");
}
