//! Real connector specs (a sample of Airbyte's, kept beside the repository
//! in `../shared/realworld/`): every one imports, or is refused for a
//! reason its message names, and the form of every imported one has a
//! control for every field, `oneOf` branches included.

use crate::both_databases;
use crate::support::*;
use connectors::domain::identity::Role;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Structural keywords (and shapes named by their keyword) a form cannot
/// render: the only reasons a real spec may be refused for.
const STRUCTURAL: &[&str] = &[
    "allOf",
    "anyOf",
    "not",
    "if",
    "patternProperties",
    "dependentSchemas",
    "dependencies",
    "additionalProperties",
    "$ref",
    "type",
    "items",
    "oneOf",
];

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld/airbyte-sample/manifests")
}

fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sample_dir())
        .expect("the real-world sample is at ../shared/realworld/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "{} sample manifests", files.len());
    files
}

/// The keyword a refusal names: `keyword `K` at …`.
fn refused_keyword(stderr: &str) -> Option<String> {
    let rest = stderr.split("keyword `").nth(1)?;
    Some(rest.split('`').next()?.to_string())
}

/// The schema a local `$ref` points at, or the node itself.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with('#') => root.pointer(&r[1..]).unwrap_or(node),
        _ => node,
    }
}

/// The form controls a schema asks for (as the attribute that names
/// them): every field by its dotted path, in every `oneOf` branch, except
/// fixed values (the discriminator is the choice's own control) and hidden
/// fields; an array of objects by its "Add" button.
fn control_names(root: &Value, node: &Value, prefix: &str, out: &mut Vec<String>) {
    let node = resolve(root, node);
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let prop = resolve(root, prop);
            let path = format!("{prefix}.{name}");
            let fixed = prop.get("const").is_some()
                || prop
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.len() == 1);
            if prop.get("airbyte_hidden") == Some(&Value::Bool(true)) || fixed {
                continue;
            }
            let nested = prop.get("properties").is_some() || prop.get("oneOf").is_some();
            let rows = prop
                .get("items")
                .map(|i| resolve(root, i))
                .is_some_and(|i| i.get("properties").is_some());
            if nested {
                control_names(root, prop, &path, out);
            } else if rows {
                // An array of objects: its "Add" button makes the rows.
                out.push(format!("value=\"add:{path}\""));
            } else {
                out.push(format!("name=\"{path}\""));
            }
        }
    }
    if let Some(branches) = node.get("oneOf").and_then(Value::as_array) {
        let first = resolve(root, &branches[0]);
        let disc = first["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .find(|(_, p)| p.get("const").is_some() || p.get("enum").is_some())
            .map(|(n, _)| n.clone());
        if let Some(d) = disc {
            out.push(format!("name=\"{prefix}.{d}\""));
        }
        for b in branches {
            control_names(root, b, prefix, out);
        }
    }
}

/// The manifest without the markers of secrets inside its config.
fn without_config_secrets(node: &mut Value) {
    match node {
        Value::Object(map) => {
            map.remove("airbyte_secret");
            map.remove("writeOnly");
            map.values_mut().for_each(without_config_secrets);
        }
        Value::Array(list) => list.iter_mut().for_each(without_config_secrets),
        _ => {}
    }
}

/// Imports every sample manifest, one file at a time; returns the keys
/// imported. A spec refused only for a secret inside its config (while
/// those are refused) is imported again without the secret markers, under
/// another key, so that its form is checked too; no value is ever stored
/// for it.
fn import_all(db: &TestDb) -> Vec<(String, Value)> {
    let mut imported = Vec::new();
    for file in sample_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let manifest: Value = serde_json::from_str(&text).unwrap();
        let out = db.cli(&["catalog", "import", file.to_str().unwrap()]);
        let shown = file.display().to_string();
        if out.status.success() {
            let key = manifest["key"].as_str().unwrap().to_string();
            assert!(out.stdout_text().contains(&key), "{shown}");
            imported.push((key, manifest));
            continue;
        }
        let stderr = out.stderr_text();
        assert!(stderr.contains(&shown), "{stderr}");
        let keyword = refused_keyword(&stderr).unwrap_or_else(|| panic!("{stderr}"));
        let secret = keyword == "airbyte_secret" || keyword == "writeOnly";
        assert!(
            STRUCTURAL.contains(&keyword.as_str()) || secret,
            "{shown} refused for a reason that is not structural: {stderr}"
        );
        assert!(
            stderr.contains(" at /default_config_schema") || stderr.contains(" at /auth_schema")
        );
        if secret {
            let mut copy = manifest.clone();
            without_config_secrets(&mut copy["default_config_schema"]);
            let key = format!("{}-form", copy["key"].as_str().unwrap());
            copy["key"] = Value::String(key.clone());
            let path = write_file(db.data_dir(), &format!("{key}.json"), &copy.to_string());
            let again = db.cli(&["catalog", "import", path.to_str().unwrap()]);
            if again.status.success() {
                imported.push((key, copy));
            } else {
                let stderr = again.stderr_text();
                let keyword = refused_keyword(&stderr).unwrap_or_else(|| panic!("{stderr}"));
                assert!(STRUCTURAL.contains(&keyword.as_str()), "{shown}: {stderr}");
            }
        }
    }
    imported
}

both_databases!(
    every_real_spec_imports_or_names_its_refusal_and_renders_every_field,
    |db: TestDb| async move {
        db.cli(&["migrate"]).assert_ok();
        let imported = import_all(&db);
        assert_eq!(imported.len(), 30, "every sample spec's form is checked");
        let app = TestApp::spawn(db).await;
        let ivy = app
            .signed_in_user("acme", "ivy@acme.test", Role::Admin, "ivy password 12345")
            .await;
        for (key, manifest) in &imported {
            let res = ivy
                .get(&app, &format!("/features/connectors/forms/new/{key}"))
                .await;
            assert_eq!(res.status(), 200, "{key}");
            let html = res.text().await.unwrap();
            let schema = &manifest["default_config_schema"];
            let mut names = Vec::new();
            control_names(schema, schema, "config", &mut names);
            for needle in names {
                assert!(html.contains(&needle), "{key}: no control with {needle}");
            }
            let auth = &manifest["auth_schema"];
            for name in auth["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(n, _)| n)
            {
                assert!(
                    html.contains(&format!("name=\"auth.{name}\"")),
                    "{key}: auth.{name}"
                );
            }
        }
    }
);

// The form checks above stop before any value is stored. Checks that
// install each spec with sample values and look for its secrets in the
// responses and the database files take their specs from `import_all`, in
// a test function of their own.
