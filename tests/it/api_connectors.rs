//! Installed connectors through HTTP: lifecycle, validation, secrets,
//! tenancy, concurrency and audit.

use crate::both_databases;
use crate::support::{Actor, TestApp, TestDb, assert_envelope};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

pub const APP_PASSWORD: &str = "abcd EFGH ijkl MNOP qrst UVWX";

pub fn wordpress(name: &str) -> Value {
    json!({
        "catalog_key": "wordpress",
        "name": name,
        "config": {"site_url": "https://blog.example.com", "username": "editor"},
        "auth": {"application_password": APP_PASSWORD},
        "tags": ["blog", "main"]
    })
}

pub fn twitter(name: &str, secrets: Value) -> Value {
    json!({
        "catalog_key": "twitter",
        "name": name,
        "config": {"username": "acme_news"},
        "auth": secrets
    })
}

impl TestApp {
    pub async fn create(&self, who: &Actor, body: &Value) -> reqwest::Response {
        self.http
            .post(self.api("/connectors"))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_ok(&self, who: &Actor, body: &Value) -> Value {
        let res = self.create(who, body).await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        res.json().await.unwrap()
    }

    pub async fn patch(&self, who: &Actor, id: &str, body: &Value) -> reqwest::Response {
        self.http
            .patch(self.api(&format!("/connectors/{id}")))
            .bearer_auth(&who.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn fetch(&self, who: &Actor, id: &str) -> reqwest::Response {
        self.get(who, &format!("/connectors/{id}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn credentials(&self, who: &Actor, id: &str) -> reqwest::Response {
        self.get(who, &format!("/connectors/{id}/credentials"))
            .send()
            .await
            .unwrap()
    }
}

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

    let list: Value = app
        .get(&admin, "/installed")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["next_cursor"].is_null());

    // Partial update through PUT and PATCH alike.
    let res = app
        .http
        .put(app.api(&format!("/connectors/{id}")))
        .bearer_auth(&admin.token)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Blog"}))
        .send()
        .await
        .unwrap();
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
    let ok = app
        .http
        .post(app.api("/validate-config"))
        .bearer_auth(&admin.token)
        .json(&json!({"catalog_key": "wordpress", "config": {"site_url": "https://a.example", "username": "u"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap(), json!({"valid": true}));
    let bad = app
        .http
        .post(app.api("/validate-config"))
        .bearer_auth(&admin.token)
        .json(&json!({"catalog_key": "wordpress", "config": {"site_url": "ftp://x"}}))
        .send()
        .await
        .unwrap();
    let body = assert_envelope(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"]["config.username"], json!(["is required"]));
    let msg = body["errors"]["config.site_url"][0].as_str().unwrap();
    assert!(msg.starts_with("must "), "{msg}");
    assert!(!msg.contains('^') && !msg.contains("ftp"), "{msg}");

    let del = app
        .http
        .delete(app.api(&format!("/connectors/{id}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
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
            .http
            .patch(app.api(&format!("/connectors/{id}")))
            .bearer_auth(&admin.token)
            .header("if-match", "7")
            .json(&json!({"name": "Changed"}))
            .send()
            .await
            .unwrap();
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
        let res = app
            .get(&admin, "/installed?limit=500")
            .send()
            .await
            .unwrap();
        assert_envelope(res, 422, "validation_failed").await;
        let res = app
            .get(&admin, "/installed?limit=abc")
            .send()
            .await
            .unwrap();
        assert_envelope(res, 400, "bad_request").await;
        let res = app
            .get(&admin, "/installed?cursor=garbage")
            .send()
            .await
            .unwrap();
        assert_envelope(res, 422, "validation_failed").await;
        let res = app
            .get(&admin, "/installed?sort=name")
            .send()
            .await
            .unwrap();
        assert_envelope(res, 400, "bad_request").await;
        app.stop().await;
    }
);

both_databases!(
    concurrent_creates_of_one_name_yield_one_201,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let http = app.http.clone();
            let url = app.api("/connectors");
            let token = admin.token.clone();
            tasks.push(tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(token)
                    .json(&wordpress("Same name"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            19,
            "{statuses:?}"
        );
        app.stop().await;
    }
);

both_databases!(
    secret_writes_replace_clear_and_keep,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let reader = app
            .actor_with_scopes(
                "acme",
                "broadcaster@acme.test",
                Role::Member,
                &["credentials:read"],
            )
            .await;
        let secrets = json!({
            "api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA",
            "api_secret": "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            "access_token": "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
            "access_token_secret": "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
            "bearer_token": "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE"
        });
        let c = app.create_ok(&admin, &twitter("X", secrets.clone())).await;
        let id = c["id"].as_str().unwrap().to_string();
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(creds, secrets);

        // Replace one, clear one, keep the rest.
        let res = app
            .patch(
                &admin,
                &id,
                &json!({"auth": {"api_key": "ZZZZZZZZZZZZZZZZZZZZZZZZZ", "bearer_token": null}}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["secrets"]["bearer_token"], json!({"set": false}));
        assert_eq!(v["secrets"]["api_key"]["set"], true);
        assert!(!v.to_string().contains("ZZZZ"));
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        let mut expected = secrets.clone();
        expected["api_key"] = json!("ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        expected.as_object_mut().unwrap().remove("bearer_token");
        assert_eq!(creds, expected);

        // A mask is never stored.
        for mask in ["********", "••••••"] {
            let res = app
                .patch(&admin, &id, &json!({"auth": {"api_secret": mask}}))
                .await;
            let body = assert_envelope(res, 422, "validation_failed").await;
            assert!(
                body["errors"]["auth.api_secret"][0]
                    .as_str()
                    .unwrap()
                    .contains("masked")
            );
        }
        let creds: Value = app.credentials(&reader, &id).await.json().await.unwrap();
        assert_eq!(creds, expected);

        // Ordinary tokens (even an admin's) cannot read credentials.
        let res = app.credentials(&admin, &id).await;
        assert_envelope(res, 403, "forbidden").await;
        app.stop().await;
    }
);

both_databases!(activation_rules_and_transitions, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let c = app
        .create_ok(
            &admin,
            &twitter("Partial", json!({"api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA"})),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_string();
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

both_databases!(
    other_tenants_get_404_and_members_get_403,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let member = app.member().await;
        let other = app.other_admin().await;
        let other_reader = app
            .actor_with_scopes(
                "globex",
                "reader@globex.test",
                Role::Admin,
                &["credentials:read"],
            )
            .await;
        let c = app.create_ok(&admin, &wordpress("Mine")).await;
        let id = c["id"].as_str().unwrap().to_string();
        let random = uuid::Uuid::new_v4().to_string();

        for target in [&id, &random] {
            let path = format!("/connectors/{target}");
            let theirs = app.fetch(&other, target).await;
            let b1 = assert_envelope(theirs, 404, "not_found").await;
            let res = app
                .http
                .put(app.api(&path))
                .bearer_auth(&other.token)
                .json(&json!({"name": "pwned"}))
                .send()
                .await
                .unwrap();
            let b2 = assert_envelope(res, 404, "not_found").await;
            let res = app.patch(&other, target, &json!({"name": "pwned"})).await;
            assert_envelope(res, 404, "not_found").await;
            let res = app
                .http
                .delete(app.api(&path))
                .bearer_auth(&other.token)
                .send()
                .await
                .unwrap();
            assert_envelope(res, 404, "not_found").await;
            let res = app.credentials(&other_reader, target).await;
            let b3 = assert_envelope(res, 404, "not_found").await;
            assert_eq!(b1, b2);
            assert_eq!(b1, b3);
        }
        let list: Value = app
            .get(&other, "/installed")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"], json!([]));
        let audit: Value = app
            .get(&other, &format!("/audit?connector_id={id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(audit["items"], json!([]));
        let after: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(after, c, "unchanged by the other tenant");

        // Members read but never change.
        assert_eq!(app.fetch(&member, &id).await.status(), 200);
        assert_eq!(
            app.get(&member, "/installed")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let res = app.create(&member, &wordpress("Member's")).await;
        assert_envelope(res, 403, "forbidden").await;
        let res = app.patch(&member, &id, &json!({"name": "m"})).await;
        assert_envelope(res, 403, "forbidden").await;
        let res = app
            .http
            .put(app.api(&format!("/connectors/{id}")))
            .bearer_auth(&member.token)
            .json(&json!({"name": "m"}))
            .send()
            .await
            .unwrap();
        assert_envelope(res, 403, "forbidden").await;
        let res = app
            .http
            .delete(app.api(&format!("/connectors/{id}")))
            .bearer_auth(&member.token)
            .send()
            .await
            .unwrap();
        assert_envelope(res, 403, "forbidden").await;
        let res = app.get(&member, "/audit").send().await.unwrap();
        assert_envelope(res, 403, "forbidden").await;
        let after: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(after, c, "unchanged by the member");
        app.stop().await;
    }
);

both_databases!(list_filters_and_pagination, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut body = wordpress(&format!("Blog {i}"));
        body["tags"] = json!([if i % 2 == 0 { "even" } else { "odd" }]);
        ids.push(
            app.create_ok(&admin, &body).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
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
        let page: Value = app
            .get(&admin, &path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
        let req = app.get(&admin, path);
        async move {
            let v: Value = req.send().await.unwrap().json().await.unwrap();
            v["items"].as_array().unwrap().len()
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

both_databases!(publish_targets_and_audit, |db: TestDb| async move {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let member = app.member().await;
    let reader = app
        .actor_with_scopes("acme", "b@acme.test", Role::Member, &["credentials:read"])
        .await;
    let wp = app.create_ok(&admin, &wordpress("WP")).await;
    let wp_id = wp["id"].as_str().unwrap().to_string();
    let idle = app.create_ok(&admin, &wordpress("Idle")).await;
    let res = app
        .patch(&admin, &wp_id, &json!({"status": "active"}))
        .await;
    assert_eq!(res.status(), 200);

    let targets: Value = app
        .get(&member, "/publish-targets")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = targets["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], wp_id.as_str());
    assert_eq!(items[0]["name"], "WP");
    assert_eq!(items[0]["catalog_key"], "wordpress");
    assert_eq!(items[0]["capabilities"]["publish"], true);
    assert_eq!(items[0].as_object().unwrap().len(), 4);
    let none: Value = app
        .get(&member, "/publish-targets?capability=no_such_capability")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["items"], json!([]));
    let some: Value = app
        .get(&member, "/publish-targets?capability=publish")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(some["items"].as_array().unwrap().len(), 1);

    app.patch(
        &admin,
        &wp_id,
        &json!({"auth": {"application_password": "wxyz WXYZ wxyz WXYZ wxyz WXYZ"}}),
    )
    .await;
    app.credentials(&reader, &wp_id).await;
    let del = app
        .http
        .delete(app.api(&format!("/connectors/{}", idle["id"].as_str().unwrap())))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);

    let audit: Value = app
        .get(&admin, &format!("/audit?connector_id={wp_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events = audit["items"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "connector.credentials_read",
            "connector.secrets_changed",
            "connector.status_changed",
            "connector.created"
        ]
    );
    assert_eq!(
        events[1]["changes"]["secrets"],
        json!({"application_password": "changed"})
    );
    assert_eq!(
        events[2]["changes"]["status"],
        json!({"from": "inactive", "to": "active"})
    );
    assert_eq!(
        events[3]["changes"]["secrets"],
        json!({"application_password": "set"})
    );
    assert_eq!(events[3]["actor_name"], "admin");
    assert!(!audit.to_string().contains("wxyz") && !audit.to_string().contains("EFGH"));
    let all: Value = app
        .get(&admin, "/audit?limit=2")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"][0]["action"], "connector.deleted");
    assert!(all["next_cursor"].is_string());
    app.stop().await;
});

both_databases!(
    resending_a_secret_looks_like_changing_it,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let c = app.create_ok(&admin, &wordpress("Guess")).await;
        let id = c["id"].as_str().unwrap().to_string();

        // What one secret write shows: the answer, the version, the
        // secret's time and the audit event it leaves.
        async fn effects(app: &TestApp, who: &Actor, id: &str, value: &str) -> Value {
            let before: Value = app.fetch(who, id).await.json().await.unwrap();
            let res = app
                .patch(who, id, &json!({"auth": {"application_password": value}}))
                .await;
            let status = res.status().as_u16();
            let after: Value = res.json().await.unwrap();
            let audit: Value = app
                .get(who, &format!("/audit?connector_id={id}&limit=1"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let event = &audit["items"][0];
            let secret_at = |v: &Value| v["secrets"]["application_password"]["updated_at"].clone();
            json!({
                "status": status,
                "version_step": after["version"].as_i64().unwrap() - before["version"].as_i64().unwrap(),
                "updated_at_moved": after["updated_at"] != before["updated_at"],
                "secret_updated_at_moved": secret_at(&after) != secret_at(&before),
                "set": after["secrets"]["application_password"]["set"],
                "action": event["action"],
                "changes": event["changes"],
                "audited_now": event["created_at"].as_str() > before["updated_at"].as_str(),
            })
        }

        let same = effects(&app, &admin, &id, APP_PASSWORD).await;
        let other = effects(&app, &admin, &id, "wxyz WXYZ wxyz WXYZ wxyz WXYZ").await;
        assert_eq!(same, other, "re-sending the stored value vs a new one");
        assert_eq!(other["status"], 200);
        assert_eq!(other["version_step"], 1);
        assert_eq!(other["secret_updated_at_moved"], true);
        assert_eq!(other["action"], "connector.secrets_changed");
        assert_eq!(
            other["changes"]["secrets"],
            json!({"application_password": "changed"})
        );
        app.stop().await;
    }
);

/// A minimal manifest with these capabilities and one required secret.
fn manifest_with_capabilities(key: &str, capabilities: Value) -> String {
    json!({
        "key": key,
        "name": key,
        "category": "test",
        "auth_type": "api_key",
        "capabilities": capabilities,
        "default_config_schema": {"type": "object", "properties": {"note": {"type": "string"}}},
        "auth_schema": {
            "type": "object",
            "properties": {"token": {"type": "string"}},
            "required": ["token"]
        }
    })
    .to_string()
}

impl TestApp {
    /// Every id of a publish-targets listing, a page of `limit` at a time;
    /// checks that every page but the last is full.
    async fn publish_target_ids(&self, who: &Actor, query: &str, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let mut path = format!("/publish-targets?limit={limit}{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let res = self.get(who, &path).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let page: Value = res.json().await.unwrap();
            let items = page["items"].as_array().unwrap();
            for item in items {
                assert_eq!(item.as_object().unwrap().len(), 4, "{item}");
                assert_eq!(item["capabilities"]["publish"], true, "{item}");
                ids.push(item["id"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => {
                    assert_eq!(items.len(), limit, "a page before the last is full");
                    cursor = Some(c.to_string());
                }
                None => return ids,
            }
        }
        panic!("publish targets did not end");
    }
}

both_databases!(
    publish_targets_page_like_other_lists,
    |db: TestDb| async move {
        use crate::support::{OutputExt, write_file};
        let dir = db.data_dir().to_path_buf();
        let video = write_file(
            &dir,
            "video.json",
            &manifest_with_capabilities("videos", json!({"publish": true, "video": true})),
        );
        let nopub = write_file(
            &dir,
            "nopub.json",
            &manifest_with_capabilities("archive", json!({"publish": false, "video": true})),
        );
        db.cli(&[
            "catalog",
            "import",
            video.to_str().unwrap(),
            nopub.to_str().unwrap(),
        ])
        .assert_ok();
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let member = app.member().await;

        let activate = |id: String| {
            let (app, admin) = (&app, &admin);
            async move {
                let res = app.patch(admin, &id, &json!({"status": "active"})).await;
                assert_eq!(res.status(), 200);
                id
            }
        };
        let other = |key: &str, name: String| json!({"catalog_key": key, "name": name, "config": {}, "auth": {"token": "t0ken"}});
        // 120 active targets in creation (id) order, every sixth a video one;
        // around them inactive ones and active ones that cannot publish.
        let (mut all, mut videos) = (Vec::new(), Vec::new());
        for i in 0..120 {
            if i % 6 == 0 {
                let c = app
                    .create_ok(&admin, &other("videos", format!("V{i}")))
                    .await;
                let id = activate(c["id"].as_str().unwrap().to_string()).await;
                videos.push(id.clone());
                all.push(id);
            } else {
                let c = app.create_ok(&admin, &wordpress(&format!("W{i}"))).await;
                all.push(activate(c["id"].as_str().unwrap().to_string()).await);
            }
            if i % 20 == 0 {
                app.create_ok(&admin, &wordpress(&format!("Idle {i}")))
                    .await;
                let c = app
                    .create_ok(&admin, &other("archive", format!("A{i}")))
                    .await;
                activate(c["id"].as_str().unwrap().to_string()).await;
            }
        }
        assert_eq!(videos.len(), 20);

        let listed = app.publish_target_ids(&member, "", 50).await;
        assert_eq!(listed, all, "every active target once, in id order");
        let listed = app
            .publish_target_ids(&member, "&capability=video", 7)
            .await;
        assert_eq!(listed, videos, "the capability filter pages correctly");
        assert!(
            app.publish_target_ids(&member, "&capability=no_such", 50)
                .await
                .is_empty()
        );
        // The default page is 50.
        let page: Value = app
            .get(&member, "/publish-targets")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 50);
        assert!(page["next_cursor"].is_string());

        for bad in ["limit=201", "limit=0", "cursor=not-a-cursor"] {
            let res = app
                .get(&member, &format!("/publish-targets?{bad}"))
                .send()
                .await
                .unwrap();
            assert_envelope(res, 422, "validation_failed").await;
        }
        app.stop().await;
    }
);
