//! Secrets at rest and in transit: a canary never leaks, and key rotation
//! works end to end (tampered ciphertext: `secret_states`).

use crate::both_databases;
use crate::support::wordpress;
use crate::support::{
    OutputExt, TestApp, TestDb, free_port, serve_command, terminate, wait_until_up,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::io::Read;
use std::process::Stdio;

const CANARY: &str = "Cnry 7Q2x 9Lm4 Vb8Z Kd3P Wq6T";
const CANARY2: &str = "Zk8s 4Hq1 Tt9v Pp2R Yy5e Mm3N";
/// Distinctive pieces, searched for in every output.
const NEEDLES: &[&str] = &["7Q2x", "9Lm4", "4Hq1", "Tt9v"];

fn assert_clean(what: &str, text: &str) {
    for n in NEEDLES {
        assert!(!text.contains(n), "canary piece {n} found in {what}");
    }
}

both_databases!(a_canary_secret_never_leaks, |db: TestDb| async move {
    // The real binary, logging at trace level.
    let token = db.admin_token(&[]);
    let port = free_port();
    let mut child = serve_command(&db, port, &db.url(), &["--log-level", "trace"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain stderr continuously: trace logging fills a pipe quickly.
    let mut stderr = child.stderr.take().unwrap();
    let log_reader = std::thread::spawn(move || {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs);
        logs
    });
    let base = format!("http://127.0.0.1:{port}/features/connectors/api");
    let http = reqwest::Client::new();
    wait_until_up(port).await;
    let mut seen = String::new();
    let record = |res: reqwest::Response| {
        let head = format!("{:?}", res.headers());
        async move {
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            (status, format!("{head}\n{body}\n"))
        }
    };
    let mut body = wordpress("Canary");
    body["auth"]["application_password"] = json!(CANARY);
    let (status, text) = record(
        http.post(format!("{base}/connectors"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    seen.push_str(&text);
    let id = serde_json::from_str::<Value>(text.split_once('\n').unwrap().1).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let requests = vec![
        // update with a new secret
        http.patch(format!("{base}/connectors/{id}")).bearer_auth(&token).json(&json!({"auth": {"application_password": CANARY2}})),
        // failing validations carrying the canary in secrets and config
        http.patch(format!("{base}/connectors/{id}")).bearer_auth(&token).json(&json!({"auth": {"application_password": "7Q2x-9Lm4!"}})),
        http.patch(format!("{base}/connectors/{id}")).bearer_auth(&token).json(&json!({"config": {"site_url": "7Q2x 9Lm4", "username": 7}})),
        http.post(format!("{base}/connectors")).bearer_auth(&token).json(&json!({"catalog_key": "twitter", "name": "T", "auth": {"api_key": "7Q2x9Lm4", "api_secret": 12}})),
        http.post(format!("{base}/validate-config")).bearer_auth(&token).json(&json!({"catalog_key": "wordpress", "config": {"site_url": "ftp://7Q2x", "default_status": "9Lm4"}})),
        http.post(format!("{base}/connectors")).bearer_auth(&token).header("content-type", "application/json").body("{\"name\": \"7Q2x"),
        http.get(format!("{base}/connectors/{id}")).bearer_auth(&token),
        http.get(format!("{base}/installed")).bearer_auth(&token),
        http.get(format!("{base}/audit")).bearer_auth(&token),
        http.get(format!("{base}/connectors/{id}/credentials")).bearer_auth(&token),
    ];
    for req in requests {
        let (_, text) = record(req.send().await.unwrap()).await;
        seen.push_str(&text);
    }
    assert_clean("responses", &seen);

    // Stop the server and read everything it logged at trace level.
    assert!(terminate(&mut child).success());
    let logs = log_reader.join().unwrap();
    assert!(
        logs.contains("TRACE") || logs.contains("trace"),
        "trace logging was on"
    );
    assert!(
        logs.contains("/features/connectors/api/connectors"),
        "requests were logged"
    );
    assert_clean("logs", &logs);
    assert!(!logs.contains(&token), "token in logs");

    // At rest: the raw SQLite files or a PostgreSQL dump.
    match &db.pg_name {
        None => {
            for f in ["connectors.db", "connectors.db-wal"] {
                let p = db.data_dir().join(f);
                if let Ok(bytes) = std::fs::read(&p) {
                    assert_clean(f, &String::from_utf8_lossy(&bytes));
                }
            }
        }
        Some(_) => {
            let out = std::process::Command::new("pg_dump")
                .arg(db.url())
                .output()
                .expect("pg_dump");
            out.assert_ok();
            let dump = out.stdout_text();
            assert!(dump.contains("connectors"), "dump has data");
            assert_clean("pg_dump", &dump);
        }
    }
});

both_databases!(key_rotation_end_to_end, |db: TestDb| async move {
    let old = db.keys.clone();
    let new = connectors::domain::secrets::generate_key_line();
    let new_id = new.split_once(':').unwrap().0.to_string();
    let old_id = old.split_once(':').unwrap().0.to_string();
    // Write three connectors under the old key.
    let app = TestApp::spawn_with(db, |_| {}).await;
    let admin = app.admin().await;
    let reader = app.reader().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(app.create_id(&admin, &wordpress(&format!("W{i}"))).await);
    }
    let db = app.into_db().await;

    // Dropping the old key before rotating is refused at start-up.
    let mut config = db.config();
    config.encryption_keys = Some(SecretString::from(new.clone()));
    let err = connectors::app::Application::build(&config)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}").contains(&format!("'{old_id}' protects 3 stored secret(s)")),
        "{err:#}"
    );

    // Rotate with both keys, new first; a re-run has nothing left to do.
    let both = format!("{new},{old}");
    let out = db.cli(&["--encryption-keys", &both, "keys", "rotate"]);
    let text = out.assert_ok().stdout_text();
    assert!(text.contains("re-encrypted 3 connector(s)"), "{text}");
    assert!(
        text.contains(&format!("key {new_id}: 3 connector(s)")),
        "{text}"
    );
    assert!(!text.contains(&format!("key {old_id}:")), "{text}");
    let again = db
        .cli(&["--encryption-keys", &both, "keys", "rotate"])
        .assert_ok()
        .stdout_text();
    assert!(again.contains("re-encrypted 0 connector(s)"), "{again}");

    // The old key is gone; everything still reads.
    let app = TestApp::spawn_with(db, |c| {
        c.encryption_keys = Some(SecretString::from(new.clone()))
    })
    .await;
    for id in &ids {
        let res = app.credentials(&reader, id).await;
        assert_eq!(res.status(), 200);
        let creds: Value = res.json().await.unwrap();
        assert_eq!(creds["application_password"], crate::support::APP_PASSWORD);
    }
    app.stop().await;
});

both_databases!(
    rotation_is_not_undone_by_concurrent_edits,
    |db: TestDb| async move {
        let old = db.keys.clone();
        let new = connectors::domain::secrets::generate_key_line();
        let new_id = new.split_once(':').unwrap().0.to_string();
        let both = format!("{new},{old}");
        let app = TestApp::spawn(db).await;
        let admin = app.admin().await;
        let mut ids = Vec::new();
        for i in 0..120 {
            ids.push(app.create_id(&admin, &wordpress(&format!("R{i}"))).await);
        }

        // Edits that change no secret (tags, names) stream in while every
        // connector is re-encrypted: 10 writers, each until the rotation is
        // done and at most 40 edits.
        let ring = connectors::domain::secrets::KeyRing::parse(&both).unwrap();
        let store = app.store.clone();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..10usize {
            let done = done.clone();
            let (http, token) = (app.http.clone(), admin.token.clone());
            let targets: Vec<String> = ids.iter().skip(w).step_by(10).cloned().collect();
            let base = app.api("/connectors");
            writers.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                for n in 0..40usize {
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    let id = &targets[n % targets.len()];
                    let body = if n % 2 == 0 {
                        json!({"tags": [format!("t{n}")]})
                    } else {
                        json!({"name": format!("edited {w}-{n}")})
                    };
                    let res = http
                        .patch(format!("{base}/{id}"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    statuses.push(res.status().as_u16());
                }
                statuses
            }));
        }
        let report = connectors::service::keys::rotate_keys(&store, &ring)
            .await
            .unwrap();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        for w in writers {
            let statuses = w.await.unwrap();
            assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        }
        assert_eq!(report.unreadable, 0);

        // Every row is under the new key, as the report says.
        let usage = app.store.key_usage().await.unwrap();
        assert_eq!(usage, vec![(new_id.clone(), 120)], "rows per key");
        assert_eq!(report.by_key, vec![(new_id, 120)], "reported rows per key");

        // The old key can go: start-up succeeds and every secret decrypts.
        let db = app.into_db().await;
        let app = TestApp::spawn_with(db, |c| {
            c.encryption_keys = Some(SecretString::from(new.clone()))
        })
        .await;
        let reader = app.reader().await;
        for id in &ids {
            let res = app.credentials(&reader, id).await;
            assert_eq!(res.status(), 200, "credentials of {id}");
            let creds: Value = res.json().await.unwrap();
            assert_eq!(creds["application_password"], crate::support::APP_PASSWORD);
        }
        app.stop().await;
    }
);
