//! Versioned migrations embedded in the binary, one directory per database
//! (`migrations/sqlite`, `migrations/postgres`). Files are named
//! `NNNN_name.sql` and applied in version order; each applied migration is
//! recorded with a checksum, and a changed applied file stops the run.

use super::error::StoreError;
use super::traits::Backend;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "migrations/sqlite/"]
#[include = "*.sql"]
struct SqliteFiles;

#[derive(RustEmbed)]
#[folder = "migrations/postgres/"]
#[include = "*.sql"]
struct PostgresFiles;

#[derive(Debug, Clone)]
pub struct Migration {
    pub version: i64,
    pub name: String,
    pub sql: String,
    pub checksum: String,
}

fn parse_name(file: &str) -> Option<(i64, String)> {
    let stem = file.strip_suffix(".sql")?;
    let (num, name) = stem.split_once('_')?;
    Some((num.parse().ok()?, name.to_string()))
}

/// The migrations for a backend, in version order.
pub fn all(backend: Backend) -> Vec<Migration> {
    let files: Vec<(String, Vec<u8>)> = match backend {
        Backend::Sqlite => SqliteFiles::iter()
            .filter_map(|f| SqliteFiles::get(&f).map(|c| (f.to_string(), c.data.into_owned())))
            .collect(),
        Backend::Postgres => PostgresFiles::iter()
            .filter_map(|f| PostgresFiles::get(&f).map(|c| (f.to_string(), c.data.into_owned())))
            .collect(),
    };
    let mut out: Vec<Migration> = files
        .into_iter()
        .filter_map(|(file, data)| {
            let (version, name) = parse_name(&file)?;
            let sql = String::from_utf8(data).ok()?;
            let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
            Some(Migration {
                version,
                name,
                sql,
                checksum,
            })
        })
        .collect();
    out.sort_by_key(|m| m.version);
    out
}

/// Checks that every applied migration is still known with the same
/// checksum; returns the ones still to apply.
pub fn pending(backend: Backend, applied: &[(i64, String)]) -> Result<Vec<Migration>, StoreError> {
    let known = all(backend);
    for (version, checksum) in applied {
        match known.iter().find(|m| m.version == *version) {
            None => {
                return Err(StoreError::Migration(format!(
                    "the database has migration {version}, which this binary does not know; it was written by a newer version"
                )));
            }
            Some(m) if &m.checksum != checksum => {
                return Err(StoreError::Migration(format!(
                    "migration {version} ({}) was changed after it was applied",
                    m.name
                )));
            }
            Some(_) => {}
        }
    }
    Ok(known
        .into_iter()
        .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions() {
        let s: Vec<_> = all(Backend::Sqlite)
            .iter()
            .map(|m| (m.version, m.name.clone()))
            .collect();
        let p: Vec<_> = all(Backend::Postgres)
            .iter()
            .map(|m| (m.version, m.name.clone()))
            .collect();
        assert!(!s.is_empty());
        assert_eq!(s, p);
    }

    #[test]
    fn changed_or_unknown_applied_migrations_stop_the_run() {
        let first = &all(Backend::Sqlite)[0];
        assert!(pending(Backend::Sqlite, &[(first.version, "x".into())]).is_err());
        assert!(pending(Backend::Sqlite, &[(9999, "x".into())]).is_err());
        let rest = pending(Backend::Sqlite, &[(first.version, first.checksum.clone())]).unwrap();
        assert!(rest.iter().all(|m| m.version != first.version));
    }
}
