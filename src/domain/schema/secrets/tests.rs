use super::*;
use crate::domain::schema::SchemaRole;
use proptest::prelude::*;
use serde_json::json;

/// An auth-method choice, an SSH tunnel choice and a secret two objects
/// down, marked with both keywords.
fn schema() -> FormSchema {
    FormSchema::build(
        &json!({
            "type": "object",
            "properties": {
                "host": {"type": "string"},
                "credentials": {"type": "object", "oneOf": [
                    {"type": "object", "title": "OAuth", "properties": {
                        "auth_type": {"const": "oauth"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string", "airbyte_secret": true},
                        "refresh_token": {"type": "string", "airbyte_secret": true}
                    }, "required": ["auth_type", "client_id", "client_secret", "refresh_token"]},
                    {"type": "object", "title": "Token", "properties": {
                        "auth_type": {"const": "token"},
                        "token": {"type": "string", "writeOnly": true}
                    }, "required": ["auth_type", "token"]}
                ]},
                "tunnel": {"type": "object", "oneOf": [
                    {"type": "object", "properties": {
                        "method": {"const": "password"}, "user": {"type": "string"},
                        "password": {"type": "string", "writeOnly": true}}},
                    {"type": "object", "properties": {
                        "method": {"const": "key"}, "user": {"type": "string"},
                        "private_key": {"type": "string", "airbyte_secret": true}}}
                ]},
                "nested": {"type": "object", "properties": {"deep": {"type": "object", "properties": {
                    "api_key": {"type": "string", "writeOnly": true},
                    "note": {"type": "string"}
                }}}}
            }
        }),
        "/default_config_schema",
        SchemaRole::Config,
    )
    .unwrap()
}

fn keys(places: &[SecretPlace]) -> Vec<&str> {
    places.iter().map(|p| p.key.as_str()).collect()
}

#[test]
fn places_are_found_at_every_depth_in_form_order() {
    let s = schema();
    assert_eq!(
        keys(&secret_places(&s)),
        [
            "config.credentials.client_secret",
            "config.credentials.refresh_token",
            "config.credentials.token",
            "config.tunnel.password",
            "config.tunnel.private_key",
            "config.nested.deep.api_key",
        ]
    );
    let config = json!({"credentials": {"auth_type": "token"}, "tunnel": {"method": "key"}});
    assert_eq!(
        keys(&active_places(&s, &config)),
        [
            "config.credentials.token",
            "config.tunnel.private_key",
            "config.nested.deep.api_key"
        ]
    );
    // A choice that names no branch selects none of its secrets.
    let config = json!({"credentials": {"auth_type": "other"}});
    assert_eq!(
        keys(&active_places(&s, &config)),
        ["config.nested.deep.api_key"]
    );
}

#[test]
fn split_takes_every_secret_out_and_merge_puts_it_back() {
    let s = schema();
    let sent = json!({
        "host": "db.example",
        "credentials": {"auth_type": "oauth", "client_id": "cid", "client_secret": "cs-1", "refresh_token": null},
        "tunnel": {"method": "password", "user": "u", "password": 7, "private_key": "left-over"},
        "nested": {"deep": {"note": "n"}}
    });
    let split = split(&s, &sent);
    assert_eq!(
        split.config,
        json!({
            "host": "db.example",
            "credentials": {"auth_type": "oauth", "client_id": "cid"},
            "tunnel": {"method": "password", "user": "u"},
            "nested": {"deep": {"note": "n"}}
        })
    );
    assert_eq!(
        split.said,
        BTreeMap::from([
            (
                "config.credentials.client_secret".to_string(),
                Said::Set("cs-1".into())
            ),
            ("config.credentials.refresh_token".to_string(), Said::Clear),
            ("config.tunnel.password".to_string(), Said::NotText),
        ])
    );
    let mut back = split.config.clone();
    merge(&s, &mut back, |k| {
        (k == "config.credentials.client_secret").then_some("cs-1")
    });
    assert_eq!(back["credentials"]["client_secret"], "cs-1");
    // A secret whose objects are missing is put back with them.
    let mut bare = json!({});
    merge(&s, &mut bare, |k| {
        (k == "config.nested.deep.api_key").then_some("k")
    });
    assert_eq!(bare, json!({"nested": {"deep": {"api_key": "k"}}}));
}

#[test]
fn updates_replace_clear_keep_and_drop_the_branch_left() {
    let s = schema();
    let held = [
        "config.credentials.client_secret",
        "config.credentials.refresh_token",
        "config.tunnel.password",
        "config.nested.deep.api_key",
        "api_key",
    ];
    // Other fields of the object holding a secret change; the secret is
    // left out, so it is kept.
    let kept = split(
        &s,
        &json!({"credentials": {"auth_type": "oauth", "client_id": "new", "refresh_token": "r2"},
                 "tunnel": {"method": "password", "user": "other"}}),
    );
    assert_eq!(
        changes(&kept, held),
        BTreeMap::from([(
            "config.credentials.refresh_token".to_string(),
            Change::Set("r2".into())
        )])
    );
    // Switching both choices drops the secrets of the branches left; the
    // secrets of `auth_schema` are not the config's to change.
    let switched = split(
        &s,
        &json!({"credentials": {"auth_type": "token", "token": "t"}, "tunnel": {"method": "key"},
                 "nested": {"deep": {"api_key": null}}}),
    );
    assert_eq!(
        changes(&switched, held),
        BTreeMap::from([
            (
                "config.credentials.client_secret".to_string(),
                Change::Clear
            ),
            (
                "config.credentials.refresh_token".to_string(),
                Change::Clear
            ),
            (
                "config.credentials.token".to_string(),
                Change::Set("t".into())
            ),
            ("config.nested.deep.api_key".to_string(), Change::Clear),
            ("config.tunnel.password".to_string(), Change::Clear),
        ])
    );
}

#[test]
fn places_that_cannot_be_told_apart_are_refused() {
    let build =
        |config: Value, auth: Value| crate::domain::schema::CatalogForms::build(&config, &auth);
    let auth = |name: &str| json!({"type": "object", "properties": {name: {"type": "string"}}});
    let nested = json!({"type": "object", "properties": {"a": {"type": "object", "properties": {
        "b": {"type": "string", "writeOnly": true}}}}});
    assert!(build(nested.clone(), auth("b")).is_ok());
    for taken in ["config.a.b", "config"] {
        let err = build(nested.clone(), auth(taken)).unwrap_err();
        assert_eq!(err.keyword, "properties", "{taken}");
        assert!(err.path.starts_with("/auth_schema/properties/"), "{err}");
    }
    let dotted = json!({"type": "object", "properties": {
        "a.b": {"type": "string", "writeOnly": true},
        "a": {"type": "object", "properties": {"b": {"type": "string", "writeOnly": true}}}}});
    assert!(
        build(dotted, auth("k"))
            .unwrap_err()
            .reason
            .contains("config.a.b")
    );
    let mixed = json!({"type": "object", "properties": {"c": {"type": "object", "oneOf": [
        {"type": "object", "properties": {"k": {"const": 1}, "v": {"type": "string", "writeOnly": true}}},
        {"type": "object", "properties": {"k": {"const": 2}, "v": {"type": "string"}}}]}}});
    let err = build(mixed, auth("k")).unwrap_err();
    assert_eq!(
        (err.keyword.as_str(), err.path.as_str()),
        ("writeOnly", "/default_config_schema/properties/c")
    );
}

/// One secret place of an update: left out, `null`, or a value.
#[derive(Debug, Clone)]
enum Write {
    Absent,
    Null,
    Value(String),
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        Just(Write::Absent),
        Just(Write::Null),
        "[a-z0-9]{1,12}".prop_map(|v| Write::Value(format!("S3CRET-{v}"))),
    ]
}

/// A config choosing `oauth` or `token`, `password` or `key` (or no
/// tunnel), with each secret place of the chosen branches written as the
/// strategy says, and text in clear beside them.
#[derive(Debug, Clone)]
struct Sent {
    oauth: bool,
    tunnel: Option<bool>,
    writes: Vec<Write>,
    clear_text: String,
}

fn sent() -> impl Strategy<Value = Sent> {
    (
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(write(), 4),
        "[a-z]{0,8}",
    )
        .prop_map(|(oauth, tunnel, writes, clear_text)| Sent {
            oauth,
            tunnel,
            writes,
            clear_text,
        })
}

impl Sent {
    /// The places this config selects, each with its write.
    fn places(&self) -> Vec<(Vec<&'static str>, &Write)> {
        let mut out: Vec<(Vec<&str>, &Write)> = Vec::new();
        if self.oauth {
            out.push((vec!["credentials", "client_secret"], &self.writes[0]));
            out.push((vec!["credentials", "refresh_token"], &self.writes[1]));
        } else {
            out.push((vec!["credentials", "token"], &self.writes[0]));
        }
        match self.tunnel {
            Some(true) => out.push((vec!["tunnel", "password"], &self.writes[2])),
            Some(false) => out.push((vec!["tunnel", "private_key"], &self.writes[2])),
            None => {}
        }
        out.push((vec!["nested", "deep", "api_key"], &self.writes[3]));
        out
    }

    fn config(&self) -> Value {
        let mut c = json!({
            "host": self.clear_text,
            "credentials": {"auth_type": if self.oauth { "oauth" } else { "token" }, "client_id": self.clear_text},
            "nested": {"deep": {"note": self.clear_text}}
        });
        if let Some(password) = self.tunnel {
            c["tunnel"] = json!({"method": if password { "password" } else { "key" }, "user": self.clear_text});
        }
        for (path, w) in self.places() {
            let v = match w {
                Write::Absent => continue,
                Write::Null => Value::Null,
                Write::Value(v) => Value::String(v.clone()),
            };
            let segments: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            put(&mut c, &segments, v);
        }
        c
    }
}

fn key(path: &[&str]) -> String {
    format!("config.{}", path.join("."))
}

proptest! {
    #[test]
    fn no_secret_stays_in_the_config_and_merge_undoes_split(s in sent()) {
        let schema = schema();
        let sent = s.config();
        let split = split(&schema, &sent);
        let text = split.config.to_string();
        prop_assert!(!text.contains("S3CRET"), "{}", text);
        // Every value sent comes back at its place; nulls are not values.
        let values: BTreeMap<String, String> = split
            .said
            .iter()
            .filter_map(|(k, s)| match s {
                Said::Set(v) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect();
        let mut back = split.config.clone();
        merge(&schema, &mut back, |k| values.get(k).map(String::as_str));
        let mut expected = sent.clone();
        for (path, w) in s.places() {
            if matches!(w, Write::Null) {
                let segments: Vec<String> = path.iter().map(|s| s.to_string()).collect();
                take(&mut expected, &segments);
            }
        }
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn three_way_updates_per_place(before in sent(), after in sent()) {
        let schema = schema();
        // What is stored after `before` was installed.
        let mut stored: BTreeMap<String, String> = BTreeMap::new();
        for (path, w) in before.places() {
            if let Write::Value(v) = w {
                stored.insert(key(&path), v.clone());
            }
        }
        let split = split(&schema, &after.config());
        let mut result = stored.clone();
        for (k, c) in changes(&split, stored.keys().map(String::as_str)) {
            match c {
                Change::Set(v) => { result.insert(k, v); }
                Change::Clear => { result.remove(&k); }
            }
        }
        // The rule: a value replaces, null clears, left out keeps, and a
        // place the update does not select holds nothing.
        let mut expected = BTreeMap::new();
        for (path, w) in after.places() {
            let k = key(&path);
            match w {
                Write::Value(v) => { expected.insert(k, v.clone()); }
                Write::Null => {}
                Write::Absent => {
                    if let Some(v) = stored.get(&k) {
                        expected.insert(k, v.clone());
                    }
                }
            }
        }
        prop_assert_eq!(result, expected);
    }
}
