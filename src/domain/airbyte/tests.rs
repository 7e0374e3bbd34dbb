use super::*;
use crate::domain::catalog::{Format, read_document};

fn fields(key: &str) -> CatalogFields {
    CatalogFields {
        key: Some(key.into()),
        category: Some("source".into()),
        ..CatalogFields::default()
    }
}

const SPEC_JSON: &str = r#"{
  "documentationUrl": "https://docs.example.com/sources/shop",
  "connectionSpecification": {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Shop Spec",
    "type": "object",
    "required": ["shop", "api_token"],
    "properties": {
      "shop": {"type": "string", "order": 0},
      "api_token": {"type": "string", "airbyte_secret": true, "order": 1},
      "start_date": {"type": "string", "examples": ["2024-01-01"]}
    }
  },
  "advancedAuth": {"auth_flow_type": "oauth2.0"}
}"#;

const MANIFEST_YAML: &str = "version: 0.50.0
type: DeclarativeSource
streams: []
spec:
  type: Spec
  documentation_url: https://docs.example.com/sources/board
  connection_specification:
    title: Board
    type: object
    required: [board_id]
    properties:
      board_id: {type: string, pattern_descriptor: digits}
";

#[test]
fn a_spec_json_becomes_a_manifest() {
    let doc = read_document(SPEC_JSON, Format::Json, "spec.json").unwrap();
    assert!(is_spec(&doc));
    let m = manifest(&doc, &fields("shop"), "spec.json").unwrap();
    assert_eq!((m.key.as_str(), m.name.as_str()), ("shop", "Shop Spec"));
    assert_eq!(m.category, "source");
    assert_eq!(m.auth_type, AuthType::Oauth);
    assert_eq!(
        m.documentation_url.as_deref(),
        Some("https://docs.example.com/sources/shop")
    );
    assert_eq!(m.advanced_auth, Some(json!({"auth_flow_type": "oauth2.0"})));
    // The top-level secret is in `auth_schema`, with its `required`.
    assert_eq!(m.secret_names(), ["api_token"]);
    assert_eq!(m.auth_schema["required"], json!(["api_token"]));
    assert_eq!(m.default_config_schema["required"], json!(["shop"]));
    assert!(
        m.default_config_schema["properties"]
            .get("api_token")
            .is_none()
    );
}

#[test]
fn a_declarative_manifest_spec_becomes_a_manifest() {
    let doc = read_document(MANIFEST_YAML, Format::Yaml, "manifest.yaml").unwrap();
    let f = CatalogFields {
        name: Some("Boards".into()),
        icon: Some("board".into()),
        ..fields("board")
    };
    let m = manifest(&doc, &f, "manifest.yaml").unwrap();
    assert_eq!(
        (m.name.as_str(), m.icon.as_deref()),
        ("Boards", Some("board"))
    );
    assert_eq!(m.auth_type, AuthType::None);
    assert!(m.secret_names().is_empty());
    assert_eq!(
        m.documentation_url.as_deref(),
        Some("https://docs.example.com/sources/board")
    );
}

#[test]
fn missing_fields_and_other_documents_are_named() {
    let doc = read_document(SPEC_JSON, Format::Json, "spec.json").unwrap();
    let no_key = CatalogFields {
        key: None,
        ..fields("x")
    };
    let err = manifest(&doc, &no_key, "spec.json").unwrap_err();
    assert!(err.to_string().starts_with("spec.json: ") && err.message.contains("--key"));
    let no_category = CatalogFields {
        category: None,
        ..fields("x")
    };
    assert!(
        manifest(&doc, &no_category, "spec.json")
            .unwrap_err()
            .message
            .contains("--category")
    );
    let plain = json!({"key": "k"});
    assert!(!is_spec(&plain));
    assert!(
        manifest(&plain, &fields("k"), "k.json")
            .unwrap_err()
            .message
            .contains("not an Airbyte spec")
    );
}

#[test]
fn the_command_line_wins_over_the_side_file() {
    let cli = CatalogFields {
        name: Some("From the command line".into()),
        ..CatalogFields::default()
    };
    let side = CatalogFields {
        name: Some("From the file".into()),
        ..fields("k")
    };
    let both = cli.or(side);
    assert_eq!(both.name.as_deref(), Some("From the command line"));
    assert_eq!(both.key.as_deref(), Some("k"));
}

#[test]
fn slips_real_specs_carry_are_repaired_and_noted() {
    let doc: Value = serde_json::from_str(
        r#"{"connectionSpecification": {
            "type": "object",
            "required": ["key", "key", "start"],
            "properties": {
                "key": {"type": "string", "airbyte_secret": "true"},
                "start": {"type": "string", "format": "date", "pattern": "^[0-9]{2}-[0-9]{2}-[0-9]{4}$"},
                "level": {"type": "string", "items": {"enum": ["a", "b"]}, "always_show": "false"},
                "tls": {"type": "object", "oneOf": [
                    {"required": ["mode", "store"], "properties": {"mode": {"const": "on"}}}
                ]}
            }
        }}"#,
    )
    .unwrap();
    let (m, notes) = manifest_with_repairs(&doc, &fields("slips"), "spec.json").unwrap();
    // The secret written as text is a secret, listed once in `required`.
    assert_eq!(m.auth_schema["properties"]["key"]["airbyte_secret"], true);
    assert_eq!(m.auth_schema["required"], json!(["key"]));
    assert_eq!(m.default_config_schema["required"], json!(["start"]));
    let props = &m.default_config_schema["properties"];
    assert!(props["start"].get("format").is_none());
    assert!(props["start"].get("pattern").is_some());
    assert!(props["level"].get("items").is_none());
    assert_eq!(props["level"]["always_show"], false);
    assert_eq!(
        props["tls"]["oneOf"][0]["required"],
        json!(["mode"]),
        "a name the branch does not define is dropped"
    );
    let text = notes.join("\n");
    for (keyword, at) in [
        (
            "airbyte_secret",
            "/connectionSpecification/properties/key/airbyte_secret",
        ),
        ("format", "/connectionSpecification/properties/start/format"),
        ("items", "/connectionSpecification/properties/level/items"),
        (
            "always_show",
            "/connectionSpecification/properties/level/always_show",
        ),
        ("required", "/connectionSpecification/required"),
        (
            "required",
            "/connectionSpecification/properties/tls/oneOf/0/required",
        ),
    ] {
        assert!(
            text.contains(&format!("keyword `{keyword}` at {at}")),
            "{keyword} at {at}: {text}"
        );
    }
    // A spec without slips is not changed.
    let clean: Value = serde_json::from_str(SPEC_JSON).unwrap();
    assert!(
        manifest_with_repairs(&clean, &fields("shop"), "spec.json")
            .unwrap()
            .1
            .is_empty()
    );
}
