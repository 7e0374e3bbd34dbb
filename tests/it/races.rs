//! Races: parallel creates of one name, parallel updates at one version,
//! and two replicas sharing one PostgreSQL.

use crate::both_databases;
use crate::support::wordpress;
use crate::support::{
    OutputExt, TestApp, TestDb, assert_counts, csrf_at, free_port, kill, send_json, session_cookie,
    settled_status, sign_in_via, start_server, statuses_at_once,
};
use serde_json::{Value, json};

both_databases!(
    parallel_updates_at_one_version_yield_one_success,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let id = app.create_id(&admin, &wordpress("Race")).await;
        let url = app.api(&format!("/connectors/{id}"));
        let statuses = statuses_at_once((0..12).map(|i| {
            app.http
                .patch(&url)
                .bearer_auth(&admin.token)
                .header("if-match", "\"1\"")
                .json(&json!({"name": format!("Race {i}")}))
        }))
        .await;
        assert_counts(&statuses, &[(200, 1), (412, 11)]);
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
    db.user_create_with_password("acme", "sam@acme.test", "admin", "sam password")
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
    let creds = send_json(
        http.get(api(&b, &format!("/connectors/{id}/credentials")))
            .bearer_auth(&reader),
    )
    .await;
    assert_eq!(creds["application_password"], crate::support::APP_PASSWORD);

    // Unique names hold across both.
    let statuses = statuses_at_once((0..10).map(|i| {
        let base = if i % 2 == 0 { &a } else { &b };
        http.post(api(base, "/connectors"))
            .bearer_auth(&admin)
            .json(&wordpress("Unique"))
    }))
    .await;
    assert_counts(&statuses, &[(201, 1), (409, 9)]);

    // A session made on one works on the other; the throttle counts both.
    // The sign-in form shown by one replica is accepted by the other.
    let login = |base: String, password: &'static str| {
        let form_from = if base == a { b.clone() } else { a.clone() };
        async move { sign_in_via(&form_from, &base, "sam@acme.test", password).await }
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
    let csrf = csrf_at(&a, &cookie).await;
    let res = http
        .post(api(&b, "/connectors"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
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
    let settles = |path: &'static str, token: String, want: u16| {
        let (a, b, http) = (a.clone(), b.clone(), http.clone());
        async move {
            for base in [a, b] {
                let url = format!("{base}/features/connectors/api{path}");
                let got = settled_status(|| http.get(&url).bearer_auth(&token), want).await;
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
    db.user_create("acme", "a@acme.test", "member").assert_ok();
    for base in [&a, &b] {
        let create = || {
            http.post(api(base, "/connectors"))
                .bearer_auth(&admin)
                .json(&wordpress("After demotion"))
        };
        assert_eq!(settled_status(create, 403).await, 403, "{base}");
    }
    for child in [&mut one, &mut two] {
        kill(child);
    }
}

both_databases!(
    concurrent_creates_of_one_name_yield_one_201,
    |db: TestDb| async move {
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let statuses = statuses_at_once((0..20).map(|_| {
            app.http
                .post(app.api("/connectors"))
                .bearer_auth(&admin.token)
                .json(&wordpress("Same name"))
        }))
        .await;
        assert_counts(&statuses, &[(201, 1), (409, 19)]);
        app.stop().await;
    }
);
