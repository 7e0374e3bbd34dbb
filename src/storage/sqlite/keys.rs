//! Encryption key checks, key usage and rotation on SQLite (global
//! operator tasks over every tenant's envelopes).

use super::connection::{map_err, ts};
use super::store::SqliteStore;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::time;
use crate::storage::error::StoreResult;
use crate::storage::rows::{ConfigSecretsRow, SecretFilter, SecretRow};
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
        self.read(|c| kid_usage(c, "connectors", "auth")).await
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

    async fn config_secrets_page(
        &self,
        catalog_id: &str,
        after: Option<&(TenantId, ConnectorId)>,
        limit: i64,
    ) -> StoreResult<Vec<ConfigSecretsRow>> {
        let catalog_id = catalog_id.to_string();
        let (after_tenant, after_id) = match after {
            Some((t, i)) => (Some(t.clone()), Some(i.clone())),
            None => (None, None),
        };
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, tenant_id, config, auth, secret_states FROM connectors
                     WHERE catalog_id = ?1
                       AND (?2 IS NULL OR tenant_id > ?2 OR (tenant_id = ?2 AND id > ?3))
                     ORDER BY tenant_id, id LIMIT ?4",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map(params![catalog_id, after_tenant, after_id, limit], |r| {
                    Ok(ConfigSecretsRow {
                        id: r.get(0)?,
                        tenant_id: r.get(1)?,
                        config: r.get(2)?,
                        auth: r.get(3)?,
                        states: r.get(4)?,
                    })
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn config_secrets_reseal(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        old: &ConfigSecretsRow,
        new_config: &str,
        new_auth: &str,
        new_states: &str,
    ) -> StoreResult<bool> {
        let (tenant_id, id) = (tenant_id.clone(), id.clone());
        let (old_config, old_auth) = (old.config.clone(), old.auth.clone());
        let (config, auth, states) = (
            new_config.to_string(),
            new_auth.to_string(),
            new_states.to_string(),
        );
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE connectors SET config = ?5, auth = ?6, secret_states = ?7,
                         version = version + 1
                     WHERE tenant_id = ?1 AND id = ?2 AND config = ?3 AND auth = ?4",
                    params![tenant_id, id, old_config, old_auth, config, auth, states],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_freed_pages(&self) -> StoreResult<()> {
        self.read(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(map_err)
        })
        .await
    }
}

/// How many envelopes in `column` of `table` each key id sealed (the
/// connectors' secrets, the OAuth apps' client secrets). Both names are
/// the store's own constants, never input.
pub(super) fn kid_usage(
    c: &rusqlite::Connection,
    table: &'static str,
    column: &'static str,
) -> StoreResult<Vec<(String, i64)>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT json_extract({column}, '$.kid') AS kid, COUNT(*) FROM {table}
             WHERE json_valid({column}) AND json_extract({column}, '$.kid') IS NOT NULL
             GROUP BY kid ORDER BY kid"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    Ok(rows)
}
