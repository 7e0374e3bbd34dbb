//! Authentication and the catalog endpoints over HTTP.

use crate::both_databases;
use crate::support::{OutputExt, TestApp, TestDb, assert_envelope, id_of, send_json, write_file};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

both_databases!(
    tokens_none_bad_and_revoked_answer_401,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let url = app.api("/catalog");

        let ok = app.send_get(&admin, "/catalog").await;
        assert_eq!(ok.status(), 200);

        // RFC 6750: every 401 challenges for a bearer token, and says
        // `invalid_token` when the token sent does not authenticate.
        let plain = "Bearer realm=\"connectors\"";
        let invalid = "Bearer realm=\"connectors\", error=\"invalid_token\", error_description=\"the token is unknown, revoked or expired\"";
        let none = app.http.get(&url).send().await.unwrap();
        assert_eq!(none.headers()["www-authenticate"], plain);
        assert_envelope(none, 401, "unauthorized").await;
        for (bad, challenge) in [
            ("nope", invalid),
            ("cnk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", invalid),
            ("", plain),
        ] {
            let res = app.http.get(&url).bearer_auth(bad).send().await.unwrap();
            assert_eq!(res.headers()["www-authenticate"], challenge, "{bad:?}");
            assert_envelope(res, 401, "unauthorized").await;
        }
        let basic = app
            .http
            .get(&url)
            .header("authorization", format!("Basic {}", admin.token))
            .send()
            .await
            .unwrap();
        assert_eq!(basic.headers()["www-authenticate"], plain);
        assert_envelope(basic, 401, "unauthorized").await;

        // Revoke it through the same code path as the CLI.
        let rows = app
            .store
            .token_list(&app.store.tenant_by_slug("acme").await.unwrap().unwrap().id)
            .await
            .unwrap();
        connectors::service::identity::revoke_token(app.store.as_ref(), &rows[0].id)
            .await
            .unwrap();
        let revoked = app.send_get(&admin, "/catalog").await;
        assert_eq!(revoked.headers()["www-authenticate"], invalid);
        assert_envelope(revoked, 401, "unauthorized").await;
        app.stop().await;
    }
);

both_databases!(
    a_removed_membership_stops_the_token,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let member = app.actor("acme", "m@acme.test", Role::Member).await;
        let res = app.send_get(&member, "/catalog").await;
        assert_eq!(res.status(), 200);
        // Members read the catalog; a token of another tenant's user does not
        // carry over to a tenant they are not in.
        let other = app.other_admin().await;
        let res = app.send_get(&other, "/catalog").await;
        assert_eq!(res.status(), 200);
        app.stop().await;
    }
);

both_databases!(
    catalog_lists_four_entries_with_schemas_and_filters,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let who = app.member().await;

        let res = app.send_get(&who, "/catalog").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers().contains_key("x-request-id"));
        let body: Value = res.json().await.unwrap();
        assert!(body["next_cursor"].is_null());
        let items = body["items"].as_array().unwrap();
        let keys: Vec<&str> = items.iter().map(|i| i["key"].as_str().unwrap()).collect();
        assert_eq!(keys.len(), 4);
        for k in ["twitter", "wordpress", "linkedin", "medium"] {
            assert!(keys.contains(&k), "{k}");
        }
        for item in items {
            assert_eq!(item["default_config_schema"]["type"], "object");
            assert_eq!(item["auth_schema"]["type"], "object");
            assert_eq!(item["capabilities"]["publish"], true);
            assert!(uuid::Uuid::parse_str(item["id"].as_str().unwrap()).is_ok());
            for t in ["created_at", "updated_at"] {
                let s = item[t].as_str().unwrap();
                assert!(
                    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z'),
                    "{s}"
                );
            }
        }
        // Field order is the manifest's own, on every database.
        let wp = items.iter().find(|i| i["key"] == "wordpress").unwrap();
        let props: Vec<&String> = wp["default_config_schema"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(props[0], "site_url");
        assert_eq!(props[1], "username");

        let q = |path: &'static str| {
            let (app, who) = (&app, &who);
            async move {
                let res = app.send_get(who, path).await;
                assert_eq!(res.status(), 200, "{path}");
                let v: Value = res.json().await.unwrap();
                let mut keys: Vec<String> = v["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["key"].as_str().unwrap().to_string())
                    .collect();
                keys.sort();
                keys
            }
        };
        assert_eq!(q("/catalog?category=social").await, ["linkedin", "twitter"]);
        assert_eq!(q("/catalog?category=SOCIAL").await, ["linkedin", "twitter"]);
        assert_eq!(
            q("/catalog?category=blogging").await,
            ["medium", "wordpress"]
        );
        assert_eq!(q("/catalog?q=WORDPRESS").await, ["wordpress"]);
        assert_eq!(
            q("/catalog?q=nothing-matches-this").await,
            Vec::<String>::new()
        );
        assert_eq!(q("/catalog?q=&category=").await.len(), 4);
        assert_eq!(
            q("/catalog?q=press&category=social").await,
            Vec::<String>::new()
        );

        let one = app.send_get(&who, "/catalog/medium").await;
        assert_eq!(one.status(), 200);
        let one: Value = one.json().await.unwrap();
        assert_eq!(one["key"], "medium");
        assert_eq!(one["auth_type"], "api_key");
        assert!(one["auth_schema"]["properties"]["integration_token"].is_object());

        let missing = app.send_get(&who, "/catalog/nope").await;
        assert_envelope(missing, 404, "not_found").await;
        let unknown = app.send_get(&who, "/catalog?colour=red").await;
        assert_envelope(unknown, 400, "bad_request").await;
        app.stop().await;
    }
);

both_databases!(
    errors_use_the_envelope_everywhere,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let who = app.admin().await;
        let res = app
            .http
            .get(app.url("/no/such/route"))
            .send()
            .await
            .unwrap();
        assert_envelope(res, 404, "not_found").await;
        let res = app.delete(&who, "/catalog").await;
        assert_envelope(res, 405, "method_not_allowed").await;

        let health = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        let ready = send_json(app.http.get(app.url("/readyz"))).await;
        assert_eq!(ready["status"], "ok");

        // A well-formed request id is echoed; a hostile one is replaced.
        let res = app
            .http
            .get(app.url("/healthz"))
            .header("x-request-id", "abc-123")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-request-id"], "abc-123");
        let res = app
            .http
            .get(app.url("/healthz"))
            .header("x-request-id", "bad id\twith spaces")
            .send()
            .await
            .unwrap();
        assert_ne!(res.headers()["x-request-id"], "bad id\twith spaces");
        app.stop().await;
    }
);

/// A manifest whose schemas share definitions through `$ref`, kept under
/// `defs_key` (`definitions` or `$defs`).
fn manifest_with_refs(key: &str, defs_key: &str) -> String {
    json!({
        "key": key,
        "name": format!("Refs under {defs_key}"),
        "category": "test",
        "auth_type": "api_key",
        "capabilities": {"publish": true},
        "default_config_schema": {
            "type": "object",
            defs_key: {"site": {"type": "string", "format": "uri", "title": "Site"}},
            "properties": {"site_url": {"$ref": format!("#/{defs_key}/site")}},
            "required": ["site_url"]
        },
        "auth_schema": {
            "type": "object",
            defs_key: {
                "token": {
                    "type": "string",
                    "minLength": 8,
                    "pattern": "^tok_",
                    "patternDescription": "must start with tok_"
                }
            },
            "properties": {
                "api_token": {"$ref": format!("#/{defs_key}/token")},
                "backup_token": {"$ref": format!("#/{defs_key}/token")}
            },
            "required": ["api_token"]
        }
    })
    .to_string()
}

both_databases!(
    manifests_with_definitions_or_defs_refs_work_end_to_end,
    |db: TestDb| async move {
        let dir = db.data_dir().to_path_buf();
        let a = write_file(
            &dir,
            "a.json",
            &manifest_with_refs("refs_definitions", "definitions"),
        );
        let b = write_file(&dir, "b.json", &manifest_with_refs("refs_defs", "$defs"));
        db.cli(&[
            "catalog",
            "import",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ])
        .assert_ok();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app.reader().await;
        for key in ["refs_definitions", "refs_defs"] {
            let res = app.send_get(&admin, &format!("/catalog/{key}")).await;
            assert_eq!(res.status(), 200, "{key}");

            // Validation follows the references, on install.
            let bad = json!({
                "catalog_key": key, "name": format!("{key} bad"),
                "config": {"site_url": "not a url"},
                "auth": {"api_token": "nope"}
            });
            let body =
                assert_envelope(app.create(&admin, &bad).await, 422, "validation_failed").await;
            assert!(
                body["errors"]["config.site_url"].is_array(),
                "{key}: {body}"
            );
            let msgs = body["errors"]["auth.api_token"].to_string();
            assert!(
                msgs.contains("must start with tok_") || msgs.contains("at least"),
                "{key}: {body}"
            );
            assert!(!body.to_string().contains("nope"), "{key}: {body}");

            let c = app
                .create_ok(
                    &admin,
                    &json!({
                        "catalog_key": key, "name": format!("{key} good"),
                        "config": {"site_url": "https://example.com"},
                        "auth": {"api_token": "tok_12345678"}
                    }),
                )
                .await;
            let id = id_of(&c);
            assert_eq!(c["secrets"]["api_token"]["set"], true, "{key}");
            assert_eq!(c["secrets"]["backup_token"], json!({"set": false}), "{key}");

            // Read and list.
            assert_eq!(app.fetch(&admin, &id).await.status(), 200, "{key}");
            let res = app
                .send_get(&admin, &format!("/installed?catalog_key={key}"))
                .await;
            assert_eq!(res.status(), 200, "{key}");
            let list: Value = res.json().await.unwrap();
            assert_eq!(list["items"].as_array().unwrap().len(), 1, "{key}");

            // Updates: a bad secret is refused by its referenced schema, a
            // good one is stored; then activation and the credentials read.
            let res = app
                .patch(&admin, &id, &json!({"auth": {"backup_token": "tok_x"}}))
                .await;
            let body = assert_envelope(res, 422, "validation_failed").await;
            assert!(
                body["errors"]["auth.backup_token"].is_array(),
                "{key}: {body}"
            );
            let res = app
                .patch(
                    &admin,
                    &id,
                    &json!({"auth": {"backup_token": "tok_backup_1"}}),
                )
                .await;
            assert_eq!(res.status(), 200, "{key}");
            let res = app.patch(&admin, &id, &json!({"status": "active"})).await;
            assert_eq!(res.status(), 200, "{key}");
            let res = app.credentials(&reader, &id).await;
            assert_eq!(res.status(), 200, "{key}");
            let creds: Value = res.json().await.unwrap();
            assert_eq!(
                creds,
                json!({"api_token": "tok_12345678", "backup_token": "tok_backup_1"}),
                "{key}"
            );
        }
        app.stop().await;
    }
);
