//! Races: parallel creates of one name, parallel updates at one version,
//! and two replicas sharing one PostgreSQL.

use crate::both_databases;
use crate::support::wordpress;
use crate::support::{
    OutputExt, TestApp, TestDb, free_port, login_form, session_cookie, start_server,
};
use serde_json::{Value, json};

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
    db.create_acme_admin();
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
    let admin = db.new_admin_token(&[]);
    let reader = db.new_admin_token(&["credentials:read"]);
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
    assert_eq!(creds["application_password"], crate::support::APP_PASSWORD);

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
