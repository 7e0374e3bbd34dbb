//! Applying and listing migrations on PostgreSQL: one transaction under an
//! advisory lock, so replicas starting together apply each migration once.

use super::change_feed::listen_for_changes;
use super::connection::{col, describe, map_err};
use super::store::PgStore;
use crate::domain::time;
use crate::storage::error::{StoreError, StoreResult};
use crate::storage::migrations;
use crate::storage::rows::MigrationState;
use crate::storage::shared::{self, AppliedMigration};
use crate::storage::traits::{AdminStore, Backend};
use async_trait::async_trait;

/// Advisory lock key serialising `migrate` across replicas.
const MIGRATION_LOCK: i64 = 7_261_001;

const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)";

/// The applied migrations, or none when `schema_migrations` does not exist.
async fn applied_migrations(c: &tokio_postgres::Client) -> StoreResult<Vec<AppliedMigration>> {
    let row = c
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(map_err)?;
    if !col::<bool>(&row, 0)? {
        return Ok(Vec::new());
    }
    let rows = c
        .query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            Ok(AppliedMigration {
                version: col(r, 0)?,
                name: col(r, 1)?,
                checksum: col(r, 2)?,
                applied_at: col(r, 3)?,
            })
        })
        .collect()
}

#[async_trait]
impl AdminStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        let c = self.client().await?;
        c.batch_execute("SELECT 1").await.map_err(map_err)
    }

    fn following_changes(&self) -> Option<bool> {
        Some(self.feed.is_live())
    }

    fn follow_changes(&self) {
        if let Ok(mut listener) = self.listener.lock() {
            if listener.is_none() {
                *listener = Some(tokio::spawn(listen_for_changes(
                    self.config.clone(),
                    self.feed.clone(),
                )));
            }
        }
    }

    async fn migrate(&self) -> StoreResult<Vec<MigrationState>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(map_err)?;
        tx.batch_execute(MIGRATIONS_TABLE).await.map_err(map_err)?;
        let applied: Vec<(i64, String)> = applied_migrations(tx.client())
            .await?
            .into_iter()
            .map(|a| (a.version, a.checksum))
            .collect();
        let todo = migrations::pending(Backend::Postgres, &applied)?;
        let mut done = Vec::new();
        for m in todo {
            tx.batch_execute(&m.sql).await.map_err(|e| {
                StoreError::Migration(format!("{:04}_{}: {}", m.version, m.name, describe(&e)))
            })?;
            let now = time::now();
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)
                 VALUES ($1, $2, $3, $4)",
                &[&m.version, &m.name, &m.checksum, &now],
            )
            .await
            .map_err(map_err)?;
            done.push(MigrationState {
                version: m.version,
                name: m.name,
                applied_at: Some(now),
            });
        }
        tx.commit().await.map_err(map_err)?;
        Ok(done)
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>> {
        let c = self.client().await?;
        let applied = applied_migrations(&c).await?;
        Ok(shared::migration_status(Backend::Postgres, applied))
    }
}
