//! Property tests (bounded): parsers and validators never panic on any
//! input, and their promises hold for every case tried.

use base64::Engine;
use connectors::domain::catalog::compile_schema;
use connectors::domain::secrets::{Envelope, KeyRing, connector_aad, generate_key_line};
use connectors::domain::validation::validate;
use connectors::service::catalog::builtin_manifests;
use connectors::service::connectors::decode_cursor;
use connectors::web::form::{FormData, decode_auth, decode_config};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[a-zA-Z0-9 :/._@#-]{0,24}".prop_map(Value::String),
        Just(Value::String("https://example.com/x".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Config-like objects: the real property names of a schema with random
/// values, plus random extra keys.
fn config_for(names: Vec<String>) -> impl Strategy<Value = Value> {
    let n = names.len();
    (
        prop::collection::vec(prop::option::of(json_value()), n),
        prop::collection::btree_map("[a-z]{1,6}", json_value(), 0..2),
    )
        .prop_map(move |(values, extra)| {
            let mut m = Map::new();
            for (name, v) in names.iter().zip(values) {
                if let Some(v) = v {
                    m.insert(name.clone(), v);
                }
            }
            for (k, v) in extra {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

fn string_leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| string_leaves(x, out)),
        Value::Object(o) => o.values().for_each(|x| string_leaves(x, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn envelope_parser_never_panics(text in ".{0,200}") {
        let _ = Envelope::parse(&text);
    }

    #[test]
    fn envelope_parser_rejects_mangled_envelopes(kid in "[a-z0-9]{1,8}", n in "[A-Za-z0-9+/=]{0,24}", ct in "[A-Za-z0-9+/=]{0,64}") {
        let ring = KeyRing::parse(&generate_key_line()).unwrap();
        let text = serde_json::json!({"v": 1, "kid": kid, "n": n, "ct": ct}).to_string();
        if let Ok(env) = Envelope::parse(&text) {
            prop_assert!(ring.decrypt(&env, b"aad").is_err());
        }
    }

    #[test]
    fn encryption_round_trips_any_payload(plain in prop::collection::vec(any::<u8>(), 0..512), tenant in "[a-z0-9-]{1,36}", id in "[a-z0-9-]{1,36}", states in "[ -~]{0,64}") {
        let ring = KeyRing::parse(&generate_key_line()).unwrap();
        let aad = connector_aad(&tenant, &id, Some(&states));
        let env = Envelope::parse(&ring.encrypt(&plain, &aad).unwrap().to_json()).unwrap();
        let back = ring.decrypt(&env, &aad).unwrap();
        prop_assert_eq!(back.as_slice(), plain.as_slice());
        let other = connector_aad(&tenant, &format!("{id}x"), Some(&states));
        prop_assert!(ring.decrypt(&env, &other).is_err());
        let other = connector_aad(&tenant, &id, Some(&format!("{states} ")));
        prop_assert!(ring.decrypt(&env, &other).is_err());
    }

    #[test]
    fn cursors_decode_or_refuse_without_panicking(text in ".{0,80}") {
        if let Some(id) = decode_cursor(&text) {
            prop_assert!(uuid::Uuid::parse_str(&id).is_ok());
        }
    }

    #[test]
    fn cursors_round_trip(bytes in any::<[u8; 16]>()) {
        let id = uuid::Uuid::from_bytes(bytes).to_string();
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes());
        prop_assert_eq!(decode_cursor(&cursor), Some(id));
    }
}

#[test]
fn validation_errors_are_keyed_by_path_and_never_repeat_values() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 150,
        ..ProptestConfig::default()
    });
    for m in builtin_manifests().unwrap() {
        let schema = m.default_config_schema.clone();
        let validator = compile_schema(&schema).unwrap();
        let names: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        runner
            .run(&config_for(names), |config| {
                let errors = validate(&validator, &schema, &config, "config");
                let mut leaves = Vec::new();
                string_leaves(&config, &mut leaves);
                for (field, messages) in &errors {
                    prop_assert!(field == "config" || field.starts_with("config."), "{field}");
                    for msg in messages {
                        prop_assert!(!msg.is_empty());
                        for leaf in leaves.iter().filter(|l| l.len() >= 6) {
                            prop_assert!(!msg.contains(leaf.as_str()), "{msg} repeats {leaf}");
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn form_bodies_always_decode_to_objects() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 150,
        ..ProptestConfig::default()
    });
    for m in builtin_manifests().unwrap() {
        let schema = m.default_config_schema.clone();
        let auth = m.auth_schema.clone();
        let forms = m.forms().unwrap();
        let mut names: Vec<String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| format!("config.{k}"))
            .collect();
        names.push("config.author.type".into());
        names.push("config.author.urn".into());
        names.extend(
            auth["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| format!("auth.{k}")),
        );
        let strategy =
            prop::collection::vec((prop::sample::select(names.clone()), ".{0,40}"), 0..20);
        runner
            .run(&strategy, |pairs| {
                let mut form = FormData::new();
                for (k, v) in pairs {
                    form.entry(k).or_default().push(v);
                }
                let config = decode_config(&forms.config, &form);
                prop_assert!(config.is_object());
                let secrets = decode_auth(&forms.auth, &form);
                prop_assert!(
                    secrets
                        .as_object()
                        .unwrap()
                        .values()
                        .all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                );
                Ok(())
            })
            .unwrap();
    }
}
