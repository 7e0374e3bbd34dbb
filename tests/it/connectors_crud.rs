//! Installed connectors through HTTP: create, read, update, activate,
//! delete and list, and the error envelope of every failure.

use crate::both_databases;
use crate::support::{TestApp, TestDb, assert_envelope, twitter, wordpress};
use serde_json::{Value, json};

both_databases!(lifecycle_success_paths, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;

    let res = app.create(&admin, &wordpress("Company blog")).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let c: Value = res.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        location,
        format!("/features/connectors/api/connectors/{id}")
    );
    assert_eq!(c["status"], "inactive");
    assert_eq!(c["version"], 1);
    assert_eq!(c["catalog_key"], "wordpress");
    assert_eq!(c["name"], "Company blog");
    assert_eq!(c["tags"], json!(["blog", "main"]));
    assert_eq!(c["config"]["site_url"], "https://blog.example.com");
    assert_eq!(c["secrets"]["application_password"]["set"], true);
    assert!(c["secrets"]["application_password"]["updated_at"].is_string());
    assert_eq!(c["created_by_name"], "admin");
    for f in ["tenant_id", "catalog_id", "created_by", "updated_by"] {
        assert!(uuid::Uuid::parse_str(c[f].as_str().unwrap()).is_ok(), "{f}");
    }
    assert!(!c.to_string().contains("EFGH"));

    let got = app.fetch(&admin, &id).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["etag"], "\"1\"");
    let got: Value = got.json().await.unwrap();
    assert_eq!(got, c);

    let list = app.get_json(&admin, "/installed").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["next_cursor"].is_null());

    // A partial update keeps what it does not name.
    let res = app
        .patch_if(&admin, &id, &json!({"name": "Blog"}), "\"1\"")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let upd: Value = res.json().await.unwrap();
    assert_eq!(upd["name"], "Blog");
    assert_eq!(upd["version"], 2);
    assert_eq!(upd["config"], c["config"]);
    assert_eq!(upd["tags"], c["tags"]);
    let res = app
        .patch(&admin, &id, &json!({"tags": ["x"], "version": 2}))
        .await;
    assert_eq!(res.status(), 200);
    let upd: Value = res.json().await.unwrap();
    assert_eq!(upd["tags"], json!(["x"]));
    assert_eq!(upd["version"], 3);

    // validate-config
    let ok = app.post_json(&admin, "/validate-config", &json!({"catalog_key": "wordpress", "config": {"site_url": "https://a.example", "username": "u"}})).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap(), json!({"valid": true}));
    let bad = app
        .post_json(
            &admin,
            "/validate-config",
            &json!({"catalog_key": "wordpress", "config": {"site_url": "ftp://x"}}),
        )
        .await;
    let body = assert_envelope(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"]["config.username"], json!(["is required"]));
    let msg = body["errors"]["config.site_url"][0].as_str().unwrap();
    assert!(msg.starts_with("must "), "{msg}");
    assert!(!msg.contains('^') && !msg.contains("ftp"), "{msg}");

    let del = app.delete(&admin, &format!("/connectors/{id}")).await;
    assert_eq!(del.status(), 204);
    assert_envelope(app.fetch(&admin, &id).await, 404, "not_found").await;
    app.stop().await;
});

both_databases!(
    every_error_status_uses_the_envelope,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let url = app.api("/connectors");

        // 400 malformed JSON
        let res = app
            .http
            .post(&url)
            .bearer_auth(&admin.token)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_envelope(res, 400, "bad_request").await;
        // 415 wrong content type
        let res = app
            .http
            .post(&url)
            .bearer_auth(&admin.token)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_envelope(res, 415, "unsupported_media_type").await;
        // 413 too large (the test app allows 64 KiB)
        let big = json!({"catalog_key": "wordpress", "name": "x".repeat(70_000)});
        // The server closes a connection whose body it refused unread;
        // `Connection: close` keeps the client from reusing it.
        let res = app
            .http
            .post(&url)
            .bearer_auth(&admin.token)
            .header("connection", "close")
            .json(&big)
            .send()
            .await
            .unwrap();
        assert_envelope(res, 413, "payload_too_large").await;
        // 401
        let res = app
            .http
            .post(&url)
            .json(&wordpress("a"))
            .send()
            .await
            .unwrap();
        assert_envelope(res, 401, "unauthorized").await;
        // 422 with per-field errors
        let res = app
            .create(
                &admin,
                &json!({
                    "catalog_key": "wordpress", "name": "  ",
                    "config": {"site_url": "not a url", "default_status": "maybe", "bogus": 1},
                    "auth": {"application_password": "short", "nope": "x"},
                    "tags": "notalist", "tenant_id": "someone-else", "extra": true
                }),
            )
            .await;
        let body = assert_envelope(res, 422, "validation_failed").await;
        let e = &body["errors"];
        assert_eq!(e["name"], json!(["must not be empty"]));
        assert_eq!(e["config.username"], json!(["is required"]));
        assert!(e["config.site_url"].is_array());
        assert!(
            e["config.default_status"][0]
                .as_str()
                .unwrap()
                .starts_with("must be one of:")
        );
        assert_eq!(e["config.bogus"], json!(["is not a recognised field"]));
        assert!(e["auth.application_password"].is_array());
        assert_eq!(e["auth.nope"], json!(["is not a secret of this connector"]));
        assert!(e["tags"].is_array());
        assert_eq!(
            e["tenant_id"],
            json!(["is set by the server and cannot be changed"])
        );
        assert_eq!(e["extra"], json!(["is not a recognised field"]));
        let text = body.to_string();
        assert!(
            !text.contains("short") && !text.contains("not a url") && !text.contains("maybe"),
            "{text}"
        );
        // Unknown catalog key, missing required pieces.
        let res = app
            .create(&admin, &json!({"catalog_key": "nope", "name": "x"}))
            .await;
        let body = assert_envelope(res, 422, "validation_failed").await;
        assert_eq!(
            body["errors"]["catalog_key"],
            json!(["does not name a catalog entry"])
        );
        let res = app.create(&admin, &json!({})).await;
        let body = assert_envelope(res, 422, "validation_failed").await;
        assert_eq!(body["errors"]["catalog_key"], json!(["is required"]));
        assert_eq!(body["errors"]["name"], json!(["is required"]));
        // 409 duplicate name
        let c = app.create_ok(&admin, &wordpress("Dup")).await;
        let res = app.create(&admin, &wordpress("Dup")).await;
        assert_envelope(res, 409, "conflict").await;
        let other = app.create_ok(&admin, &wordpress("Other")).await;
        let res = app
            .patch(
                &admin,
                other["id"].as_str().unwrap(),
                &json!({"name": "Dup"}),
            )
            .await;
        assert_envelope(res, 409, "conflict").await;
        // 404
        let res = app.fetch(&admin, &uuid::Uuid::new_v4().to_string()).await;
        assert_envelope(res, 404, "not_found").await;
        let res = app.fetch(&admin, "not-a-uuid").await;
        assert_envelope(res, 404, "not_found").await;
        // 412 stale If-Match, nothing changed
        let id = c["id"].as_str().unwrap();
        let res = app
            .patch_if(&admin, id, &json!({"name": "Changed"}), "7")
            .await;
        assert_envelope(res, 412, "precondition_failed").await;
        let res = app
            .patch(&admin, id, &json!({"name": "Changed", "version": 0}))
            .await;
        assert_envelope(res, 412, "precondition_failed").await;
        let now: Value = app.fetch(&admin, id).await.json().await.unwrap();
        assert_eq!(now["name"], "Dup");
        assert_eq!(now["version"], 1);
        // Unknown fields and server fields on update
        let res = app
            .patch(
                &admin,
                id,
                &json!({"id": "x", "created_by": "me", "catalog_key": "medium", "colour": 1}),
            )
            .await;
        let body = assert_envelope(res, 422, "validation_failed").await;
        for f in ["id", "created_by", "catalog_key", "colour"] {
            assert!(body["errors"][f].is_array(), "{f}");
        }
        // Bad query parameters
        for (path, status, code) in [
            ("/installed?limit=500", 422, "validation_failed"),
            ("/installed?limit=abc", 400, "bad_request"),
            ("/installed?cursor=garbage", 422, "validation_failed"),
            ("/installed?sort=name", 400, "bad_request"),
        ] {
            assert_envelope(app.send_get(&admin, path).await, status, code).await;
        }
        app.stop().await;
    }
);

both_databases!(activation_rules_and_transitions, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let id = app
        .create_id(
            &admin,
            &twitter("Partial", json!({"api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA"})),
        )
        .await;
    let res = app.patch(&admin, &id, &json!({"status": "active"})).await;
    let body = assert_envelope(res, 422, "validation_failed").await;
    for s in [
        "auth.api_secret",
        "auth.access_token",
        "auth.access_token_secret",
    ] {
        assert_eq!(
            body["errors"][s],
            json!(["is required to activate the connector"]),
            "{s}"
        );
    }
    assert!(body["errors"]["auth.api_key"].is_null());
    let res = app
        .patch(
            &admin,
            &id,
            &json!({
                "status": "active",
                "auth": {
                    "api_secret": "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
                    "access_token": "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
                    "access_token_secret": "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD"
                }
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "active");
    let res = app
        .patch(
            &admin,
            &id,
            &json!({"status": "error", "status_message": "rate limited"}),
        )
        .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "error");
    assert_eq!(v["status_message"], "rate limited");
    let res = app.patch(&admin, &id, &json!({"status": "active"})).await;
    let body = assert_envelope(res, 422, "validation_failed").await;
    assert!(
        body["errors"]["status"][0]
            .as_str()
            .unwrap()
            .contains("cannot change from error to active")
    );
    let res = app.patch(&admin, &id, &json!({"status": "inactive"})).await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], "inactive");
    assert!(v["status_message"].is_null());
    let res = app.patch(&admin, &id, &json!({"status": "paused"})).await;
    assert_envelope(res, 422, "validation_failed").await;
    let res = app
        .patch(&admin, &id, &json!({"status_message": "hi"}))
        .await;
    assert_envelope(res, 422, "validation_failed").await;
    app.stop().await;
});

both_databases!(list_filters_and_pagination, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut body = wordpress(&format!("Blog {i}"));
        body["tags"] = json!([if i % 2 == 0 { "even" } else { "odd" }]);
        ids.push(app.create_id(&admin, &body).await);
    }
    app.create_ok(
        &admin,
        &json!({"catalog_key": "medium", "name": "100% Medium_post", "config": {}}),
    )
    .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/installed?limit=2&cursor={c}"),
            None => "/installed?limit=2".to_string(),
        };
        let page = app.get_json(&admin, &path).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(&seen[..5], &ids[..]);

    let count = |path: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.get_json(admin, path).await["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count("/installed?tag=even").await, 3);
    assert_eq!(count("/installed?catalog_key=medium").await, 1);
    assert_eq!(count("/installed?q=blog").await, 5);
    assert_eq!(count("/installed?q=100%25").await, 1);
    assert_eq!(count("/installed?q=Blog_").await, 0);
    assert_eq!(count("/installed?q=Medium_").await, 1);
    assert_eq!(count("/installed?status=active").await, 0);
    assert_eq!(count("/installed?status=inactive").await, 6);
    app.stop().await;
});
