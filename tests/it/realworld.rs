//! Real connector specs (a sample of Airbyte's, kept beside the repository
//! in `../shared/realworld/`): every one imports, or is refused for a
//! reason its message names; the form of every imported one has a control
//! for every field, `oneOf` branches included; and every one installs with
//! sample values (the first branch of every choice, and the second where
//! there is one), with no secret, at any depth, in any answer or in the
//! database in clear, and each read back at its place by the credentials
//! read. A larger corpus of specs (a directory of Airbyte spec files) is
//! checked the same way by `corpus_end_to_end`, which
//! `tests/realworld/corpus.sh DIR` runs.

use crate::both_databases;
use crate::support::samples::{Sample, has_second_branch, sample};
use crate::support::*;
use connectors::domain::catalog::{Format, read_document};
use connectors::domain::identity::Role;
use serde_json::{Value, json};
use std::collections::BTreeMap;
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

/// Values the generator cannot make from a spec's schema, given by hand:
/// (catalog key, JSON pointer in the config, value). Every sample spec
/// installs with generated values today, so the table is empty; a spec
/// whose pattern the generator cannot satisfy gets its row here rather
/// than being skipped.
const EXPLICIT: &[(&str, &str, &str)] = &[];

/// Who installs and reads, and everything they were answered.
struct Checker {
    admin: Actor,
    reader: Actor,
    browser: SignedIn,
    seen: String,
}

impl Checker {
    async fn new(app: &TestApp) -> Checker {
        Checker {
            admin: app.admin().await,
            reader: app.reader().await,
            browser: app
                .signed_in_user("acme", "spec@acme.test", Role::Admin, "spec password 12345")
                .await,
            seen: String::new(),
        }
    }

    /// The status and body of an answer, the body kept for the search.
    async fn read(&mut self, res: reqwest::Response) -> (u16, String) {
        let status = res.status().as_u16();
        let body = res.text().await.unwrap_or_default();
        self.seen.push_str(&body);
        self.seen.push('\n');
        (status, body)
    }

    /// Installs the catalog entry `key` with sample values (`branch` of
    /// every choice), reads it back every way an API client or a page
    /// does, and checks the credentials read; returns the values.
    async fn install(&mut self, app: &TestApp, key: &str, branch: usize) -> Result<Sample, String> {
        let (status, body) = self
            .read(app.send_get(&self.admin, &format!("/catalog/{key}")).await)
            .await;
        if status != 200 {
            return Err(format!("catalog entry answered {status}"));
        }
        let entry: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let mut values = sample(
            &entry["default_config_schema"],
            &entry["auth_schema"],
            branch,
        )?;
        for (_, pointer, value) in EXPLICIT.iter().filter(|(k, _, _)| *k == key) {
            let place = values
                .config
                .pointer_mut(pointer)
                .ok_or_else(|| format!("no sample value at {pointer}"))?;
            *place = json!(value);
        }
        let install = json!({
            "catalog_key": key,
            "name": format!("{key} {branch}"),
            "config": values.config,
            "auth": values.auth,
        });
        let (status, body) = self.read(app.create(&self.admin, &install).await).await;
        if status != 201 {
            return Err(format!(
                "install (branch {branch}) answered {status}: {body}"
            ));
        }
        let id = id_of(&serde_json::from_str(&body).map_err(|e| e.to_string())?);
        for path in [
            format!("/connectors/{id}"),
            format!("/installed?catalog_key={key}"),
            "/installed".to_string(),
            "/publish-targets".to_string(),
        ] {
            let (status, _) = self.read(app.send_get(&self.admin, &path).await).await;
            if status != 200 {
                return Err(format!("{path} answered {status}"));
            }
        }
        let (status, _) = self
            .read(
                self.browser
                    .get(app, &format!("/features/connectors/forms/{id}/edit"))
                    .await,
            )
            .await;
        if status != 200 {
            return Err(format!("the configure dialog answered {status}"));
        }
        // The credentials read gives every secret back at its place.
        let res = app.credentials(&self.reader, &id).await;
        if res.status() != 200 {
            return Err(format!("credentials read answered {}", res.status()));
        }
        let creds: Value = res.json().await.map_err(|e| e.to_string())?;
        for (path, value) in &values.secrets {
            // `auth`'s secrets by name at the top, the config's in `config`.
            let pointer: String = match path.split_once('.') {
                Some(("auth", name)) => format!("/{name}"),
                _ => path.split('.').map(|p| format!("/{p}")).collect(),
            };
            let got = creds.pointer(&pointer);
            if got != Some(&json!(value)) {
                return Err(format!("credentials read: {path} is not the value given"));
            }
        }
        for needle in values.needles() {
            if self.seen.contains(needle) {
                let at = values.secrets.iter().find(|(_, v)| v == needle).unwrap();
                return Err(format!("the secret {} is in an answer", at.0));
            }
        }
        Ok(values)
    }
}

/// The secrets found in the database in clear: the SQLite file and its
/// write-ahead log, or a `pg_dump` of the PostgreSQL database.
fn found_at_rest(db: &TestDb, needles: &BTreeMap<String, String>) -> Vec<String> {
    let mut dump = String::new();
    match &db.pg_name {
        None => {
            for f in ["connectors.db", "connectors.db-wal"] {
                if let Ok(bytes) = std::fs::read(db.data_dir().join(f)) {
                    dump.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            assert!(!dump.is_empty(), "the SQLite file was read");
        }
        Some(_) => {
            let out = std::process::Command::new("pg_dump")
                .arg(db.url())
                .output()
                .expect("pg_dump");
            out.assert_ok();
            dump = out.stdout_text();
            assert!(
                dump.contains("COPY public.connectors"),
                "the dump has the connectors"
            );
        }
    }
    needles
        .iter()
        .filter(|(needle, _)| dump.contains(needle.as_str()))
        .map(|(_, what)| what.clone())
        .collect()
}

/// Records the searchable secrets of an install: value → where it was given.
fn remember(needles: &mut BTreeMap<String, String>, key: &str, values: &Sample) {
    for (path, value) in &values.secrets {
        if value.len() >= 8 {
            needles.insert(value.clone(), format!("{key}: {path}"));
        }
    }
}

/// The branches to install a schema with: the first, and the second where
/// a choice has one.
fn branches(entry: &Value) -> Vec<usize> {
    if has_second_branch(&entry["default_config_schema"])
        || has_second_branch(&entry["auth_schema"])
    {
        vec![0, 1]
    } else {
        vec![0]
    }
}

both_databases!(
    every_real_spec_installs_with_sample_values_and_keeps_its_secrets_sealed,
    |db: TestDb| async move {
        db.cli(&["migrate"]).assert_ok();
        let imported = import_all(&db);
        assert_eq!(imported.len(), 30, "every sample spec imports");
        let app = TestApp::spawn(db).await;
        let mut checker = Checker::new(&app).await;
        let mut needles = BTreeMap::new();
        let (mut installs, mut with_secrets) = (0, 0);
        for (key, manifest) in &imported {
            for branch in branches(manifest) {
                let values = checker
                    .install(&app, key, branch)
                    .await
                    .unwrap_or_else(|e| panic!("{key}: {e}"));
                installs += 1;
                if !values.secrets.is_empty() {
                    with_secrets += 1;
                }
                remember(&mut needles, key, &values);
            }
        }
        assert!(installs > imported.len(), "second branches installed too");
        assert!(
            with_secrets >= 20,
            "{with_secrets} installs carried secrets"
        );
        assert!(
            needles.values().any(|w| w.contains(": config.")),
            "secrets inside configs were given"
        );
        let leaked = found_at_rest(app.db(), &needles);
        assert!(leaked.is_empty(), "in the database in clear: {leaked:?}");
    }
);

// A spec with the slips real ones carry (a secret flag written as text,
// a `format` that contradicts its `pattern`, a name twice in `required`,
// a required name the branch does not define, `items` on a string):
// imported with a warning per repair, and installed end to end with its
// text-flagged secret sealed.
both_databases!(
    an_airbyte_spec_with_slips_imports_with_warnings_and_installs,
    |db: TestDb| async move {
        let spec = json!({"connectionSpecification": {
            "type": "object",
            "required": ["access_key", "access_key", "start", "tls"],
            "properties": {
                "access_key": {"type": "string", "airbyte_secret": "true"},
                "start": {"type": "string", "format": "date", "pattern": "^[0-9]{2}-[0-9]{2}-[0-9]{4}$"},
                "level": {"type": "string", "items": {"enum": ["hourly", "daily"]}},
                "tls": {"type": "object", "oneOf": [
                    {"type": "object", "title": "Verify", "required": ["mode", "store_password", "store_name"], "properties": {
                        "mode": {"type": "string", "const": "verify"},
                        "store_password": {"type": "string", "airbyte_secret": "true"}
                    }},
                    {"type": "object", "title": "Off", "required": ["mode"], "properties": {
                        "mode": {"type": "string", "const": "off"}
                    }}
                ]}
            }
        }});
        let file = write_file(db.data_dir(), "slips.spec.json", &spec.to_string());
        let out = db.cli(&[
            "catalog",
            "import",
            file.to_str().unwrap(),
            "--key",
            "slips",
            "--category",
            "source",
        ]);
        out.assert_ok();
        let stderr = out.stderr_text();
        for at in [
            "keyword `airbyte_secret` at /connectionSpecification/properties/access_key/airbyte_secret",
            "keyword `format` at /connectionSpecification/properties/start/format",
            "keyword `required` at /connectionSpecification/required",
            "keyword `required` at /connectionSpecification/properties/tls/oneOf/0/required",
            "keyword `items` at /connectionSpecification/properties/level/items",
        ] {
            assert!(stderr.contains(at), "{at}: {stderr}");
        }
        let app = TestApp::spawn(db).await;
        let mut checker = Checker::new(&app).await;
        let mut needles = BTreeMap::new();
        for branch in [0, 1] {
            let values = checker
                .install(&app, "slips", branch)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            remember(&mut needles, "slips", &values);
        }
        let paths: Vec<&String> = needles.values().collect();
        assert!(
            paths.iter().any(|p| p.ends_with("auth.access_key")),
            "{paths:?}"
        );
        assert!(
            paths
                .iter()
                .any(|p| p.ends_with("config.tls.store_password")),
            "{paths:?}"
        );
        let leaked = found_at_rest(app.db(), &needles);
        assert!(leaked.is_empty(), "in the database in clear: {leaked:?}");
    }
);

/// The keyword a corpus spec was refused for, or its failure.
enum Outcome {
    Worked,
    Refused(String),
    Failed(String),
}

/// The catalog fields of a corpus spec: the key from the file name (up to
/// its first dot), the name and category from a `KEY.metadata.yaml` beside
/// it (Airbyte's `data.name` and `data.connectorType`) where there is one.
fn corpus_fields(dir: &Path, key: &str) -> (String, String) {
    let meta = std::fs::read_to_string(dir.join(format!("{key}.metadata.yaml")))
        .ok()
        .and_then(|t| read_document(&t, Format::Yaml, key).ok());
    let field = |name: &str| {
        meta.as_ref()
            .and_then(|m| m["data"][name].as_str())
            .map(str::to_string)
    };
    (
        field("name").unwrap_or_else(|| key.to_string()),
        field("connectorType").unwrap_or_else(|| "imported".to_string()),
    )
}

/// The corpus directory's spec files: every `.json`, `.yaml` or `.yml`
/// but the metadata files, one per connector key.
fn corpus_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            ["json", "yaml", "yml"]
                .iter()
                .any(|e| name.ends_with(&format!(".{e}")))
                && !name.ends_with(".metadata.yaml")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            let key = name.split('.').next().unwrap().to_lowercase().replace(
                |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "-",
            );
            (key, p)
        })
        .collect();
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    files
}

/// Checks every spec of the directory named by
/// `CONNECTORS_REALWORLD_CORPUS` end to end on SQLite: `connectors catalog
/// import` with the catalog fields on the command line, an install with
/// sample values through the API of the running service (each choice's
/// second branch too), no secret in an answer or in the SQLite file, and
/// the credentials read giving each back; prints a summary and holds the
/// targets: at least 95% work end to end and every refusal names a
/// structural keyword.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "reads a corpus directory: run with tests/realworld/corpus.sh DIR"]
async fn corpus_end_to_end() {
    let dir = PathBuf::from(
        std::env::var("CONNECTORS_REALWORLD_CORPUS")
            .expect("CONNECTORS_REALWORLD_CORPUS names the corpus directory"),
    );
    let files = corpus_files(&dir);
    assert!(!files.is_empty(), "{}: no spec files", dir.display());
    let db = TestDb::sqlite();
    db.cli(&["migrate"]).assert_ok();
    let app = TestApp::spawn(db).await;
    let mut checker = Checker::new(&app).await;
    let mut needles = BTreeMap::new();
    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    let (mut installs, mut secrets) = (0, 0);
    for (key, path) in &files {
        let (name, category) = corpus_fields(&dir, key);
        let out = app.db().cli(&[
            "catalog",
            "import",
            path.to_str().unwrap(),
            "--key",
            key,
            "--name",
            &name,
            "--category",
            &category,
        ]);
        if !out.status.success() {
            let stderr = out.stderr_text();
            let outcome = match refused_keyword(&stderr) {
                Some(k) => Outcome::Refused(k),
                None => Outcome::Failed(format!("import: {}", stderr.trim())),
            };
            outcomes.push((key.clone(), outcome));
            continue;
        }
        let entry = app
            .get_json(&checker.admin, &format!("/catalog/{key}"))
            .await;
        let mut outcome = Outcome::Worked;
        for branch in branches(&entry) {
            match checker.install(&app, key, branch).await {
                Ok(values) => {
                    installs += 1;
                    secrets += values.secrets.len();
                    remember(&mut needles, key, &values);
                }
                Err(e) => {
                    outcome = Outcome::Failed(e);
                    break;
                }
            }
        }
        outcomes.push((key.clone(), outcome));
    }
    let leaked = found_at_rest(app.db(), &needles);
    let total = outcomes.len();
    let worked = outcomes
        .iter()
        .filter(|(k, o)| {
            matches!(o, Outcome::Worked) && !leaked.iter().any(|l| l.starts_with(&format!("{k}: ")))
        })
        .count();
    let mut refused: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut failed: Vec<String> = Vec::new();
    for (key, o) in &outcomes {
        match o {
            Outcome::Worked => {}
            Outcome::Refused(k) => refused.entry(k.as_str()).or_default().push(key),
            Outcome::Failed(e) => failed.push(format!("{key}: {e}")),
        }
    }
    failed.extend(
        leaked
            .iter()
            .map(|l| format!("in the SQLite file in clear: {l}")),
    );
    let percent = 100.0 * worked as f64 / total as f64;
    println!("corpus: {}", dir.display());
    println!("total:  {total}");
    println!("worked end to end: {worked} ({percent:.1}%)");
    println!("installs: {installs}, with {secrets} secret values checked");
    println!("refused: {}", refused.values().map(Vec::len).sum::<usize>());
    for (k, keys) in &refused {
        println!("  {k}: {} ({})", keys.len(), keys.join(", "));
    }
    println!("other failures: {}", failed.len());
    for f in &failed {
        println!("  {f}");
    }
    let unexplained: Vec<&&str> = refused
        .keys()
        .filter(|k| !STRUCTURAL.contains(*k))
        .collect();
    assert!(
        unexplained.is_empty(),
        "refused for keywords that are not structural: {unexplained:?}"
    );
    assert!(
        leaked.is_empty(),
        "secrets in the SQLite file in clear: {leaked:?}"
    );
    assert!(
        percent >= 95.0,
        "{percent:.1}% of the corpus worked end to end"
    );
}
