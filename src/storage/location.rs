//! Where the data lives, and opening the store that reads it: the backend
//! is chosen from the database URL at start-up.

use super::error::StoreResult;
use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::traits::{Backend, DynStore};
use secrecy::ExposeSecret;
use std::path::Path;
use std::sync::Arc;

/// Where the data lives, parsed from a database URL (or the data dir).
/// The PostgreSQL URL may hold a password, so it is kept secret.
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    Sqlite(std::path::PathBuf),
    Postgres(secrecy::SecretString),
}

impl DatabaseLocation {
    /// `postgres://…` / `postgresql://…`, or `sqlite://PATH` / `sqlite:PATH`;
    /// with no URL, `DATA_DIR/connectors.db`.
    pub fn from_url(url: Option<&str>, data_dir: &Path) -> Result<Self, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseLocation::Sqlite(data_dir.join("connectors.db")));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(url.to_string().into()));
        }
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(
                    "the sqlite URL has no file path (e.g. sqlite://./data/connectors.db)".into(),
                );
            }
            return Ok(DatabaseLocation::Sqlite(path.into()));
        }
        Err("unsupported database URL: use postgres://… or sqlite://PATH".into())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseLocation::Sqlite(_) => Backend::Sqlite,
            DatabaseLocation::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Opens the store for a location (connecting, not migrating).
pub async fn open(location: &DatabaseLocation) -> StoreResult<DynStore> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        DatabaseLocation::Postgres(url) => Arc::new(PgStore::connect(url.expose_secret()).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        let d = Path::new("/tmp/d");
        assert!(matches!(
            DatabaseLocation::from_url(None, d).unwrap(),
            DatabaseLocation::Sqlite(p) if p == Path::new("/tmp/d/connectors.db")
        ));
        assert!(matches!(
            DatabaseLocation::from_url(Some("sqlite://./x.db"), d).unwrap(),
            DatabaseLocation::Sqlite(p) if p == Path::new("./x.db")
        ));
        assert_eq!(
            DatabaseLocation::from_url(Some("postgres://u@h/db"), d)
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        assert!(DatabaseLocation::from_url(Some("mysql://x"), d).is_err());
        assert!(DatabaseLocation::from_url(Some("sqlite://"), d).is_err());
    }
}
