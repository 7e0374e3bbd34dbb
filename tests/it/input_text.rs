//! Text that is not text: NUL and other control characters in query
//! parameters, body fields, config strings and keys at any depth, and
//! secrets; and an `If-Match` that is not one readable version. Refused
//! alike on SQLite and PostgreSQL — 400 for query parameters and headers,
//! 422 naming the field for bodies — without repeating the value, and
//! nothing is stored.

use crate::both_databases;
use crate::support::{APP_PASSWORD, wordpress};
use crate::support::{Actor, OutputExt, TestApp, TestDb, assert_envelope, write_file};
use connectors::domain::identity::Role;
use connectors::service::identity as svc;
use serde_json::{Value, json};

/// A value no answer may repeat: a marker around a NUL.
const NUL_TEXT: &str = "s3cretmark\u{0}er";

/// A catalog entry with free text, nested objects that take any key, and
/// lists inside them.
const NOTEBOOK: &str = r#"{
  "key": "notebook",
  "name": "Notebook",
  "description": "Keeps notes.",
  "category": "notes",
  "icon": "notebook",
  "auth_type": "api_key",
  "capabilities": {"publish": true, "drafts": true},
  "default_config_schema": {
    "type": "object",
    "properties": {
      "notes": {"type": "string", "title": "Notes"},
      "options": {
        "type": "object",
        "title": "Options",
        "properties": {
          "label": {"type": "string", "title": "Label"},
          "aliases": {"type": "array", "title": "Aliases", "items": {"type": "string"}}
        },
        "additionalProperties": true
      }
    },
    "additionalProperties": false
  },
  "auth_schema": {
    "type": "object",
    "properties": {"api_key": {"type": "string", "minLength": 1, "title": "API key"}},
    "required": ["api_key"]
  }
}"#;

/// The app with the notebook entry imported.
async fn spawn_with_notebook(db: TestDb) -> TestApp {
    db.cli(&["migrate"]).assert_ok();
    let path = write_file(db.data_dir(), "notebook.json", NOTEBOOK);
    db.cli(&["catalog", "import", path.to_str().unwrap()])
        .assert_ok();
    TestApp::spawn(db).await
}

/// The answer's text does not repeat the marker or carry a NUL.
fn assert_not_echoed(text: &str) {
    assert!(
        !text.contains("s3cretmark"),
        "the value is repeated: {text}"
    );
    assert!(!text.contains("\\u0000"), "a NUL is repeated: {text}");
    assert!(!text.contains('\u{0}'), "a NUL is repeated: {text}");
}

async fn refused_field(res: reqwest::Response, field: &str) -> Value {
    assert_eq!(res.status(), 422, "{field}");
    let text = res.text().await.unwrap();
    assert_not_echoed(&text);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "validation_failed", "{body}");
    assert!(
        body["errors"][field]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{field} not in {body}"
    );
    body
}

async fn installed_count(app: &TestApp, who: &Actor) -> usize {
    app.get_json(who, "/installed").await["items"]
        .as_array()
        .unwrap()
        .len()
}

both_databases!(
    query_parameters_with_control_characters_are_refused,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        app.create_ok(&admin, &wordpress("Blog")).await;
        let params = [
            ("/installed", "q"),
            ("/installed", "tag"),
            ("/installed", "catalog_key"),
            ("/installed", "status"),
            ("/catalog", "q"),
            ("/catalog", "category"),
            ("/audit", "connector_id"),
            ("/publish-targets", "capability"),
        ];
        for (path, param) in params {
            for bad in ["s3cretmark%00er", "s3cretmark%1Ber", "%00"] {
                let res = app.send_get(&admin, &format!("{path}?{param}={bad}")).await;
                assert_eq!(res.status(), 400, "{path}?{param}={bad}");
                let text = res.text().await.unwrap();
                assert_not_echoed(&text);
                let body: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(body["error"], "bad_request", "{body}");
                let message = body["message"].as_str().unwrap();
                assert!(message.contains(param), "{message}");
            }
            // Ordinary text still filters.
            let res = app.send_get(&admin, &format!("{path}?{param}=blog")).await;
            assert!(
                res.status() == 200 || res.status() == 422,
                "{path}?{param}=blog: {}",
                res.status()
            );
        }
        let list = app.get_json(&admin, "/installed?q=Blo").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        // A key in the path holding a NUL is simply not found.
        let res = app.send_get(&admin, "/catalog/word%00press").await;
        assert_envelope(res, 404, "not_found").await;
        app.stop().await;
    }
);

both_databases!(
    install_refuses_control_characters_by_field,
    |db: TestDb| async move {
        let app = spawn_with_notebook(db).await;
        let admin = app.admin().await;

        let mut body = wordpress("Blog");
        body["name"] = json!(format!("Blog {NUL_TEXT}"));
        refused_field(app.create(&admin, &body).await, "name").await;

        let mut body = wordpress("Blog");
        body["tags"] = json!(["blog", NUL_TEXT]);
        refused_field(app.create(&admin, &body).await, "tags.1").await;

        let mut body = wordpress("Blog");
        body["tags"] = json!(["tab\there"]);
        refused_field(app.create(&admin, &body).await, "tags.0").await;

        let mut body = wordpress("Blog");
        body["config"]["default_category"] = json!(NUL_TEXT);
        refused_field(app.create(&admin, &body).await, "config.default_category").await;

        let mut body = wordpress("Blog");
        body["config"]["default_tags"] = json!(["news", NUL_TEXT]);
        refused_field(app.create(&admin, &body).await, "config.default_tags.1").await;

        let mut body = wordpress("Blog");
        body["config"]["default_category"] = json!("s3cretmark\u{1b}[31m");
        refused_field(app.create(&admin, &body).await, "config.default_category").await;

        let mut body = wordpress("Blog");
        body["auth"]["application_password"] = json!(format!("abcd{NUL_TEXT}"));
        refused_field(app.create(&admin, &body).await, "auth.application_password").await;

        // At any depth, in nested objects and the lists inside them, and in
        // the keys of an object.
        let notebook = |config: Value, auth: Value| json!({"catalog_key": "notebook", "name": "Notes", "config": config, "auth": auth});
        let cases = [
            (json!({"notes": NUL_TEXT}), "config.notes"),
            (
                json!({"options": {"label": NUL_TEXT}}),
                "config.options.label",
            ),
            (
                json!({"options": {"aliases": ["ok", NUL_TEXT]}}),
                "config.options.aliases.1",
            ),
            (
                json!({"options": {"free": NUL_TEXT}}),
                "config.options.free",
            ),
            (
                json!({"options": {"deep": {"list": [{"x": NUL_TEXT}]}}}),
                "config.options.deep.list.0.x",
            ),
            (json!({"options": {NUL_TEXT: "value"}}), "config.options"),
            (json!({NUL_TEXT: "value"}), "config"),
        ];
        for (config, field) in cases {
            let res = app.create(&admin, &notebook(config, json!({}))).await;
            refused_field(res, field).await;
        }
        let res = app
            .create(
                &admin,
                &notebook(json!({}), json!({"api_key": "s3cretmark\u{7}er"})),
            )
            .await;
        refused_field(res, "auth.api_key").await;
        assert_eq!(installed_count(&app, &admin).await, 0, "nothing stored");

        // Multi-line text stays welcome: tab, line feed and carriage return.
        let notes = "first line\r\nsecond\tline\nthird";
        let pem = "-----BEGIN KEY-----\nabc\n-----END KEY-----\n";
        let created = app
            .create_ok(
                &admin,
                &notebook(
                    json!({"notes": notes, "options": {"free": "a\tb", "aliases": ["x\ny"]}}),
                    json!({"api_key": pem}),
                ),
            )
            .await;
        assert_eq!(created["config"]["notes"], notes);
        assert_eq!(created["config"]["options"]["free"], "a\tb");

        // Checking a config alone refuses the same text.
        let res = app
            .post_json(
                &admin,
                "/validate-config",
                &json!({"catalog_key": "notebook", "config": {"options": {"label": NUL_TEXT}}}),
            )
            .await;
        refused_field(res, "config.options.label").await;
        app.stop().await;
    }
);

both_databases!(
    update_refuses_control_characters_by_field,
    |db: TestDb| async move {
        let app = spawn_with_notebook(db).await;
        let admin = app.admin().await;
        let id = app.create_id(&admin, &wordpress("Blog")).await;
        let cases = [
            (json!({"name": NUL_TEXT}), "name"),
            (json!({"tags": ["ok", NUL_TEXT]}), "tags.1"),
            (
                json!({"status": "error", "status_message": format!("failed: {NUL_TEXT}")}),
                "status_message",
            ),
            (
                json!({"status": "error", "status_message": "s3cretmark\u{8}er"}),
                "status_message",
            ),
            (
                json!({"config": {"site_url": "https://blog.example.com", "username": "editor", "default_category": NUL_TEXT}}),
                "config.default_category",
            ),
            (
                json!({"auth": {"application_password": format!("{APP_PASSWORD}{NUL_TEXT}")}}),
                "auth.application_password",
            ),
        ];
        for (body, field) in cases {
            refused_field(app.patch(&admin, &id, &body).await, field).await;
        }
        let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(now["version"], 1, "nothing changed: {now}");
        assert_eq!(now["name"], "Blog");
        assert_eq!(now["status"], "inactive");

        // A multi-line status message is kept.
        let res = app
            .patch(
                &admin,
                &id,
                &json!({"status": "error", "status_message": "timed out\nretrying later"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["status_message"], "timed out\nretrying later");

        let nid = app
            .create_id(
                &admin,
                &json!({"catalog_key": "notebook", "name": "Notes", "config": {}, "auth": {}}),
            )
            .await;
        let res = app
            .patch(
                &admin,
                &nid,
                &json!({"config": {"options": {"aliases": [NUL_TEXT]}}}),
            )
            .await;
        refused_field(res, "config.options.aliases.0").await;
        let res = app
            .patch(&admin, &nid, &json!({"auth": {"api_key": NUL_TEXT}}))
            .await;
        refused_field(res, "auth.api_key").await;
        let now: Value = app.fetch(&admin, &nid).await.json().await.unwrap();
        assert_eq!(now["version"], 1, "nothing changed: {now}");
        app.stop().await;
    }
);

both_databases!(
    form_posts_show_control_characters_inline,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let fay = app
            .signed_in_user("acme", "fay@acme.test", Role::Admin, "fay password")
            .await;
        let post = |path: String, fields: Vec<(&'static str, String)>| {
            let (app, fay) = (&app, &fay);
            async move { fay.post_htmx(app, &path, &[], &fields).await }
        };
        let fields = |category: &str| {
            vec![
                ("name", "Blog".to_string()),
                ("config.site_url", "https://blog.example.com".to_string()),
                ("config.username", "editor".to_string()),
                ("config.default_category", category.to_string()),
                ("auth.application_password", APP_PASSWORD.to_string()),
            ]
        };
        let res = post(
            "/features/connectors/forms/new/wordpress".into(),
            fields(NUL_TEXT),
        )
        .await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let at = html
            .find("id=\"f-config-default_category-error\"")
            .unwrap_or_else(|| panic!("no field for the category: {html}"));
        assert!(
            html[at..].contains("control characters"),
            "an inline error: {html}"
        );
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
        let admin = app.admin().await;
        assert_eq!(installed_count(&app, &admin).await, 0, "nothing stored");

        // And on edit.
        let res = post(
            "/features/connectors/forms/new/wordpress".into(),
            fields("News"),
        )
        .await;
        assert_eq!(res.status(), 200);
        let id = app.first_installed_id(&admin).await;
        let mut edit = fields(NUL_TEXT);
        edit.push(("version", "1".to_string()));
        let res = post(format!("/features/connectors/forms/{id}/edit"), edit).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("control characters"), "{html}");
        let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(now["version"], 1);
        assert_eq!(now["config"]["default_category"], "News");
        app.stop().await;
    }
);

both_databases!(unreadable_if_match_is_refused, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let id = app.create_id(&admin, &wordpress("Blog")).await;
    let unreadable = reqwest::header::HeaderValue::from_bytes(b"\"1\xff\"").unwrap();
    let values = [
        unreadable,
        reqwest::header::HeaderValue::from_bytes(b"\xe9").unwrap(),
        reqwest::header::HeaderValue::from_static("abc"),
        reqwest::header::HeaderValue::from_static("\"abc\""),
        reqwest::header::HeaderValue::from_static("\"1"),
        reqwest::header::HeaderValue::from_static("+1"),
        reqwest::header::HeaderValue::from_static(""),
    ];
    for value in values {
        let res = app
            .http
            .patch(app.api(&format!("/connectors/{id}")))
            .bearer_auth(&admin.token)
            .header("if-match", value.clone())
            .json(&json!({"name": "Renamed"}))
            .send()
            .await
            .unwrap();
        let body = assert_envelope(res, 400, "bad_request").await;
        assert!(
            body["message"].as_str().unwrap().contains("If-Match"),
            "{value:?}: {body}"
        );
    }
    // Two If-Match headers are not one version either.
    let res = app
        .http
        .patch(app.api(&format!("/connectors/{id}")))
        .bearer_auth(&admin.token)
        .header("if-match", "1")
        .header("if-match", "\u{30}abc")
        .json(&json!({"name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_envelope(res, 400, "bad_request").await;
    let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
    assert_eq!(now["version"], 1, "nothing changed: {now}");
    assert_eq!(now["name"], "Blog");

    // The accepted forms still work: bare, quoted, weak and `*`.
    for (value, version) in [("1", 2), ("\"2\"", 3), ("W/\"3\"", 4), ("*", 5)] {
        let res = app
            .patch_if(
                &admin,
                &id,
                &json!({"name": format!("Blog {version}")}),
                value,
            )
            .await;
        assert_eq!(res.status(), 200, "{value}");
        assert_eq!(res.headers()["etag"], format!("\"{version}\"").as_str());
    }
    let stale = app
        .patch_if(&admin, &id, &json!({"name": "Stale"}), "\"1\"")
        .await;
    assert_envelope(stale, 412, "precondition_failed").await;
    app.stop().await;
});

both_databases!(
    text_a_database_refuses_is_a_client_error,
    |db: TestDb| async move {
        use connectors::storage::{AuditWrite, ConnectorFilter, ConnectorInsert};
        use connectors::web::error::AppError;
        let on_postgres = db.pg_name.is_some();
        let app = TestApp::spawn(db).await;
        let store = app.store.as_ref();
        let tenant = svc::create_tenant(store, "acme", None).await.unwrap();
        let catalog = store.catalog_get("wordpress").await.unwrap().unwrap();
        // Below every check of the service: what the database itself says.
        let listed = store
            .connector_list(
                &tenant.id,
                &ConnectorFilter {
                    name_contains: Some(NUL_TEXT.to_string()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await;
        let now = chrono::Utc::now();
        let id = uuid::Uuid::now_v7().to_string();
        let inserted = store
            .connector_insert(
                &tenant.id,
                &ConnectorInsert {
                    id: id.as_str().into(),
                    catalog_id: catalog.id.clone(),
                    name: "Raw".into(),
                    config: json!({"default_category": NUL_TEXT}).to_string(),
                    auth: "{}".into(),
                    secret_states: "{}".into(),
                    tags: "[]".into(),
                    actor_id: "00000000-0000-7000-8000-000000000001".into(),
                    actor_name: "test".into(),
                    now,
                },
                &AuditWrite {
                    id: uuid::Uuid::now_v7().to_string(),
                    connector_id: Some(id),
                    actor_id: None,
                    actor_name: None,
                    action: "connector.created".into(),
                    changes: "{}".into(),
                    created_at: now,
                },
            )
            .await;
        if on_postgres {
            for err in [listed.map(|_| ()).unwrap_err(), inserted.unwrap_err()] {
                let shown = err.to_string();
                assert_not_echoed(&shown);
                let answer = AppError::from(err);
                assert_eq!(answer.status.as_u16(), 400, "{shown}");
                assert_eq!(answer.code, "bad_request");
                assert_not_echoed(&answer.message);
            }
        } else {
            // SQLite stores any text; the service's checks keep it out.
            assert!(listed.is_ok());
            assert!(inserted.is_ok(), "{inserted:?}");
        }
        app.stop().await;
    }
);
