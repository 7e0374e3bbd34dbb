//! One SQLite connection with the service's settings, and what every
//! SQLite file shares: the error mapping and the timestamp columns (RFC
//! 3339 text).

use crate::domain::time;
use crate::storage::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::Path;

const BUSY_TIMEOUT_MS: u64 = 5_000;

/// Maps a rusqlite error to a store error: constraint violations become
/// conflicts; busy, locked, read-only, full and I/O errors mean the
/// database is unavailable; a stored value that does not convert is corrupt.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::FromSqlConversionFailure(_, _, why) = &e {
        return StoreError::Corrupt(why.to_string());
    }
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let detail = msg.clone().unwrap_or_else(|| f.to_string());
        match f.code {
            ErrorCode::ConstraintViolation
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                let cols = detail
                    .strip_prefix("UNIQUE constraint failed: ")
                    .unwrap_or(&detail)
                    .to_string();
                return StoreError::Conflict(cols);
            }
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::ReadOnly
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied => return StoreError::Unavailable(detail),
            _ => {}
        }
    }
    StoreError::Database(e.to_string())
}

/// Opens one connection with the service's settings: a busy timeout,
/// foreign keys, `synchronous = NORMAL` (with WAL: durable at checkpoints,
/// never corrupt), temporary tables in memory, `secure_delete` (the space a
/// changed or deleted row leaves is zeroed, so a value moved out of a
/// config into the sealed secrets does not linger in the file), reads of the database file
/// through a memory map of up to 256 MiB (shared by every connection
/// through the kernel's page cache, instead of a `read` call per page that
/// misses each connection's own small cache), and the query planner
/// stability guarantee. Without that guarantee SQLite re-prepares a
/// statement every time a parameter its plan looked at is bound again (a
/// `LIMIT ?` is one), which was a full parse and plan per page listed.
/// The benchmark's raw loops open theirs with it too (`bench-internals`).
pub fn open_conn(path: &Path, create: bool) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(map_err)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         PRAGMA mmap_size = 268435456; PRAGMA secure_delete = ON;",
    )
    .map_err(map_err)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(map_err)?;
    Ok(conn)
}

pub(super) fn ts(t: &DateTime<Utc>) -> String {
    time::format(t)
}

pub(super) fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    time::parse(s).ok_or_else(|| StoreError::Corrupt(format!("bad timestamp '{s}'")))
}

/// A timestamp column read in place, without copying its text first.
pub(super) fn ts_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text = r.get_ref(i)?.as_str()?;
    time::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad timestamp '{text}'").into(),
        )
    })
}
