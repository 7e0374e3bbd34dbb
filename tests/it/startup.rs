//! Start-up: the embedded default, PostgreSQL without a key, wrong keys.

use crate::both_databases;
use crate::support::{
    OutputExt, TestDb, bare_command, free_port, pg_admin_url, stderr_lines, terminate,
};
use connectors::app::Application;
use secrecy::SecretString;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

#[tokio::test]
async fn postgres_without_a_key_refuses_to_start() {
    let db = TestDb::postgres().await;
    let mut cmd = db.command(&["--bind", "127.0.0.1:0", "serve"]);
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    out.assert_one_line_error("CONNECTORS_ENCRYPTION_KEYS must be set when using PostgreSQL");
    assert!(!out.stderr_text().contains(&pg_admin_url()));
}

#[tokio::test]
async fn a_short_or_malformed_key_refuses_to_start_without_printing_it() {
    let db = TestDb::sqlite();
    let short = "c2hvcnRrZXk="; // "shortkey"
    let out = db.cli(&[
        "--bind",
        "127.0.0.1:0",
        "--encryption-keys",
        &format!("k1:{short}"),
        "serve",
    ]);
    out.assert_one_line_error("must be exactly 32 bytes");
    assert!(!out.stderr_text().contains(short));
}

both_databases!(
    a_wrong_key_for_a_known_id_refuses_to_start,
    |db: TestDb| async move {
        // First start records a check value for the key id.
        let config = db.config();
        Application::build(&config).await.expect("first start");
        let right = db.keys.clone();
        let id = right.split_once(':').unwrap().0.to_string();
        // Same id, different key material.
        let other = connectors::domain::secrets::generate_key_line();
        let wrong_b64 = other.split_once(':').unwrap().1.to_string();
        let mut config = db.config();
        config.encryption_keys = Some(SecretString::from(format!("{id}:{wrong_b64}")));
        let err = Application::build(&config)
            .await
            .err()
            .expect("must refuse");
        let msg = format!("{err:#}");
        assert!(
            msg.contains("is not the key this database was set up with"),
            "{msg}"
        );
        assert!(!msg.contains(&wrong_b64));
        // The right key still starts.
        config.encryption_keys = Some(SecretString::from(right));
        Application::build(&config).await.expect("right key starts");
    }
);

/// The real binary with no settings at all, run in `dir` with only
/// `CONNECTORS_BIND` set to `port`: the process and its stderr lines.
fn serve_bare(dir: &Path, port: u16) -> (Child, Receiver<String>) {
    let mut child = bare_command(dir)
        .env("CONNECTORS_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    (child, lines)
}

/// The embedded default: no configuration at all, SQLite in ./data, a key
/// file with mode 0600, the bootstrap password printed once, and a token
/// from the CLI that reads the catalog.
#[tokio::test]
async fn embedded_default_serves_with_zero_setup() {
    let db = TestDb::sqlite();
    let dir = db.data_dir().to_path_buf();
    let port = free_port();
    let (mut child, rx) = serve_bare(&dir, port);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut password = None;
    let mut listening = false;
    while Instant::now() < deadline && !(listening && password.is_some()) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(p) = line.trim().strip_prefix("One-time password: ") {
                password = Some(p.to_string());
            }
            if line.contains("listening") {
                listening = true;
            }
        }
    }
    let password = password.expect("bootstrap password printed");
    assert!(password.len() >= 16);
    assert!(listening);
    assert!(dir.join("data/connectors.db").exists());
    let key_file = dir.join("data/encryption.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // The token command finds the same default database from the same dir.
    let out = bare_command(&dir)
        .args([
            "token",
            "create",
            "--tenant",
            "default",
            "--email",
            "admin@localhost",
        ])
        .output()
        .unwrap();
    out.assert_ok();
    let token = out.stdout_text().trim().to_string();
    let res = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/features/connectors/api/catalog"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 4);

    // SIGTERM: stops accepting, exits 0.
    let status = terminate(&mut child);
    assert!(status.success(), "{status:?}");
    // The password is never printed again.
    let (mut child, rx) = serve_bare(&dir, free_port());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let done = line.contains("listening");
            lines.push(line);
            if done {
                break;
            }
        }
    }
    let all = lines.join("\n");
    assert!(all.contains("listening"), "{all}");
    assert!(terminate(&mut child).success(), "{all}");
    assert!(!all.contains("One-time password"), "{all}");
    assert!(!all.contains(&password));
}
