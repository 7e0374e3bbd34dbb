//! Faults: a `kill -9` in the middle of a write burst, and a database that
//! goes away under load and comes back.

use crate::both_databases;
use crate::support::wordpress;
use crate::support::{TestDb, free_port, kill, pg_admin_url, send_json, start_server as start};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

both_databases!(
    kill_9_during_a_write_burst_loses_nothing_acknowledged,
    |db: TestDb| async move {
        let token = db.admin_token(&["credentials:read"]);
        let port = free_port();
        let url = db.url();
        let mut child = start(&db, port, &url).await;
        let base = format!("http://127.0.0.1:{port}/features/connectors/api");
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let mut writers = Vec::new();
        for w in 0..8 {
            let (base, token, acked) = (base.clone(), token.clone(), acked.clone());
            writers.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                for i in 0..400 {
                    let res = http
                        .post(format!("{base}/connectors"))
                        .bearer_auth(&token)
                        .json(&wordpress(&format!("w{w}-{i}")))
                        .send()
                        .await;
                    match res {
                        Ok(r) if r.status() == 201 => {
                            if let Ok(v) = r.json::<Value>().await {
                                acked
                                    .lock()
                                    .await
                                    .push(v["id"].as_str().unwrap_or_default().to_string());
                            }
                        }
                        _ => break,
                    }
                }
            }));
        }
        // Let the burst run, then kill the server without warning.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acked.lock().await.len() < 40 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        kill(&mut child);
        for w in writers {
            let _ = w.await;
        }
        let acked = acked.lock().await.clone();
        assert!(
            acked.len() >= 40,
            "the burst was under way ({})",
            acked.len()
        );

        let mut child = start(&db, port, &url).await;
        let http = reqwest::Client::new();
        for id in &acked {
            let res = http
                .get(format!("{base}/connectors/{id}/credentials"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                200,
                "acknowledged connector {id} exists and decrypts"
            );
        }
        // No half-written rows: every stored connector reads cleanly.
        let mut cursor: Option<String> = None;
        let mut total = 0;
        for _ in 0..100 {
            let url = match &cursor {
                Some(c) => format!("{base}/installed?limit=200&cursor={c}"),
                None => format!("{base}/installed?limit=200"),
            };
            let page = send_json(http.get(url).bearer_auth(&token)).await;
            for item in page["items"].as_array().unwrap() {
                assert_ne!(item["status"], "error", "{item}");
                assert_eq!(item["secrets"]["application_password"]["set"], true);
                total += 1;
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert!(total >= acked.len());
        kill(&mut child);
    }
);

/// A TCP proxy in front of PostgreSQL that can cut every connection.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
}

async fn proxy(upstream: String) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let down = Arc::new(AtomicBool::new(false));
    let flag = down.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                break;
            };
            if flag.load(Ordering::SeqCst) {
                drop(inbound);
                continue;
            }
            let (upstream, flag) = (upstream.clone(), flag.clone());
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let relay = copy_bidirectional(&mut inbound, &mut outbound);
                tokio::pin!(relay);
                loop {
                    tokio::select! {
                        _ = &mut relay => break,
                        _ = tokio::time::sleep(Duration::from_millis(20)) => {
                            if flag.load(Ordering::SeqCst) { break; }
                        }
                    }
                }
            });
        }
    });
    Proxy { port, down }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_without_restart() {
    let db = TestDb::postgres().await;
    let token = db.admin_token(&[]);
    let admin = pg_admin_url();
    let hostport = admin
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let p = proxy(hostport.clone()).await;
    let url = db
        .url()
        .replace(&hostport, &format!("127.0.0.1:{}", p.port));
    let port = free_port();
    let mut child = start(&db, port, &url).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let installed = || {
        http.get(format!("{base}/features/connectors/api/installed"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(installed().await.unwrap().status(), 200);

    // Outage: every connection cut, new ones refused.
    p.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut saw_503 = false;
    for _ in 0..5 {
        let res = installed().await.unwrap();
        assert!(
            res.status() == 503 || res.status() == 200,
            "{}",
            res.status()
        );
        if res.status() == 503 {
            let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], "unavailable");
            assert_eq!(body["request_id"].as_str(), Some(id.as_str()));
            assert!(
                !body.to_string().contains("127.0.0.1"),
                "no internal detail"
            );
            saw_503 = true;
        }
    }
    assert!(saw_503, "the outage is reported as 503");
    let ready = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Back again: the same process recovers.
    p.down.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = http.get(format!("{base}/readyz")).send().await.unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(installed().await.unwrap().status(), 200);
    let created = http
        .post(format!("{base}/features/connectors/api/connectors"))
        .bearer_auth(&token)
        .json(&wordpress("After"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    kill(&mut child);
}

/// A small filesystem of our own for the SQLite file, so that it can be
/// filled up. Needs the right to mount (CI runs as root).
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let path =
            std::env::temp_dir().join(format!("connectors-disk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "this test mounts a small tmpfs and needs root (as in CI)"
        );
        SmallDisk { path }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_disk_answers_503_without_corruption() {
    let disk = SmallDisk::new("2m");
    let db = TestDb::sqlite();
    let url = format!("sqlite://{}", disk.path.join("connectors.db").display());
    db.create_acme_admin_at(&url);
    let token = db.new_admin_token_at(&url, &["credentials:read"]);
    let port = free_port();
    let mut child = start(&db, port, &url).await;
    let base = format!("http://127.0.0.1:{port}/features/connectors/api");
    let http = reqwest::Client::new();
    // Fill the disk.
    let filler = disk.path.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 1_200_000]);
    let mut acked = Vec::new();
    let mut saw_503 = false;
    for i in 0..3000 {
        let mut body = wordpress(&format!("fill {i}"));
        body["tags"] = Value::Array(
            (0..40)
                .map(|t| Value::String(format!("{t:02}{}", "x".repeat(60))))
                .collect(),
        );
        let res = http
            .post(format!("{base}/connectors"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        match res.status().as_u16() {
            201 => acked.push(
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            503 => {
                let v: Value = res.json().await.unwrap();
                assert_eq!(v["error"], "unavailable");
                saw_503 = true;
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(saw_503, "a full disk answers 503");
    // Reads still work (a credentials read writes an audit event, so it
    // waits for space), and everything acknowledged is intact.
    for id in &acked {
        let res = http
            .get(format!("{base}/connectors/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["secrets"]["application_password"]["set"], true);
    }
    // Space again: writes work again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    let res = http
        .post(format!("{base}/connectors"))
        .bearer_auth(&token)
        .json(&wordpress("after full"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    kill(&mut child);

    // No corruption.
    let conn = rusqlite::Connection::open(disk.path.join("connectors.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// The real thing: the PostgreSQL server itself stopped and started under
/// load. It stops the shared cluster, so it is `#[ignore]`d in the parallel
/// suite and run on its own by `make test` (`--ignored --exact`, by name).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "stops the shared PostgreSQL cluster; make test runs it alone"]
async fn postgres_restarted_under_load() {
    let version = std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .expect("a cluster version");
    let cluster = |action: &str| {
        let ok = std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", action])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "pg_ctlcluster {action}");
    };
    let db = TestDb::postgres().await;
    let token = db.admin_token(&[]);
    let port = free_port();
    let mut child = start(&db, port, &db.url()).await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Load: a steady stream of reads while the database goes away.
    let stop = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(Vec::<u16>::new()));
    let load = {
        let (http, base, token, stop, statuses) = (
            http.clone(),
            base.clone(),
            token.clone(),
            stop.clone(),
            statuses.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                if let Ok(r) = http
                    .get(format!("{base}/features/connectors/api/installed"))
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    statuses.lock().await.push(r.status().as_u16());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster("stop");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ready = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .status();
    let during = http
        .get(format!("{base}/features/connectors/api/installed"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let during_status = during.status();
    let during_id = during.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = during.json().await.unwrap();
    cluster("start");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::SeqCst);
    load.await.unwrap();
    assert_eq!(ready, 503, "/readyz fails during the outage");
    assert_eq!(during_status, 503);
    assert_eq!(body["error"], "unavailable");
    assert_eq!(
        body["request_id"].as_str(),
        Some(during_id.as_str()),
        "5xx bodies name the request id"
    );
    let seen = statuses.lock().await.clone();
    assert!(seen.iter().all(|s| *s == 200 || *s == 503), "{seen:?}");
    assert!(seen.contains(&503) && seen.contains(&200));
    let after = http
        .get(format!("{base}/features/connectors/api/installed"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        200,
        "recovered without a restart of the service"
    );
    kill(&mut child);
}
