//! The scheduled-checks figure: a stand-in provider on 127.0.0.2 that
//! answers every check after a fixed delay, and the seeded connectors
//! made active and due, so that a fresh service's scheduler checks each
//! of them once.

use crate::seed::open_store;
use connectors::storage::DatabaseLocation;
use secrecy::ExposeSecret;
use std::io::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The answer every check gets: what each built-in's check reads as a
/// success (WordPress's `/name` and `/capabilities/publish_posts`, Medium's
/// and X's `/data/username`, LinkedIn's `/name`).
const BODY: &str = r#"{"name":"Bench","capabilities":{"publish_posts":true},"data":{"id":"bench","username":"bench"}}"#;

/// The most a request's head may take; a longer one closes the connection.
const MAX_HEAD: usize = 64 * 1024;

/// Serves the stand-in on 127.0.0.2 (a free port, printed on the first
/// line of stdout) until the process is stopped: every request is answered
/// `200` with [`BODY`] after `delay`.
pub(crate) async fn standin(delay: Duration) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.2:0").await?;
    let port = listener.local_addr()?.port();
    let mut out = std::io::stdout();
    writeln!(out, "{port}")?;
    out.flush()?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            // A connection that fails ends here; the check sees it.
            let _ = answer(stream, delay).await;
        });
    }
}

/// Answers the requests of one connection, each after `delay`, until the
/// client closes it.
async fn answer(mut stream: TcpStream, delay: Duration) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            return Ok(());
        }
        // Checks are GETs without a body: a request ends with its head.
        while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.drain(..end + 4);
            tokio::time::sleep(delay).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
                BODY.len()
            );
            stream.write_all(response.as_bytes()).await?;
        }
    }
}

/// Makes exactly `count` connectors (the first by id) active and due for
/// a check now, with no check result yet, and every other connector
/// inactive, so that the scheduler has `count` checks to run. Prints how
/// many are due.
pub(crate) async fn make_due(url: &str, count: usize) -> anyhow::Result<()> {
    let (location, _store) = open_store(url).await?;
    let count = i64::try_from(count)?;
    let due: i64 = match location {
        DatabaseLocation::Sqlite(path) => {
            let mut conn = rusqlite::Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(30))?;
            let tx = conn.transaction()?;
            tx.execute(
                "UPDATE connectors SET status = 'inactive', status_message = NULL, check_error = 0",
                [],
            )?;
            tx.execute(
                "UPDATE connectors SET status = 'active', next_check_at = NULL, last_check = NULL
                 WHERE id IN (SELECT id FROM connectors ORDER BY id LIMIT ?1)",
                [count],
            )?;
            let due = tx.query_row(
                "SELECT count(*) FROM connectors WHERE status = 'active' AND next_check_at IS NULL",
                [],
                |r| r.get(0),
            )?;
            tx.commit()?;
            due
        }
        DatabaseLocation::Postgres(url) => {
            let (mut client, conn) =
                tokio_postgres::connect(url.expose_secret(), tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            let tx = client.transaction().await?;
            tx.execute(
                "UPDATE connectors SET status = 'inactive', status_message = NULL, check_error = false",
                &[],
            )
            .await?;
            tx.execute(
                "UPDATE connectors SET status = 'active', next_check_at = NULL, last_check = NULL
                 WHERE id IN (SELECT id FROM connectors ORDER BY id LIMIT $1)",
                &[&count],
            )
            .await?;
            let due = tx
                .query_one(
                    "SELECT count(*) FROM connectors WHERE status = 'active' AND next_check_at IS NULL",
                    &[],
                )
                .await?
                .get(0);
            tx.commit().await?;
            due
        }
    };
    println!("{due}");
    Ok(())
}
