//! Pieces both backends use the same way: LIKE patterns, role columns,
//! the migration status list, the answer of a missed compare-and-set, and
//! page sizes. Driver-specific code stays in `sqlite/` and `postgres/`.

use super::error::{StoreError, StoreResult};
use super::migrations;
use super::rows::{MigrationState, UpdateOutcome};
use super::traits::Backend;
use crate::domain::identity::Role;
use chrono::{DateTime, Utc};

/// Most rows a page is ever allocated for up front, whatever limit a
/// caller asks for.
const MAX_PAGE_CAPACITY: usize = 256;

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The LIKE pattern (with `ESCAPE '\'`) matching text that contains `s`.
pub fn contains_pattern(s: &str) -> String {
    format!("%{}%", like_escape(s))
}

/// A stored role; an unknown one is a corrupt row.
pub fn parse_role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad role '{s}'")))
}

/// A token's stored scopes could not be read.
pub fn bad_scopes() -> StoreError {
    StoreError::Corrupt("bad token scopes".into())
}

/// How many rows to allocate for a page of at most `limit` rows.
pub fn page_capacity(limit: i64) -> usize {
    usize::try_from(limit).unwrap_or(0).min(MAX_PAGE_CAPACITY)
}

/// What a compare-and-set update that wrote no row means: the row is
/// there but its version (or envelope) moved on, or the tenant has no
/// such row.
pub fn update_missed(row_exists: bool) -> UpdateOutcome {
    if row_exists {
        UpdateOutcome::VersionMismatch
    } else {
        UpdateOutcome::NotFound
    }
}

/// One migration as recorded in a database's `schema_migrations`.
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: DateTime<Utc>,
}

/// Every migration the binary knows for `backend`, with when it was
/// applied, followed by any applied one the binary does not know.
pub fn migration_status(backend: Backend, applied: Vec<AppliedMigration>) -> Vec<MigrationState> {
    let mut out: Vec<MigrationState> = migrations::all(backend)
        .into_iter()
        .map(|m| MigrationState {
            version: m.version,
            applied_at: applied
                .iter()
                .find(|a| a.version == m.version)
                .map(|a| a.applied_at),
            name: m.name,
        })
        .collect();
    for a in applied {
        if !out.iter().any(|m| m.version == a.version) {
            out.push(MigrationState {
                version: a.version,
                name: a.name,
                applied_at: Some(a.applied_at),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(contains_pattern("x_y"), r"%x\_y%");
    }

    #[test]
    fn unknown_applied_migrations_are_listed_after_the_known_ones() {
        let at = chrono::Utc::now();
        let known = migrations::all(Backend::Sqlite);
        let status = migration_status(
            Backend::Sqlite,
            vec![
                AppliedMigration {
                    version: known[0].version,
                    name: known[0].name.clone(),
                    checksum: known[0].checksum.clone(),
                    applied_at: at,
                },
                AppliedMigration {
                    version: 9999,
                    name: "future".into(),
                    checksum: "x".into(),
                    applied_at: at,
                },
            ],
        );
        assert_eq!(status.len(), known.len() + 1);
        assert_eq!(status[0].applied_at, Some(at));
        assert!(
            status[1..known.len()]
                .iter()
                .all(|m| m.applied_at.is_none())
        );
        assert_eq!(status[known.len()].version, 9999);
    }
}
