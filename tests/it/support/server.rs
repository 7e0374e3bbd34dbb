//! The real binary serving a test database.

use super::TestDb;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Starts the real binary serving this database (reached at `url`) on
/// `port`, and waits until it answers.
pub async fn start_server(db: &TestDb, port: u16, url: &str) -> Child {
    let mut cmd = serve_command(db, port, url, &[]);
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
    let mut cmd = serve_command(db, port, &db.url(), &[]);
    cmd.envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::from(file));
    spawn_and_wait(cmd, port).await
}

/// `serve` on `port`, reaching the database at `url`, with `options`
/// (e.g. `--log-level trace`) before the key and the command.
pub fn serve_command(db: &TestDb, port: u16, url: &str, options: &[&str]) -> Command {
    let bind = format!("127.0.0.1:{port}");
    let mut args = vec!["--bind", &bind];
    args.extend_from_slice(options);
    args.extend(["--encryption-keys", &db.keys, "serve"]);
    db.command_at(url, &args)
}

async fn spawn_and_wait(mut cmd: Command, port: u16) -> Child {
    let child = cmd.spawn().expect("spawn server");
    wait_until_up(port).await;
    child
}

/// Waits (at most 30 s) until a server on `port` answers `/healthz`.
pub async fn wait_until_up(port: u16) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops a server with SIGTERM and waits for it to exit.
pub fn terminate(child: &mut Child) -> ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {pid}: {sent:?}");
    child.wait().expect("wait for the server")
}

/// Kills a server without warning (SIGKILL) and waits for it to go.
pub fn kill(child: &mut Child) {
    child.kill().expect("kill the server");
    child.wait().expect("wait for the server");
}

/// The lines the process writes to its (piped) stderr, as they come.
pub fn stderr_lines(child: &mut Child) -> Receiver<String> {
    let stderr = child.stderr.take().expect("a piped stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
