//! The files the service creates for SQLite are readable by its own user
//! only, whatever the umask: the database and its `-wal` and `-shm` files
//! and the key file 0600, the data directory 0700.

use crate::support::{OutputExt, free_port, kill, wait_until_up};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The real binary with `args`, under umask 022 and no inherited settings.
fn connectors(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_connectors"))
        .args(args)
        .current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("CONNECTORS_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("CONNECTORS_BOOTSTRAP_PASSWORD", "bootstrap-password-1");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_files_are_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("fresh").join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let port = free_port();
    let mut child = connectors(
        tmp.path(),
        &[
            "--data-dir",
            &data_arg,
            "--bind",
            &format!("127.0.0.1:{port}"),
            "serve",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_until_up(port).await;
    // A write, so that the write-ahead log holds something.
    let res = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&data.join("connectors.db")), 0o600, "the database");
    assert_eq!(
        mode(&data.join("connectors.db-wal")),
        0o600,
        "the -wal file"
    );
    assert_eq!(
        mode(&data.join("connectors.db-shm")),
        0o600,
        "the -shm file"
    );
    let key_files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().contains("connectors.db"))
        .collect();
    assert!(!key_files.is_empty(), "a key file was created");
    for p in key_files {
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    kill(&mut child);

    // A database left readable by others is made private when opened.
    let db = data.join("connectors.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = connectors(tmp.path(), &["--data-dir", &data_arg, "migrate"])
        .output()
        .unwrap();
    out.assert_ok();
    assert_eq!(mode(&db), 0o600, "the database after a later open");

    // A database named by URL in a new directory gets a private directory.
    let elsewhere = tmp.path().join("other").join("nested");
    let url = format!("sqlite://{}", elsewhere.join("x.db").display());
    let out = connectors(
        tmp.path(),
        &["--data-dir", &data_arg, "--database-url", &url, "migrate"],
    )
    .output()
    .unwrap();
    out.assert_ok();
    assert_eq!(mode(&elsewhere), 0o700, "the database's directory");
    assert_eq!(mode(&elsewhere.join("x.db")), 0o600, "the database by URL");
}
