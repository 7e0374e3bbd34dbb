//! The operator's OAuth apps on SQLite (global configuration).

use super::connection::{map_err, ts, ts_col};
use super::store::SqliteStore;
use crate::storage::error::StoreResult;
use crate::storage::rows::{OAuthAppRow, OAuthAppWrite};
use crate::storage::traits::OAuthAppStore;
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

const SELECT: &str =
    "SELECT catalog_key, client_id, client_secret, created_at, updated_at FROM oauth_apps";

fn app_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OAuthAppRow> {
    Ok(OAuthAppRow {
        catalog_key: r.get(0)?,
        client_id: r.get(1)?,
        client_secret: r.get(2)?,
        created_at: ts_col(r, 3)?,
        updated_at: ts_col(r, 4)?,
    })
}

#[async_trait]
impl OAuthAppStore for SqliteStore {
    async fn oauth_app_upsert(&self, app: &OAuthAppWrite) -> StoreResult<bool> {
        let app = app.clone();
        self.write(move |tx| {
            let at = ts(&app.at);
            let updated = tx
                .execute(
                    "UPDATE oauth_apps SET client_id = ?2, client_secret = ?3, updated_at = ?4
                     WHERE catalog_key = ?1",
                    params![app.catalog_key, app.client_id, app.client_secret, at],
                )
                .map_err(map_err)?;
            if updated == 1 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO oauth_apps (catalog_key, client_id, client_secret, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
                params![app.catalog_key, app.client_id, app.client_secret, at],
            )
            .map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn oauth_app_get(&self, catalog_key: &str) -> StoreResult<Option<OAuthAppRow>> {
        let key = catalog_key.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!("{SELECT} WHERE catalog_key = ?1"))
                .map_err(map_err)?
                .query_row([key], app_row)
                .optional()
                .map_err(map_err)
        })
        .await
    }

    async fn oauth_app_list(&self) -> StoreResult<Vec<OAuthAppRow>> {
        self.read(|c| {
            let mut stmt = c
                .prepare(&format!("{SELECT} ORDER BY catalog_key"))
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], app_row)
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn oauth_app_remove(&self, catalog_key: &str) -> StoreResult<bool> {
        let key = catalog_key.to_string();
        self.write(move |tx| {
            let n = tx
                .execute("DELETE FROM oauth_apps WHERE catalog_key = ?1", [key])
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn oauth_app_key_usage(&self) -> StoreResult<Vec<(String, i64)>> {
        self.read(|c| super::keys::kid_usage(c, "oauth_apps", "client_secret"))
            .await
    }

    async fn oauth_app_reseal(
        &self,
        catalog_key: &str,
        old_secret: &str,
        new_secret: &str,
    ) -> StoreResult<bool> {
        let (key, old, new) = (
            catalog_key.to_string(),
            old_secret.to_string(),
            new_secret.to_string(),
        );
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE oauth_apps SET client_secret = ?3 WHERE catalog_key = ?1 AND client_secret = ?2",
                    params![key, old, new],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
