//! The operator's OAuth apps on PostgreSQL (global configuration).

use super::connection::{col, json_param, map_err};
use super::store::PgStore;
use crate::storage::error::StoreResult;
use crate::storage::rows::{OAuthAppRow, OAuthAppWrite};
use crate::storage::traits::OAuthAppStore;
use async_trait::async_trait;
use tokio_postgres::Row;

const SELECT: &str = "SELECT catalog_key, client_id, client_secret::text, created_at, updated_at
                      FROM oauth_apps";

fn app_row(r: &Row) -> StoreResult<OAuthAppRow> {
    Ok(OAuthAppRow {
        catalog_key: col(r, 0)?,
        client_id: col(r, 1)?,
        client_secret: col(r, 2)?,
        created_at: col(r, 3)?,
        updated_at: col(r, 4)?,
    })
}

#[async_trait]
impl OAuthAppStore for PgStore {
    async fn oauth_app_upsert(&self, app: &OAuthAppWrite) -> StoreResult<bool> {
        let secret = json_param("client secret envelope", &app.client_secret)?;
        let c = self.client().await?;
        // `xmax = 0` only on a row this statement inserted.
        let row = c
            .query_one(
                "INSERT INTO oauth_apps (catalog_key, client_id, client_secret, created_at, updated_at)
                 VALUES ($1, $2, $3::jsonb, $4, $4)
                 ON CONFLICT (catalog_key) DO UPDATE
                   SET client_id = EXCLUDED.client_id, client_secret = EXCLUDED.client_secret,
                       updated_at = EXCLUDED.updated_at
                 RETURNING (xmax = 0)",
                &[&app.catalog_key, &app.client_id, &secret, &app.at],
            )
            .await
            .map_err(map_err)?;
        col(&row, 0)
    }

    async fn oauth_app_get(&self, catalog_key: &str) -> StoreResult<Option<OAuthAppRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(&format!("{SELECT} WHERE catalog_key = $1"))
            .await
            .map_err(map_err)?;
        let row = c.query_opt(&stmt, &[&catalog_key]).await.map_err(map_err)?;
        row.as_ref().map(app_row).transpose()
    }

    async fn oauth_app_list(&self) -> StoreResult<Vec<OAuthAppRow>> {
        let c = self.client().await?;
        let rows = c
            .query(&format!("{SELECT} ORDER BY catalog_key COLLATE \"C\""), &[])
            .await
            .map_err(map_err)?;
        rows.iter().map(app_row).collect()
    }

    async fn oauth_app_remove(&self, catalog_key: &str) -> StoreResult<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                "DELETE FROM oauth_apps WHERE catalog_key = $1",
                &[&catalog_key],
            )
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn oauth_app_key_usage(&self) -> StoreResult<Vec<(String, i64)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT client_secret ->> 'kid' AS kid, COUNT(*) FROM oauth_apps
                 WHERE client_secret ->> 'kid' IS NOT NULL
                 GROUP BY 1 ORDER BY (client_secret ->> 'kid') COLLATE \"C\"",
                &[],
            )
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    async fn oauth_app_reseal(
        &self,
        catalog_key: &str,
        old_secret: &str,
        new_secret: &str,
    ) -> StoreResult<bool> {
        let old = json_param("old client secret envelope", old_secret)?;
        let new = json_param("new client secret envelope", new_secret)?;
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE oauth_apps SET client_secret = $3::jsonb
                 WHERE catalog_key = $1 AND client_secret = $2::jsonb",
                &[&catalog_key, &old, &new],
            )
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }
}
