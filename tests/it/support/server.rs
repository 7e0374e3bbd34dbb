//! The real binary serving a test database.

use super::TestDb;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts the real binary serving this database (reached at `url`) on
/// `port`, and waits until it answers.
pub async fn start_server(db: &TestDb, port: u16, url: &str) -> Child {
    let mut cmd = serve_command(db, port, url);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    spawn_and_wait(cmd, port).await
}

/// Starts the real binary serving this database on `port` with `env` set
/// (e.g. a log filter), its stderr written to `log`, and waits until it
/// answers.
pub async fn start_server_logging(
    db: &TestDb,
    port: u16,
    env: &[(&str, &str)],
    log: &Path,
) -> Child {
    let file = std::fs::File::create(log).expect("create log file");
    let mut cmd = serve_command(db, port, &db.url());
    cmd.envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::from(file));
    spawn_and_wait(cmd, port).await
}

/// `serve` on `port`, reaching the database at `url`.
fn serve_command(db: &TestDb, port: u16, url: &str) -> Command {
    db.command_at(
        url,
        &[
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--encryption-keys",
            &db.keys,
            "serve",
        ],
    )
}

async fn spawn_and_wait(mut cmd: Command, port: u16) -> Child {
    let child = cmd.spawn().expect("spawn server");
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while http
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child
}
