//! Encryption key checks, key usage and rotation on PostgreSQL (global
//! operator tasks over every tenant's envelopes).

use super::connection::{col, json_param, map_err};
use super::store::PgStore;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::time;
use crate::storage::error::StoreResult;
use crate::storage::rows::{ConfigSecretsRow, SecretFilter, SecretRow};
use crate::storage::traits::KeyStore;
use async_trait::async_trait;

#[async_trait]
impl KeyStore for PgStore {
    async fn key_checks(&self) -> StoreResult<Vec<(String, String)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT key_id, check_value FROM key_checks ORDER BY key_id COLLATE \"C\"",
                &[],
            )
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    async fn key_check_insert(&self, key_id: &str, check_value: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO key_checks (key_id, check_value, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key_id) DO NOTHING",
            &[&key_id, &check_value, &time::now()],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn key_usage(&self) -> StoreResult<Vec<(String, i64)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT auth ->> 'kid' AS kid, COUNT(*) FROM connectors
                 WHERE auth ->> 'kid' IS NOT NULL
                 GROUP BY 1 ORDER BY (auth ->> 'kid') COLLATE \"C\"",
                &[],
            )
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    async fn secrets_page(
        &self,
        filter: &SecretFilter,
        after_id: Option<&ConnectorId>,
        limit: i64,
    ) -> StoreResult<Vec<SecretRow>> {
        // $1 selects the rows: a key id (not under it, or without states),
        // 'states' (without states only) or 'all'.
        let (mode, kid) = match filter {
            SecretFilter::NeedsReseal { primary_kid } => ("kid", primary_kid.as_str()),
            SecretFilter::WithoutStates => ("states", ""),
            SecretFilter::All => ("all", ""),
        };
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, tenant_id, auth::text, secret_states FROM connectors
                 WHERE CASE $1::text
                     WHEN 'kid' THEN secret_states IS NULL
                         OR (auth ->> 'kid') IS DISTINCT FROM $2::text
                     WHEN 'states' THEN secret_states IS NULL
                     ELSE TRUE END
                   AND ($3::text IS NULL OR id > $3)
                 ORDER BY id LIMIT $4",
            )
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&mode, &kid, &after_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(SecretRow {
                    id: col(r, 0)?,
                    tenant_id: col(r, 1)?,
                    auth: col(r, 2)?,
                    states: col(r, 3)?,
                })
            })
            .collect()
    }

    async fn secret_reseal(
        &self,
        id: &ConnectorId,
        old_auth: &str,
        new_auth: &str,
        new_states: &str,
    ) -> StoreResult<bool> {
        let old = json_param("old secrets envelope", old_auth)?;
        let new = json_param("new secrets envelope", new_auth)?;
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE connectors SET auth = $3::jsonb, secret_states = $4
                 WHERE id = $1 AND auth = $2::jsonb",
                &[&id, &old, &new, &new_states],
            )
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn config_secrets_page(
        &self,
        catalog_id: &str,
        after: Option<&(TenantId, ConnectorId)>,
        limit: i64,
    ) -> StoreResult<Vec<ConfigSecretsRow>> {
        let (after_tenant, after_id) = match after {
            Some((t, i)) => (Some(t.clone()), Some(i.clone())),
            None => (None, None),
        };
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, tenant_id, config::text, auth::text, secret_states FROM connectors
                 WHERE catalog_id = $1
                   AND ($2::text IS NULL OR tenant_id > $2 OR (tenant_id = $2 AND id > $3))
                 ORDER BY tenant_id, id LIMIT $4",
            )
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&catalog_id, &after_tenant, &after_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(ConfigSecretsRow {
                    id: col(r, 0)?,
                    tenant_id: col(r, 1)?,
                    config: col(r, 2)?,
                    auth: col(r, 3)?,
                    states: col(r, 4)?,
                })
            })
            .collect()
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
        let old_config = json_param("connector config", &old.config)?;
        let old_auth = json_param("old secrets envelope", &old.auth)?;
        let config = json_param("connector config", new_config)?;
        let auth = json_param("new secrets envelope", new_auth)?;
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE connectors SET config = $5::jsonb, auth = $6::jsonb, secret_states = $7,
                     version = version + 1
                 WHERE tenant_id = $1 AND id = $2 AND config = $3::jsonb AND auth = $4::jsonb",
                &[
                    &tenant_id,
                    &id,
                    &old_config,
                    &old_auth,
                    &config,
                    &auth,
                    &new_states,
                ],
            )
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn release_freed_pages(&self) -> StoreResult<()> {
        Ok(())
    }
}
