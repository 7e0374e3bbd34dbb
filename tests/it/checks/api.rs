//! The check API, the stored result, the check activation runs first and
//! the scheduled re-checks, through HTTP on both databases, against a
//! Medium stand-in on 127.0.0.2 that counts its requests and can be told
//! to reject every token.

use crate::both_databases;
use crate::support::{TestApp, TestDb, assert_envelope, id_of, serve_standin};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use connectors::config::{CheckSettings, Config};
use connectors::domain::address::AllowList;
use connectors::domain::provider_urls::ProviderUrls;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const GOOD: &str = "Gd7Qx2Lm9Vb4Nc8Zr1Tw6Ys3Pk5Hd0Jf";
pub const BAD: &str = "Bd3Wx8Ty6Uv1Rs4Op7Nm2Lk5Jh9Gf0Ed";

/// Medium's `GET /v1/me`: the user for [`GOOD`], 401 for anything else
/// or while `broken`.
#[derive(Clone, Default)]
pub struct Medium {
    pub requests: Arc<AtomicUsize>,
    pub broken: Arc<AtomicBool>,
    pub addr: Option<SocketAddr>,
}

impl Medium {
    pub async fn start() -> Medium {
        let mut m = Medium::default();
        let state = m.clone();
        let app = Router::new().route(
            "/v1/me",
            get(move |headers: HeaderMap| {
                let state = state.clone();
                async move { state.me(&headers) }
            }),
        );
        m.addr = Some(serve_standin(app).await);
        m
    }

    fn me(&self, headers: &HeaderMap) -> Response {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if self.broken.load(Ordering::SeqCst) || token != Some(GOOD) {
            let body = json!({"errors": [{"message": "Token was invalid.", "code": 6003}]});
            return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        }
        let body = json!({"data": {"id": "5303d74c", "username": "acme", "name": "Acme"}});
        axum::Json(body).into_response()
    }

    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Check settings that send Medium's checks here.
    pub fn settings(&self, interval: Duration) -> CheckSettings {
        let addr = self.addr.expect("started");
        CheckSettings {
            allow_networks: AllowList::parse("127.0.0.2/32").unwrap(),
            provider_urls: ProviderUrls::parse(&format!("medium=http://{addr}")).unwrap(),
            interval,
            ..CheckSettings::default()
        }
    }
}

fn medium(name: &str, token: &str) -> Value {
    json!({"catalog_key": "medium", "name": name, "config": {}, "auth": {"integration_token": token}})
}

async fn spawn(db: TestDb, m: &Medium, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let settings = m.settings(Duration::from_secs(6 * 3600));
    TestApp::spawn_with(db, move |c| {
        c.checks = settings;
        tweak(c);
    })
    .await
}

async fn post_check(
    app: &TestApp,
    who: &crate::support::Actor,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut req = app.http.post(app.api(path)).bearer_auth(&who.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let text = res.text().await.unwrap();
    assert!(
        !text.contains(GOOD) && !text.contains(BAD),
        "a secret in {text}"
    );
    serde_json::from_str(&text).unwrap()
}

both_databases!(
    checks_answer_validation_and_the_live_result,
    |db| async move {
        let m = Medium::start().await;
        let app = spawn(db, &m, |_| {}).await;
        let (admin, member, other) = (
            app.admin().await,
            app.member().await,
            app.other_admin().await,
        );
        let id = app.create_id(&admin, &medium("Blog", GOOD)).await;
        let path = format!("/connectors/{id}/check");

        // A member checks the stored connector; the result is kept.
        let a = post_check(&app, &member, &path, None).await;
        assert_eq!(a["valid"], true);
        assert_eq!(a["errors"], json!({}));
        assert_eq!(a["check"]["ok"], true);
        assert_eq!(a["check"]["code"], "ok");
        assert_eq!(a["check"]["identity"], "acme");
        assert_eq!(a["check"]["message"], "Connected as acme.");
        assert!(a["check"]["duration_ms"].is_u64());
        assert!(a["check"]["checked_at"].is_string());
        let stored = app.get_json(&member, &format!("/connectors/{id}")).await;
        assert_eq!(stored["last_check"]["ok"], true);
        assert_eq!(stored["last_check"]["identity"], "acme");
        assert_eq!(stored["last_check"]["checked_at"], a["check"]["checked_at"]);
        assert!(stored["last_check"].get("duration_ms").is_none());
        let version = stored["version"].clone();

        // A proposed update is checked as it would leave the connector, and
        // nothing is saved.
        let a = post_check(
            &app,
            &member,
            &path,
            Some(json!({"auth": {"integration_token": BAD}})),
        )
        .await;
        assert_eq!(a["valid"], true);
        assert_eq!(a["check"]["ok"], false);
        assert_eq!(a["check"]["code"], "auth_rejected");
        assert_eq!(
            a["check"]["message"],
            "Medium rejected the integration token: it is wrong or was revoked."
        );
        let after = app.get_json(&admin, &format!("/connectors/{id}")).await;
        assert_eq!(after["version"], version);
        assert_eq!(after["last_check"]["ok"], true);

        // Values that do not validate are not checked.
        let before = m.count();
        let a = post_check(
            &app,
            &member,
            &path,
            Some(json!({"auth": {"integration_token": "short"}})),
        )
        .await;
        assert_eq!(a["valid"], false);
        assert!(a["errors"]["auth.integration_token"].is_array(), "{a}");
        assert!(a.get("check").is_none());
        // A body that is not an update's shape is a malformed request.
        let res = app.post_json(&member, &path, &json!({"bogus": 1})).await;
        assert_eq!(res.status(), 422);
        let e: Value = res.json().await.unwrap();
        assert!(e["errors"]["bogus"].is_array(), "{e}");
        // So is an update PATCH would refuse for what is not checked (the
        // name, the status message), even beside config errors.
        for bad in [
            json!({"name": ""}),
            json!({"status_message": "x", "config": {}}),
        ] {
            let res = app.post_json(&member, &path, &bad).await;
            assert_eq!(res.status(), 422, "{bad}");
        }
        for bad in [
            json!({"catalog_key": "medium", "x": 1}),
            json!({"catalog_key": 5}),
            json!({"catalog_key": "medium", "config": 42}),
            json!({"config": {}}),
        ] {
            let res = app.post_json(&member, "/check", &bad).await;
            assert_eq!(res.status(), 422, "{bad}");
        }

        // Unsaved values.
        let a = post_check(
            &app,
            &member,
            "/check",
            Some(json!({"catalog_key": "medium", "auth": {"integration_token": GOOD}})),
        )
        .await;
        assert_eq!(
            (a["valid"].clone(), a["check"]["code"].clone()),
            (json!(true), json!("ok"))
        );
        let a = post_check(
            &app,
            &member,
            "/check",
            Some(json!({"catalog_key": "nope"})),
        )
        .await;
        assert_eq!(
            a["errors"]["catalog_key"],
            json!(["does not name a catalog entry"])
        );
        let a = post_check(
            &app,
            &member,
            "/check",
            Some(json!({"catalog_key": "medium", "config": {}})),
        )
        .await;
        assert_eq!(
            a["errors"]["auth.integration_token"],
            json!(["is required"])
        );
        assert_eq!(m.count(), before + 1, "only the valid values were sent");

        // Another tenant's connector does not exist.
        let res = app
            .http
            .post(app.api(&path))
            .bearer_auth(&other.token)
            .send()
            .await
            .unwrap();
        assert_envelope(res, 404, "not_found").await;

        // Every check is audited (who, which connector, the code), never a value.
        let audit = app
            .get_json(&admin, &format!("/audit?connector_id={id}"))
            .await;
        let text = audit.to_string();
        assert!(!text.contains(GOOD) && !text.contains(BAD));
        let checks: Vec<&Value> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "connector.checked")
            .collect();
        assert_eq!(checks.len(), 2, "{text}");
        assert_eq!(checks[0]["changes"]["code"], "auth_rejected");
        assert_eq!(checks[0]["changes"]["trigger"], "proposed");
        assert_eq!(checks[1]["changes"]["code"], "ok");
        assert_eq!(checks[1]["changes"]["catalog_key"], "medium");
        assert!(checks[1]["actor_name"].is_string());

        let metrics = app
            .http
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("connectors_checks_total{catalog_key=\"medium\",code=\"ok\"} 2"),
            "{metrics}"
        );
        assert!(
            metrics.contains(
                "connectors_checks_total{catalog_key=\"medium\",code=\"auth_rejected\"} 1"
            )
        );
    }
);

/// Whether the connector's next scheduled check has a due time (read from
/// the database itself).
async fn has_due_time(app: &TestApp, id: &str) -> bool {
    let db = app.db();
    if db.pg_name.is_some() {
        let (client, conn) = tokio_postgres::connect(&db.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let row = client
            .query_one(
                "SELECT next_check_at IS NOT NULL FROM connectors WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
        row.get(0)
    } else {
        let conn = rusqlite::Connection::open(db.data_dir().join("connectors.db")).unwrap();
        conn.query_row(
            "SELECT next_check_at IS NOT NULL FROM connectors WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    }
}

both_databases!(activation_runs_the_check_first, |db| async move {
    let m = Medium::start().await;
    let app = spawn(db, &m, |_| {}).await;
    let admin = app.admin().await;
    let id = app.create_id(&admin, &medium("Blog", BAD)).await;

    let res = app.patch(&admin, &id, &json!({"status": "active"})).await;
    let body = assert_envelope(res, 422, "check_failed").await;
    assert_eq!(
        body["message"],
        "Medium rejected the integration token: it is wrong or was revoked."
    );
    let c = app.get_json(&admin, &format!("/connectors/{id}")).await;
    assert_eq!(c["status"], "inactive");
    assert!(!has_due_time(&app, &id).await);

    // An admin may force it; the event says so.
    let res = app
        .patch(&admin, &id, &json!({"status": "active", "force": true}))
        .await;
    assert_eq!(res.status(), 200);
    // The first scheduled check is due an interval later, not at once.
    assert!(has_due_time(&app, &id).await);
    let audit = app
        .get_json(&admin, &format!("/audit?connector_id={id}"))
        .await;
    assert_eq!(audit["items"][0]["action"], "connector.status_changed");
    assert_eq!(audit["items"][0]["changes"]["forced"], true);
    let res = app.patch(&admin, &id, &json!({"force": "yes"})).await;
    assert_envelope(res, 422, "validation_failed").await;

    // With the right token the activation passes and keeps the result.
    let res = app
        .patch(
            &admin,
            &id,
            &json!({"status": "inactive", "auth": {"integration_token": GOOD}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app.patch(&admin, &id, &json!({"status": "active"})).await;
    assert_eq!(res.status(), 200);
    let c: Value = res.json().await.unwrap();
    assert_eq!(c["status"], "active");
    assert_eq!(c["last_check"]["ok"], true);
    assert_eq!(c["last_check"]["identity"], "acme");
});

both_databases!(manual_checks_are_limited_per_tenant, |db| async move {
    let m = Medium::start().await;
    let app = spawn(db, &m, |c| c.checks.rate_limit = 2).await;
    let (admin, other) = (app.admin().await, app.other_admin().await);
    let body = json!({"catalog_key": "medium", "auth": {"integration_token": GOOD}});
    for _ in 0..2 {
        assert_eq!(app.post_json(&admin, "/check", &body).await.status(), 200);
    }
    let res = app.post_json(&admin, "/check", &body).await;
    assert_envelope(res, 429, "rate_limited").await;
    assert_eq!(app.post_json(&other, "/check", &body).await.status(), 200);
    assert_eq!(m.count(), 3);
});

/// Polls the connector until `done` holds (at most 20 s).
async fn wait_for(
    app: &TestApp,
    who: &crate::support::Actor,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let c = app.get_json(who, &format!("/connectors/{id}")).await;
        if done(&c) {
            return c;
        }
        assert!(Instant::now() < deadline, "never reached: {c}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_databases!(
    scheduled_checks_move_a_failing_connector_to_error_and_back,
    |db| async move {
        let m = Medium::start().await;
        let app = spawn(db, &m, |c| c.checks.interval = Duration::from_secs(1)).await;
        let admin = app.admin().await;
        let id = app.create_id(&admin, &medium("Blog", GOOD)).await;
        assert_eq!(
            app.patch(&admin, &id, &json!({"status": "active"}))
                .await
                .status(),
            200
        );

        m.broken.store(true, Ordering::SeqCst);
        let c = wait_for(&app, &admin, &id, |c| c["status"] == "error").await;
        assert_eq!(
            c["status_message"],
            "Connection check failed: Medium rejected the integration token: it is wrong or was revoked."
        );
        assert_eq!(c["last_check"]["code"], "auth_rejected");
        let targets = app.get_json(&admin, "/publish-targets").await;
        assert_eq!(
            targets["items"],
            json!([]),
            "an error connector is no publish target"
        );

        m.broken.store(false, Ordering::SeqCst);
        let c = wait_for(&app, &admin, &id, |c| c["status"] == "active").await;
        assert_eq!(c["status_message"], Value::Null);
        assert_eq!(c["last_check"]["ok"], true);
        let audit = app
            .get_json(&admin, &format!("/audit?connector_id={id}"))
            .await;
        let moves: Vec<&Value> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["changes"]["by"] == "check")
            .collect();
        assert_eq!(moves.len(), 2);
        assert_eq!(
            moves[0]["changes"]["status"],
            json!({"from": "error", "to": "active"})
        );
        assert_eq!(
            moves[1]["changes"]["status"],
            json!({"from": "active", "to": "error"})
        );
        assert_eq!(moves[0]["actor_id"], Value::Null);

        // An error an admin set is not the check's to undo.
        assert_eq!(
            app.patch(
                &admin,
                &id,
                &json!({"status": "error", "status_message": "paused by hand"})
            )
            .await
            .status(),
            200
        );
        let seen = m.count();
        let deadline = Instant::now() + Duration::from_secs(20);
        while m.count() < seen + 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let c = app.get_json(&admin, &format!("/connectors/{id}")).await;
        assert_eq!(
            (c["status"].clone(), c["status_message"].clone()),
            (json!("error"), json!("paused by hand"))
        );
    }
);

/// Two service instances on one PostgreSQL database: each due connector
/// is checked once per interval, by one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_check_each_due_connector_once() {
    let m = Medium::start().await;
    let interval = Duration::from_secs(10);
    let first = spawn(TestDb::postgres().await, &m, |c| {
        c.checks.interval = interval
    })
    .await;
    let (url, keys) = (first.db().url(), first.db().keys.clone());
    let settings = m.settings(interval);
    let second = TestApp::spawn_with(TestDb::sqlite(), move |c| {
        c.database_url = Some(SecretString::from(url));
        c.encryption_keys = Some(SecretString::from(keys));
        c.checks = settings;
    })
    .await;
    let admin = first.admin().await;
    let mut ids = Vec::new();
    for i in 0..8 {
        let id = first
            .create_id(&admin, &medium(&format!("Blog {i}"), GOOD))
            .await;
        assert_eq!(
            first
                .patch(&admin, &id, &json!({"status": "active"}))
                .await
                .status(),
            200
        );
        ids.push(id);
    }
    let activations = m.count();
    assert_eq!(activations, 8);
    assert_eq!(
        id_of(
            &second
                .get_json(&admin, &format!("/connectors/{}", ids[0]))
                .await
        ),
        ids[0]
    );

    // Make every one due now.
    let (client, conn) = tokio_postgres::connect(&first.db().url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .execute(
            "UPDATE connectors SET next_check_at = now() - interval '1 minute'",
            &[],
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while m.count() < activations + ids.len() {
        assert!(
            Instant::now() < deadline,
            "only {} checks ran",
            m.count() - activations
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both replicas pass over the table again (every second) meanwhile.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        m.count(),
        activations + ids.len(),
        "a connector was checked twice"
    );
    for id in &ids {
        let audit = first
            .get_json(&admin, &format!("/audit?connector_id={id}"))
            .await;
        let scheduled = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["changes"]["trigger"] == "scheduled")
            .count();
        assert_eq!(scheduled, 1, "{id}");
    }
    second.stop().await;
}
