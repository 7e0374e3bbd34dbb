//! The SQLite connection threads. The one writing connection lives on its
//! own thread and takes write jobs from a queue; a fixed set of reader
//! threads takes read jobs from another ([`Readers`]).
//!
//! Jobs that queue up while a transaction is being written are committed
//! together (group commit). Each job runs inside its own savepoint, so a job
//! that fails rolls back only its own changes, and a caller is answered only
//! once the transaction holding its job has committed (or has failed, in
//! which case every job in it reports the failure). Under concurrent writes
//! this turns many small commits into a few larger ones, with the same
//! durability for each caller.

use super::connection::map_err;
use crate::storage::error::{StoreError, StoreResult};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 64;

/// Answers a job's caller; given the commit's error, if the commit failed.
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// A job that ran: whether it succeeded, and how to answer its caller.
struct Ran {
    ok: bool,
    reply: Reply,
}

/// Runs on the writer's connection, or (given an error instead) answers its
/// caller with that error without running.
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> Option<Ran> + Send>;

pub(crate) struct Writer {
    queue: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Moves `conn` onto a new writer thread.
    pub(crate) fn start(conn: Connection) -> StoreResult<Writer> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(&conn, &jobs))
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `f` in a transaction on the writer connection; its changes are
    /// committed (with those of any jobs batched with it) if it returns `Ok`
    /// and rolled back if it returns an error.
    pub(crate) async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |conn| {
            let conn = match conn {
                Ok(c) => c,
                Err(e) => {
                    let _ = answer.send(Err(e.clone()));
                    return None;
                }
            };
            let out = f(conn);
            Some(Ran {
                ok: out.is_ok(),
                reply: Box::new(move |commit| {
                    let _ = answer.send(match (out, commit) {
                        (Ok(_), Some(e)) => Err(e.clone()),
                        (out, _) => out,
                    });
                }),
            })
        });
        self.queue
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    /// Lets queued jobs finish, then closes the connection.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Database("the database connections have stopped".into())
}

fn exec(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(map_err)
}

fn serve(conn: &Connection, jobs: &mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(8);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        commit_batch(conn, batch);
    }
}

fn commit_batch(conn: &Connection, batch: Vec<Job>) {
    let mut waiting: Vec<Reply> = Vec::with_capacity(batch.len());
    let mut in_transaction = false;
    for job in batch {
        if !in_transaction {
            if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
                job(Err(&e));
                continue;
            }
            in_transaction = true;
        }
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            job(Err(&e));
            continue;
        }
        // A job that panics counts as failed (its caller hears that the
        // writer stopped answering it); the thread carries on.
        let ran = match catch_unwind(AssertUnwindSafe(|| job(Ok(conn)))) {
            Ok(Some(ran)) => ran,
            Ok(None) | Err(_) => Ran {
                ok: false,
                reply: Box::new(|_| {}),
            },
        };
        let settled = if ran.ok {
            exec(conn, "RELEASE job")
        } else {
            exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
        };
        match settled {
            // SQLite rolls a whole transaction back on some errors (a full
            // disk, an I/O error); every job written in it is then lost.
            _ if conn.is_autocommit() => {
                let e = settled.err().unwrap_or_else(|| {
                    StoreError::Unavailable("the database rolled the transaction back".into())
                });
                for reply in waiting.drain(..) {
                    reply(Some(&e));
                }
                (ran.reply)(Some(&e));
                in_transaction = false;
            }
            Ok(()) if ran.ok => waiting.push(ran.reply),
            Ok(()) => (ran.reply)(None),
            Err(e) => {
                for reply in waiting.drain(..) {
                    reply(Some(&e));
                }
                (ran.reply)(Some(&e));
                let _ = exec(conn, "ROLLBACK");
                in_transaction = false;
            }
        }
    }
    if in_transaction {
        let committed = exec(conn, "COMMIT");
        if committed.is_err() && !conn.is_autocommit() {
            let _ = exec(conn, "ROLLBACK");
        }
        for reply in waiting {
            reply(committed.as_ref().err());
        }
    }
}

/// A read job: runs on one reader connection and answers its caller.
type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// A fixed set of reader threads, each with its own connection, taking
/// read jobs from one shared queue. A fixed set (rather than a blocking
/// thread per read) keeps the thread count, and the memory each thread's
/// allocator holds, constant under any load; reads beyond the set wait in
/// the queue.
pub(crate) struct Readers {
    queue: Option<mpsc::Sender<ReadJob>>,
    threads: Vec<JoinHandle<()>>,
}

impl Readers {
    pub(crate) fn start(conns: Vec<Connection>) -> StoreResult<Readers> {
        let (queue, jobs) = mpsc::channel::<ReadJob>();
        let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
        let mut threads = Vec::with_capacity(conns.len());
        for (i, conn) in conns.into_iter().enumerate() {
            let jobs = jobs.clone();
            let thread = std::thread::Builder::new()
                .name(format!("sqlite-reader-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job.
                        let next = match jobs.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match next {
                            // A panicking job drops its answer (its caller
                            // gets an error); the thread carries on.
                            Ok(job) => {
                                let _ = catch_unwind(AssertUnwindSafe(|| job(&conn)));
                            }
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| {
                    StoreError::Unavailable(format!("cannot start a reader thread: {e}"))
                })?;
            threads.push(thread);
        }
        Ok(Readers {
            queue: Some(queue),
            threads,
        })
    }

    pub(crate) async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let job: ReadJob = Box::new(move |conn| {
            let _ = answer.send(f(conn));
        });
        self.queue
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.queue.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_rolls_back_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER UNIQUE)")
            .unwrap();
        let writer = Arc::new(Writer::start(conn).unwrap());
        // Sent at once so that they share transactions: every job inserts
        // its number, and the odd ones then insert it again and fail.
        let mut jobs = Vec::new();
        for v in 0..40_i64 {
            let writer = writer.clone();
            jobs.push(tokio::spawn(async move {
                writer
                    .run(move |c| {
                        c.execute("INSERT INTO t (x) VALUES (?1)", [v])
                            .map_err(map_err)?;
                        if v % 2 == 1 {
                            c.execute("INSERT INTO t (x) VALUES (?1)", [v])
                                .map_err(map_err)?;
                        }
                        Ok(v)
                    })
                    .await
            }));
        }
        for (v, job) in jobs.into_iter().enumerate() {
            match job.await.unwrap() {
                Ok(got) => assert!(got % 2 == 0 && got == v as i64),
                Err(StoreError::Conflict(_)) => assert_eq!(v % 2, 1),
                Err(e) => panic!("job {v}: {e}"),
            }
        }
        drop(writer);
        let check = Connection::open(&path).unwrap();
        let stored: Vec<i64> = check
            .prepare("SELECT x FROM t ORDER BY x")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, (0..40).step_by(2).collect::<Vec<i64>>());
    }
}
