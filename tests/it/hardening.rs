//! Hostile input, races, and two replicas sharing one PostgreSQL.

use crate::api_connectors::wordpress;
use crate::both_databases;
use crate::support::{
    OutputExt, TestApp, TestDb, assert_envelope, csrf_of, free_port, login_form, session_cookie,
    sign_in, start_server,
};
use connectors::domain::identity::Role;
use serde_json::{Value, json};

both_databases!(
    hostile_bodies_and_queries_get_a_4xx_envelope,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let url = app.api("/connectors");
        let post_raw = |body: Vec<u8>| {
            app.http
                .post(&url)
                .bearer_auth(&admin.token)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        // 10,000 levels of nesting.
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_envelope(
            post_raw(deep.into_bytes()).await.unwrap(),
            400,
            "bad_request",
        )
        .await;
        let deep_obj = format!(
            "{{\"catalog_key\":\"wordpress\",\"name\":\"x\",\"config\":{}1{}}}",
            "{\"a\":".repeat(5_000),
            "}".repeat(5_000)
        );
        let res = post_raw(deep_obj.into_bytes()).await.unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
        // Invalid UTF-8.
        let mut bad = b"{\"name\": \"".to_vec();
        bad.extend_from_slice(&[0xff, 0xfe, 0xfd]);
        bad.extend_from_slice(b"\"}");
        assert_envelope(post_raw(bad).await.unwrap(), 400, "bad_request").await;
        // A huge array of tags: within the body limit, refused by validation.
        let tags: Vec<String> = (0..5_000).map(|i| format!("t{i}")).collect();
        let mut body = wordpress("Tags");
        body["tags"] = json!(tags);
        let res = app.create(&admin, &body).await;
        let b = assert_envelope(res, 422, "validation_failed").await;
        assert!(b["errors"]["tags"].is_array());
        // Overlong names.
        let res = app.create(&admin, &wordpress(&"n".repeat(256))).await;
        let b = assert_envelope(res, 422, "validation_failed").await;
        assert_eq!(
            b["errors"]["name"],
            json!(["must be at most 255 characters"])
        );
        // Ids that are not UUIDs, on every route that takes one.
        for path in [
            "/connectors/1",
            "/connectors/..%2f..%2fetc",
            "/connectors/%00",
            "/connectors/%3Cscript%3E",
        ] {
            let res = app.get(&admin, path).send().await.unwrap();
            assert_envelope(res, 404, "not_found").await;
        }
        let res = app
            .http
            .delete(app.api("/connectors/not-an-id"))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_envelope(res, 404, "not_found").await;
        // Unknown and malformed query parameters.
        for path in [
            "/installed?foo=1",
            "/publish-targets?x=y",
            "/audit?connector_id=nope",
            "/installed?limit=-1",
            "/installed?limit=99999999999999999999",
        ] {
            let res = app.get(&admin, path).send().await.unwrap();
            assert!(res.status().is_client_error(), "{path}: {}", res.status());
            let v: Value = res.json().await.unwrap();
            assert!(v["error"].is_string(), "{path}");
        }
        // Bodies that are not objects.
        for body in [json!([1, 2]), json!("text"), json!(null), json!(42)] {
            let res = app.create(&admin, &body).await;
            assert!(res.status().is_client_error());
        }
        app.stop().await;
    }
);

both_databases!(
    hostile_names_render_inert_in_pages,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.actor("default", "admin@localhost", Role::Owner).await;
        let hostile = [
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "x\" hx-get=\"/logout\" hx-trigger=\"load",
            "javascript:alert(1)",
        ];
        for (i, name) in hostile.iter().enumerate() {
            let mut body = wordpress(name);
            body["config"]["username"] = json!(format!("u{i}"));
            body["tags"] = json!([name]);
            app.create_ok(&admin, &body).await;
        }
        // Sign in as the bootstrap owner and read the installed page.
        let cookie =
            session_cookie(&sign_in(&app, "admin@localhost", "bootstrap-password-1").await);
        let html = app
            .http
            .get(app.url("/features/connectors/installed"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(!html.contains("hx-trigger=\"load"));
        assert!(
            html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)")
        );
        assert!(
            html.contains("&#34;&#62;&#60;img") || html.contains("&quot;&gt;&lt;img"),
            "escaped"
        );
        assert!(
            html.contains("x&#34; hx-get=&#34;/logout")
                || html.contains("x&quot; hx-get=&quot;/logout")
        );
        // In a toast, through the HX-Trigger header: JSON, ASCII only.
        let list: Value = app
            .get(&admin, "/installed")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = list["items"][0]["id"].as_str().unwrap().to_string();
        let csrf = csrf_of(&app, &cookie).await;
        let res = app
            .http
            .post(app.url(&format!("/features/connectors/forms/{id}/status")))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("hx-request", "true")
            .form(&[("status", "active")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let trigger = res.headers()["hx-trigger"].to_str().unwrap().to_string();
        let parsed: Value = serde_json::from_str(&trigger).unwrap();
        assert!(
            parsed["toast"]["message"]
                .as_str()
                .unwrap()
                .contains("<script>"),
            "kept as text for textContent"
        );
        app.stop().await;
    }
);

both_databases!(
    parallel_updates_at_one_version_yield_one_success,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let c = app.create_ok(&admin, &wordpress("Race")).await;
        let id = c["id"].as_str().unwrap().to_string();
        let mut tasks = Vec::new();
        for i in 0..12 {
            let http = app.http.clone();
            let url = app.api(&format!("/connectors/{id}"));
            let token = admin.token.clone();
            tasks.push(tokio::spawn(async move {
                http.patch(url)
                    .bearer_auth(token)
                    .header("if-match", "\"1\"")
                    .json(&json!({"name": format!("Race {i}")}))
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
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 412).count(),
            11,
            "{statuses:?}"
        );
        let now: Value = app.fetch(&admin, &id).await.json().await.unwrap();
        assert_eq!(now["version"], 2);
        app.stop().await;
    }
);

/// Two server processes on one PostgreSQL: tokens, sessions, the sign-in
/// throttle, unique names and encrypted secrets all hold across them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgres_share_everything() {
    let db = TestDb::postgres().await;
    db.cli(&["migrate"]).assert_ok();
    db.cli(&["tenant", "create", "acme"]).assert_ok();
    db.cli(&[
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "a@acme.test",
        "--role",
        "admin",
    ])
    .assert_ok();
    db.cli_with_stdin(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "sam@acme.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("sam password\n"),
    )
    .assert_ok();
    let admin = db
        .cli(&[
            "token",
            "create",
            "--tenant",
            "acme",
            "--email",
            "a@acme.test",
        ])
        .assert_ok()
        .stdout_text()
        .trim()
        .to_string();
    let reader = db
        .cli(&[
            "token",
            "create",
            "--tenant",
            "acme",
            "--email",
            "a@acme.test",
            "--scope",
            "credentials:read",
        ])
        .assert_ok()
        .stdout_text()
        .trim()
        .to_string();
    let (p1, p2) = (free_port(), free_port());
    let url = db.url();
    let mut one = start_server(&db, p1, &url).await;
    let mut two = start_server(&db, p2, &url).await;
    let (a, b) = (
        format!("http://127.0.0.1:{p1}"),
        format!("http://127.0.0.1:{p2}"),
    );
    let api = |base: &str, p: &str| format!("{base}/features/connectors/api{p}");
    let http = reqwest::Client::new();

    // A connector written by one decrypts on the other.
    let created = http
        .post(api(&a, "/connectors"))
        .bearer_auth(&admin)
        .json(&wordpress("Shared"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let creds: Value = http
        .get(api(&b, &format!("/connectors/{id}/credentials")))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        creds["application_password"],
        crate::api_connectors::APP_PASSWORD
    );

    // Unique names hold across both.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let base = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (http, token) = (http.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            http.post(format!("{base}/features/connectors/api/connectors"))
                .bearer_auth(token)
                .json(&wordpress("Unique"))
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
        9,
        "{statuses:?}"
    );

    // A session made on one works on the other; the throttle counts both.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The sign-in form shown by one replica is accepted by the other.
    let login = |base: String, password: &'static str| {
        let client = client.clone();
        let form_from = if base == a { b.clone() } else { a.clone() };
        async move {
            let (cookie, token) = login_form(&form_from).await;
            client
                .post(format!("{base}/login"))
                .header("origin", base.clone())
                .header("cookie", cookie)
                .form(&[
                    ("email", "sam@acme.test"),
                    ("password", password),
                    ("_csrf", &token),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let res = login(a.clone(), "sam password").await;
    assert_eq!(res.status(), 303);
    let cookie = session_cookie(&res);
    let res = http
        .get(api(&b, "/installed"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Its CSRF token, shown by one, guards writes on the other.
    let page = http
        .get(format!("{a}/features/connectors/catalog"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf-token\" content=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let csrf = &page[start..start + page[start..].find('"').unwrap()];
    let res = http
        .post(api(&b, "/connectors"))
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf)
        .json(&wordpress("Through a session"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for i in 0..5 {
        let base = if i % 2 == 0 { a.clone() } else { b.clone() };
        assert_eq!(login(base, "wrong").await.status(), 401);
    }
    assert_eq!(login(b.clone(), "sam password").await.status(), 429);
    assert_eq!(login(a.clone(), "sam password").await.status(), 429);

    // Each replica remembers token and catalog lookups between requests;
    // changes made by another process (here the command-line tools) reach
    // both through PostgreSQL's notifications, within a bounded wait.
    let status_of = |base: String, path: &'static str, token: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/features/connectors/api{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let settles = |path: &'static str, token: String, want: u16| {
        let (a, b) = (a.clone(), b.clone());
        async move {
            for base in [a, b] {
                let mut got = 0;
                for _ in 0..200 {
                    got = status_of(base.clone(), path, token.clone()).await;
                    if got == want {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                assert_eq!(got, want, "{base}{path}");
            }
        }
    };
    settles("/catalog/mastodon", admin.clone(), 404).await;
    let manifest = db.data_dir().join("mastodon.json");
    std::fs::write(&manifest, crate::cli::CUSTOM).unwrap();
    db.cli(&["catalog", "import", manifest.to_str().unwrap()])
        .assert_ok();
    settles("/catalog/mastodon", admin.clone(), 200).await;

    let token_id = db
        .cli(&["token", "list", "--tenant", "acme"])
        .assert_ok()
        .stdout_text()
        .lines()
        .find(|l| l.contains("credentials:read"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    settles("/installed", reader.clone(), 200).await;
    db.cli(&["token", "revoke", &token_id]).assert_ok();
    settles("/installed", reader.clone(), 401).await;

    // A role change: an admin turned member can no longer create.
    db.cli(&[
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "a@acme.test",
        "--role",
        "member",
    ])
    .assert_ok();
    for base in [&a, &b] {
        let mut got = 0;
        for _ in 0..200 {
            got = http
                .post(api(base, "/connectors"))
                .bearer_auth(&admin)
                .json(&wordpress("After demotion"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if got == 403 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(got, 403, "{base}");
    }
    for child in [&mut one, &mut two] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

both_databases!(
    metrics_count_requests_by_route_and_status,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        app.get(&admin, "/catalog").send().await.unwrap();
        app.get(&admin, "/catalog").send().await.unwrap();
        app.fetch(&admin, &uuid::Uuid::new_v4().to_string()).await;
        let text = app
            .http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("# TYPE connectors_http_requests_total counter"));
        assert!(text.contains("connectors_http_requests_total{method=\"GET\",route=\"/features/connectors/api/catalog\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("route=\"/features/connectors/api/connectors/{id}\",status=\"404\""));
        assert!(text.contains("connectors_http_request_duration_seconds_bucket{"));
        assert!(!text.contains(&admin.token));
        // PostgreSQL replicas report their change listener, which connects
        // shortly after start-up; SQLite has none.
        let mut listener = None;
        for _ in 0..200 {
            let text = app
                .http
                .get(app.url("/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            listener = text
                .lines()
                .find_map(|l| l.strip_prefix("connectors_change_listener_up "))
                .map(str::to_string);
            if listener.as_deref() != Some("0") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let on_postgres = app.store.backend() == connectors::storage::Backend::Postgres;
        assert_eq!(listener.as_deref(), on_postgres.then_some("1"));
        app.stop().await;
    }
);
