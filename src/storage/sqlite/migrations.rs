//! Applying and listing migrations on SQLite: the writer's transaction
//! holds the whole run, so a failed migration leaves nothing applied.

use super::connection::{map_err, parse_ts, ts};
use super::store::SqliteStore;
use crate::domain::time;
use crate::storage::error::{StoreError, StoreResult};
use crate::storage::migrations;
use crate::storage::rows::MigrationState;
use crate::storage::shared::{self, AppliedMigration};
use crate::storage::traits::{AdminStore, Backend};
use async_trait::async_trait;
use rusqlite::{Connection, params};

const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

fn applied_migrations(conn: &Connection) -> StoreResult<Vec<(i64, String, String, String)>> {
    let exists: bool = conn
        .query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    Ok(rows)
}

#[async_trait]
impl AdminStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn migrate(&self) -> StoreResult<Vec<MigrationState>> {
        self.write(|tx| {
            tx.execute_batch(MIGRATIONS_TABLE).map_err(map_err)?;
            let applied: Vec<(i64, String)> = applied_migrations(tx)?
                .into_iter()
                .map(|(v, _, c, _)| (v, c))
                .collect();
            let todo = migrations::pending(Backend::Sqlite, &applied)?;
            let mut done = Vec::new();
            for m in todo {
                tx.execute_batch(&m.sql).map_err(|e| {
                    StoreError::Migration(format!("{:04}_{}: {e}", m.version, m.name))
                })?;
                let now = time::now();
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                    params![m.version, m.name, m.checksum, ts(&now)],
                )
                .map_err(map_err)?;
                done.push(MigrationState {
                    version: m.version,
                    name: m.name,
                    applied_at: Some(now),
                });
            }
            Ok(done)
        })
        .await
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>> {
        self.read(|c| {
            let applied = applied_migrations(c)?
                .into_iter()
                .map(|(version, name, checksum, at)| {
                    Ok(AppliedMigration {
                        version,
                        name,
                        checksum,
                        applied_at: parse_ts(&at)?,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(shared::migration_status(Backend::Sqlite, applied))
        })
        .await
    }
}
