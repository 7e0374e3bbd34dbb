//! The SQLite store: WAL mode, one writer connection on its own thread and
//! reader connections (see `threads`), all off the async runtime except
//! bounded reads on an inline connection.

use super::connection::{map_err, open_conn};
use super::threads::{Readers, Writer};
use crate::storage::error::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// How many reader threads (each with its connection) serve reads; reads
/// beyond this wait in their queue.
const READERS: usize = 4;
/// How many connections serve bounded reads on the caller's own thread:
/// one per async worker of a 2-core machine; callers that find them all
/// taken go to the reader threads.
const INLINE_READERS: usize = 2;

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    readers: Readers,
    /// For bounded reads run on the caller's thread (see `inline`), one
    /// per async worker thread.
    inline: Vec<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its directory,
    /// both private to the service's user (see [`crate::files`]).
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        // `:memory:` and `file:` URIs are SQLite's names, not file paths.
        let plain_file = path
            .to_str()
            .is_none_or(|p| p != ":memory:" && !p.starts_with("file:"));
        if plain_file {
            crate::files::prepare_private_database(path).map_err(|e| {
                StoreError::Unavailable(format!("cannot open {}: {e}", path.display()))
            })?;
        }
        let writer = open_conn(path, true)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(map_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "could not switch {} to WAL mode (got {mode})",
                path.display()
            )));
        }
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Writer::start(writer)?,
                readers: Readers::start(
                    (0..READERS)
                        .map(|_| open_conn(path, false))
                        .collect::<StoreResult<Vec<_>>>()?,
                )?,
                inline: (0..INLINE_READERS)
                    .map(|_| open_conn(path, false).map(Mutex::new))
                    .collect::<StoreResult<Vec<_>>>()?,
            }),
        })
    }

    /// Runs `f` on one of the reader threads.
    pub(super) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Runs a bounded read on the calling thread when one of the inline
    /// connections is free, and on a reader thread otherwise. Bounded means
    /// a unique key or an index range of at most one page (a token, a
    /// session, the catalog fingerprint, one connector, an unfiltered page
    /// of a tenant's connectors): it reads pages that are nearly always in
    /// SQLite's cache and takes microseconds, less than handing it to
    /// another thread and back, and the rows it allocates are freed on the
    /// thread that allocated them.
    pub(super) async fn inline<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        for slot in &self.inner.inline {
            if let Ok(conn) = slot.try_lock() {
                return f(&conn);
            }
        }
        self.read(f).await
    }

    /// Runs `f` in a transaction on the single writer connection (see
    /// [`Writer`]), committing if it returns `Ok`.
    pub(super) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.inner.writer.run(f).await
    }
}
