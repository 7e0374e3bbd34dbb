//! The PostgreSQL connection pool, and what every PostgreSQL file shares:
//! error mapping, reading columns and binding JSON text.

use crate::storage::error::{StoreError, StoreResult};
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use serde_json::value::RawValue;
use std::error::Error as _;
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Json};
use tokio_postgres::{NoTls, Row};

/// Most connections the pool opens.
const POOL_MAX_SIZE: usize = 16;

/// Used when the URL sets no `connect_timeout`, so that an unreachable
/// server fails start-up instead of hanging it.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses the URL and builds the pool (connecting lazily); also returns
/// the parsed settings, for the change listener's own connection. Errors
/// never quote the URL (it may hold a password).
pub(super) fn pool(url: &str) -> StoreResult<(Pool, tokio_postgres::Config)> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
        StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", describe(&e)))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    let config_for_listener = config.clone();
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(POOL_MAX_SIZE)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("cannot build the PostgreSQL pool: {e}")))?;
    Ok((pool, config_for_listener))
}

/// A readable description of a driver error. The driver's own `Display`
/// says only "db error" for server errors, so those are described by their
/// severity, message and SQLSTATE (not their detail, which can quote row
/// values); other errors get their cause appended. Neither ever contains
/// the connection password.
pub(super) fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
    }
    match e.source() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Maps a tokio-postgres error to a store error: unique violations become
/// conflicts naming the constraint; text the server cannot store (NUL in
/// `text`, `\u0000` in JSONB) is invalid input; a lost connection, a server
/// shutting down, out of resources or read-only means the database is
/// unavailable.
pub(crate) fn map_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            return StoreError::Conflict(
                db.constraint().unwrap_or("unique constraint").to_string(),
            );
        }
        if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
            || *code == SqlState::UNTRANSLATABLE_CHARACTER
        {
            return StoreError::InvalidText;
        }
        let class = code.code();
        let unavailable = class.starts_with("08")
            || class.starts_with("53")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::READ_ONLY_SQL_TRANSACTION,
            ]
            .contains(code);
        return if unavailable {
            StoreError::Unavailable(describe(&e))
        } else {
            StoreError::Database(describe(&e))
        };
    }
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) {
        return StoreError::Unavailable(describe(&e));
    }
    StoreError::Database(describe(&e))
}

/// A connection could not be had from the pool: the database is unavailable.
pub(super) fn pool_err(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => StoreError::Unavailable(describe(&e)),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Reads one column, turning a type mismatch into an error, not a panic.
pub(super) fn col<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).map_err(map_err)
}

/// A JSON text value checked and bound as JSONB as written: the server
/// parses the text itself, so numbers keep their exact value (as in SQLite,
/// which stores the text).
pub(super) fn json_param(what: &str, text: &str) -> StoreResult<Json<Box<RawValue>>> {
    RawValue::from_string(text.to_owned())
        .map(Json)
        .map_err(|e| StoreError::Database(format!("{what} is not valid JSON: {e}")))
}
