//! Encryption key checks, key usage and rotation on SQLite (global
//! operator tasks over every tenant's envelopes).

use super::connection::{map_err, ts};
use super::store::SqliteStore;
use crate::domain::ids::ConnectorId;
use crate::domain::time;
use crate::storage::error::StoreResult;
use crate::storage::rows::{SecretFilter, SecretRow};
use crate::storage::traits::KeyStore;
use async_trait::async_trait;
use rusqlite::params;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn key_checks(&self) -> StoreResult<Vec<(String, String)>> {
        self.read(|c| {
            let mut stmt = c
                .prepare("SELECT key_id, check_value FROM key_checks ORDER BY key_id")
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn key_check_insert(&self, key_id: &str, check_value: &str) -> StoreResult<()> {
        let (k, v) = (key_id.to_string(), check_value.to_string());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO key_checks (key_id, check_value, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key_id) DO NOTHING",
                params![k, v, ts(&time::now())],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn key_usage(&self) -> StoreResult<Vec<(String, i64)>> {
        self.read(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT json_extract(auth, '$.kid') AS kid, COUNT(*) FROM connectors
                     WHERE json_valid(auth) AND json_extract(auth, '$.kid') IS NOT NULL
                     GROUP BY kid ORDER BY kid",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn secrets_page(
        &self,
        filter: &SecretFilter,
        after_id: Option<&ConnectorId>,
        limit: i64,
    ) -> StoreResult<Vec<SecretRow>> {
        // ?1 selects the rows: a key id (not under it, or without states),
        // 'states' (without states only) or 'all'.
        let (mode, kid) = match filter {
            SecretFilter::NeedsReseal { primary_kid } => ("kid", primary_kid.clone()),
            SecretFilter::WithoutStates => ("states", String::new()),
            SecretFilter::All => ("all", String::new()),
        };
        let after = after_id.cloned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, tenant_id, auth, secret_states FROM connectors
                     WHERE CASE ?1
                         WHEN 'kid' THEN secret_states IS NULL OR NOT json_valid(auth)
                             OR json_extract(auth, '$.kid') IS NOT ?2
                         WHEN 'states' THEN secret_states IS NULL
                         ELSE 1 END
                       AND (?3 IS NULL OR id > ?3)
                     ORDER BY id LIMIT ?4",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map(params![mode, kid, after, limit], |r| {
                    Ok(SecretRow {
                        id: r.get(0)?,
                        tenant_id: r.get(1)?,
                        auth: r.get(2)?,
                        states: r.get(3)?,
                    })
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn secret_reseal(
        &self,
        id: &ConnectorId,
        old_auth: &str,
        new_auth: &str,
        new_states: &str,
    ) -> StoreResult<bool> {
        let (id, old, new) = (id.clone(), old_auth.to_string(), new_auth.to_string());
        let states = new_states.to_string();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE connectors SET auth = ?3, secret_states = ?4 WHERE id = ?1 AND auth = ?2",
                    params![id, old, new, states],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
