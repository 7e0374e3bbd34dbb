//! Real-world schema vocabulary at import and in the forms: unknown
//! keywords are warnings, structural ones and secrets inside the config
//! are refused with their pointer, and Airbyte's UI keywords shape the
//! form (groups, hidden fields, optional fields, text areas, radio
//! choices, placeholders, Markdown descriptions).

use crate::both_databases;
use crate::support::*;
use connectors::domain::identity::Role;
use serde_json::{Value, json};

fn manifest(key: &str, config: Value) -> String {
    json!({
        "key": key, "name": "Warehouse", "category": "test", "auth_type": "api_key",
        "default_config_schema": config,
        "auth_schema": {"type": "object", "properties": {
            "api_key": {"type": "string", "airbyte_secret": true, "title": "API key"}
        }, "required": ["api_key"]}
    })
    .to_string()
}

fn airbyte_config() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "groups": [{"id": "conn", "title": "Connection"}],
        "required": ["host", "auth"],
        "properties": {
            "host": {"type": "string", "group": "conn", "examples": ["db.example.com"], "order": 0,
                     "description": "Read *the* [guide](https://example.com/guide) or <a href=\"javascript:alert(1)\" onclick=\"x()\">this</a>"},
            "query": {"type": "string", "multiline": true, "group": "conn", "tittle": "typo"},
            "marker": {"type": "string", "airbyte_hidden": true, "default": "kept"},
            "note": {"type": ["string", "null"], "example": "x"},
            "auth": {"type": "object", "display_type": "radio", "oneOf": [
                {"type": "object", "title": "Key", "required": ["key_id"], "properties": {
                    "method": {"type": "string", "enum": ["key"]}, "key_id": {"type": "string"}}},
                {"type": "object", "title": "Anonymous", "properties": {
                    "method": {"type": "string", "enum": ["anonymous"]}}}
            ]}
        }
    })
}

both_databases!(
    unknown_keywords_are_warnings_and_structural_ones_refusals,
    |db: TestDb| async move {
        db.cli(&["migrate"]).assert_ok();
        let dir = db.data_dir().to_path_buf();
        let path = write_file(
            &dir,
            "warehouse.json",
            &manifest("warehouse", airbyte_config()),
        );
        let out = db.cli(&["catalog", "import", path.to_str().unwrap()]);
        out.assert_ok();
        assert!(out.stdout_text().contains("created    warehouse"));
        let shown = path.display().to_string();
        let stderr = out.stderr_text();
        let warnings: Vec<String> = stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .map(str::to_string)
            .collect();
        assert_eq!(
            warnings,
            [
                format!(
                    "warning: {shown}: keyword `tittle` at /default_config_schema/properties/query/tittle: unknown keyword, ignored"
                ),
                format!(
                    "warning: {shown}: keyword `example` at /default_config_schema/properties/note/example: unknown keyword, ignored"
                ),
            ]
        );

        let refused = [
            (
                json!({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}}),
                "keyword `anyOf` at /default_config_schema/properties/a/anyOf",
            ),
            (
                json!({"type": "object", "properties": {"a": {"type": ["string", "integer"]}}}),
                "keyword `type` at /default_config_schema/properties/a/type",
            ),
            // Secrets sit anywhere in the config, but only as strings with a
            // place of their own (not inside an array).
            (
                json!({"type": "object", "properties": {"tunnel": {"type": "object", "oneOf": [
                    {"type": "object", "properties": {"m": {"const": "pw"},
                        "port": {"type": "integer", "airbyte_secret": true}}}
                ]}}}),
                "keyword `airbyte_secret` at /default_config_schema/properties/tunnel/oneOf/0/properties/port/airbyte_secret",
            ),
            (
                json!({"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "string", "writeOnly": true}}}}),
                "keyword `writeOnly` at /default_config_schema/properties/keys/items",
            ),
        ];
        for (config, needle) in refused {
            let bad = write_file(&dir, "bad.json", &manifest("bad", config));
            let out = db.cli(&["catalog", "import", bad.to_str().unwrap()]);
            out.assert_one_line_error(needle);
            out.assert_one_line_error("bad.json");
        }
        let keys = db.cli(&["catalog", "list"]).assert_ok().stdout_text();
        assert!(!keys.contains("bad\t"), "{keys}");
    }
);

both_databases!(airbyte_keywords_shape_the_form, |db: TestDb| async move {
    db.cli(&["migrate"]).assert_ok();
    let path = write_file(
        db.data_dir(),
        "warehouse.json",
        &manifest("warehouse", airbyte_config()),
    );
    db.cli(&["catalog", "import", path.to_str().unwrap()])
        .assert_ok();
    let app = TestApp::spawn(db).await;
    let gil = app
        .signed_in_user("acme", "gil@acme.test", Role::Admin, "gil password 12345")
        .await;
    let res = gil
        .get(&app, "/features/connectors/forms/new/warehouse")
        .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for needle in [
        r#"<input type="hidden" name="config.marker" value="kept">"#,
        r#"<fieldset class="nested"><legend>Connection</legend>"#,
        r#"placeholder="db.example.com""#,
        r#"<textarea id="f-config-query" name="config.query" rows="4">"#,
        r#"<details class="optional"><summary>Optional settings</summary>"#,
        r#"name="config.note""#,
        r#"<input type="radio" id="f-config-auth-method-1" name="config.auth.method" value="key" checked>"#,
        r#"name="config.auth.key_id""#,
        r#"<em>the</em>"#,
        r#"<a href="https://example.com/guide" target="_blank" rel="noopener noreferrer">guide</a>"#,
    ] {
        assert!(html.contains(needle), "{needle} not in {html}");
    }
    for absent in ["javascript:", "onclick", "<a href=\"javascript"] {
        assert!(!html.contains(absent), "{absent} in {html}");
    }

    // The form posts back with the hidden default and the chosen branch.
    let res = gil
        .post_htmx(
            &app,
            "/features/connectors/forms/new/warehouse",
            &[],
            &[
                ("name", "Main warehouse"),
                ("tags", ""),
                ("config.host", "db.internal"),
                ("config.marker", "kept"),
                ("config.auth.method", "anonymous"),
                ("auth.api_key", "a-key-of-some-length"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("hx-trigger"));
    let list: Value = gil
        .get(&app, "/features/connectors/api/installed")
        .await
        .json()
        .await
        .unwrap();
    let config = &list["items"][0]["config"];
    assert_eq!(
        config,
        &json!({"host": "db.internal", "marker": "kept", "auth": {"method": "anonymous"}})
    );
});

const SPEC_JSON: &str = r#"{
  "documentationUrl": "https://docs.example.com/shop",
  "connectionSpecification": {
    "title": "Shop Spec",
    "type": "object",
    "required": ["shop", "api_token"],
    "properties": {
      "shop": {"type": "string", "title": "Shop", "order": 0},
      "api_token": {"type": "string", "airbyte_secret": true, "title": "API token"},
      "start": {"type": "string", "example": "2024-01-01"}
    }
  }
}"#;

const DECLARATIVE_YAML: &str = "version: 0.50.0
type: DeclarativeSource
spec:
  type: Spec
  documentation_url: https://docs.example.com/board
  connection_specification:
    title: Board
    type: object
    required: [board_id]
    properties:
      board_id: {type: string, pattern: '^[0-9]+$', pattern_descriptor: digits only}
";

both_databases!(
    catalog_import_reads_airbyte_spec_files,
    |db: TestDb| async move {
        db.cli(&["migrate"]).assert_ok();
        let dir = db.data_dir().to_path_buf();
        let spec = write_file(&dir, "spec.json", SPEC_JSON);
        let out = db.cli(&[
            "catalog",
            "import",
            spec.to_str().unwrap(),
            "--key",
            "shop",
            "--category",
            "source",
            "--icon",
            "shop",
        ]);
        out.assert_ok();
        assert!(out.stdout_text().contains("created    shop"));
        assert!(
            out.stderr_text()
                .contains("keyword `example` at /default_config_schema/properties/start/example"),
            "{}",
            out.stderr_text()
        );
        let yaml = write_file(&dir, "manifest.yaml", DECLARATIVE_YAML);
        let side = write_file(
            &dir,
            "board.yaml",
            "key: board\nname: Boards\ncategory: source\nauth_type: none\n",
        );
        db.cli(&[
            "catalog",
            "import",
            yaml.to_str().unwrap(),
            "--fields",
            side.to_str().unwrap(),
            "--name",
            "Board (from the command line)",
        ])
        .assert_ok();
        let lines = db.cli(&["catalog", "list"]).assert_ok().stdout_text();
        assert!(
            lines.contains("shop\tsource\tapi_key\tShop Spec"),
            "{lines}"
        );
        assert!(
            lines.contains("board\tsource\tnone\tBoard (from the command line)"),
            "{lines}"
        );
        let store = db.open_store().await;
        let row = store.catalog_get("shop").await.unwrap().unwrap();
        let doc: Value = serde_json::from_str(&row.document).unwrap();
        assert_eq!(doc["documentation_url"], "https://docs.example.com/shop");
        assert_eq!(doc["auth_schema"]["required"], json!(["api_token"]));
        assert!(
            doc["default_config_schema"]["properties"]
                .get("api_token")
                .is_none()
        );

        // Refusals: a spec without its key, fields for two specs, fields for a
        // plain manifest, a side file with an unknown field.
        db.cli(&[
            "catalog",
            "import",
            spec.to_str().unwrap(),
            "--category",
            "source",
        ])
        .assert_one_line_error("--key");
        let plain = write_file(
            &dir,
            "plain.json",
            &manifest("plain", json!({"type": "object"})),
        );
        db.cli(&[
            "catalog",
            "import",
            spec.to_str().unwrap(),
            yaml.to_str().unwrap(),
            "--key",
            "two",
            "--category",
            "source",
        ])
        .assert_one_line_error("exactly one Airbyte spec file");
        db.cli(&["catalog", "import", plain.to_str().unwrap(), "--key", "x"])
            .assert_one_line_error("exactly one Airbyte spec file");
        let bad_side = write_file(&dir, "bad.yaml", "key: k\ncolour: red\n");
        db.cli(&[
            "catalog",
            "import",
            spec.to_str().unwrap(),
            "--fields",
            bad_side.to_str().unwrap(),
        ])
        .assert_one_line_error("invalid catalog fields");
        let lines_after = db.cli(&["catalog", "list"]).assert_ok().stdout_text();
        assert_eq!(lines_after, lines);
    }
);

fn reports_config() -> Value {
    json!({
        "type": "object",
        "required": ["reports"],
        "properties": {
            "reports": {"type": "array", "title": "Reports", "minItems": 1, "maxItems": 2, "items": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string", "title": "Name", "minLength": 2},
                               "days": {"type": "integer", "minimum": 1}}
            }}
        }
    })
}

both_databases!(
    arrays_of_objects_are_rows_added_and_removed_on_the_server,
    |db: TestDb| async move {
        db.cli(&["migrate"]).assert_ok();
        let path = write_file(
            db.data_dir(),
            "reports.json",
            &manifest("reports", reports_config()),
        );
        db.cli(&["catalog", "import", path.to_str().unwrap()])
            .assert_ok();
        let app = TestApp::spawn(db).await;
        let hal = app
            .signed_in_user("acme", "hal@acme.test", Role::Admin, "hal password 12345")
            .await;
        let url = "/features/connectors/forms/new/reports";
        let html = gil_page(&hal, &app, url).await;
        assert!(html.contains(r#"name="config.reports.0.name""#), "{html}");
        assert!(!html.contains(r#"name="config.reports.1.name""#));
        assert!(html.contains(r#"value="add:config.reports""#));
        assert!(!html.contains(r#"value="remove:config.reports.0""#));

        // "Add": the form comes back with a second row, typed values kept,
        // nothing saved, and no more "Add" at maxItems.
        let base = [
            ("name", "Reports"),
            ("tags", ""),
            ("config.reports.0.name", "daily"),
            ("config.reports.0.days", "1"),
            ("auth.api_key", "a-key-of-some-length"),
        ];
        let mut add = base.to_vec();
        add.push(("_row", "add:config.reports"));
        let res = hal.post_htmx(&app, url, &[], &add).await;
        assert_eq!(res.status(), 200);
        assert!(!res.headers().contains_key("hx-trigger"));
        let html = res.text().await.unwrap();
        for needle in [
            r#"name="config.reports.0.name" type="text" value="daily""#,
            r#"name="config.reports.1.name""#,
            r#"value="remove:config.reports.1""#,
        ] {
            assert!(html.contains(needle), "{needle} not in {html}");
        }
        assert!(!html.contains(r#"value="add:config.reports""#));
        assert!(!html.contains("a-key-of-some-length"));
        let list: Value = hal
            .get(&app, "/features/connectors/api/installed")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 0);

        // "Remove" takes the row out and renumbers the rest.
        let mut remove = base.to_vec();
        remove.extend([
            ("config.reports.1.name", "weekly"),
            ("_row", "remove:config.reports.0"),
        ]);
        let html = hal
            .post_htmx(&app, url, &[], &remove)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(r#"name="config.reports.0.name" type="text" value="weekly""#),
            "{html}"
        );
        assert!(!html.contains(r#"name="config.reports.1.name""#));

        // Saving validates each row on the server, errors by the row's name.
        let mut bad = base.to_vec();
        bad.extend([("config.reports.1.name", "x")]);
        let html = hal
            .post_htmx(&app, url, &[], &bad)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(r#"id="f-config-reports-1-name-error""#),
            "{html}"
        );
        let mut good = base.to_vec();
        good.extend([
            ("config.reports.1.name", "weekly"),
            ("config.reports.1.days", "7"),
        ]);
        let res = hal.post_htmx(&app, url, &[], &good).await;
        assert!(res.headers().contains_key("hx-trigger"));
        let list: Value = hal
            .get(&app, "/features/connectors/api/installed")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            list["items"][0]["config"],
            json!({"reports": [{"name": "daily", "days": 1}, {"name": "weekly", "days": 7}]})
        );
    }
);

async fn gil_page(who: &SignedIn, app: &TestApp, url: &str) -> String {
    let res = who.get(app, url).await;
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}
