//! The catalog on PostgreSQL (global, read-only to tenants). The JSON
//! columns are JSONB; reads use the manifest text (`document`), which
//! keeps its key order.

use super::change_feed::Changed;
use super::connection::{col, map_err};
use super::store::PgStore;
use crate::domain::time;
use crate::storage::error::{StoreError, StoreResult};
use crate::storage::rows::{CatalogRow, CatalogWrite, UpsertOutcome};
use crate::storage::traits::CatalogStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use uuid::Uuid;

/// One JSON column of a catalog write, parsed for binding as JSONB.
fn catalog_json(key: &str, field: &str, text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Database(format!(
            "catalog entry '{key}': {field} is not valid JSON: {e}"
        ))
    })
}

fn catalog_from_row(r: &Row) -> StoreResult<CatalogRow> {
    Ok(CatalogRow {
        id: col(r, 0)?,
        key: col(r, 1)?,
        document: col(r, 2)?,
        created_at: col(r, 3)?,
        updated_at: col(r, 4)?,
    })
}

/// The JSON columns of a catalog write, parsed for binding as JSONB.
struct CatalogJson {
    capabilities: serde_json::Value,
    default_config_schema: serde_json::Value,
    auth_schema: serde_json::Value,
}

impl CatalogJson {
    fn parse(e: &CatalogWrite) -> StoreResult<CatalogJson> {
        Ok(CatalogJson {
            capabilities: catalog_json(&e.key, "capabilities", &e.capabilities)?,
            default_config_schema: catalog_json(
                &e.key,
                "default_config_schema",
                &e.default_config_schema,
            )?,
            auth_schema: catalog_json(&e.key, "auth_schema", &e.auth_schema)?,
        })
    }
}

/// Brings an existing (locked) catalog row up to date: unchanged when the
/// document text is the same, otherwise updated in place, keeping its id.
async fn catalog_update_existing(
    tx: &Transaction<'_>,
    row: &Row,
    e: &CatalogWrite,
    j: &CatalogJson,
) -> StoreResult<UpsertOutcome> {
    let id: String = col(row, 0)?;
    let doc: String = col(row, 1)?;
    if doc == e.document {
        return Ok(UpsertOutcome::Unchanged);
    }
    tx.execute(
        "UPDATE connector_catalog SET name = $2, description = $3, category = $4, icon = $5,
            auth_type = $6, capabilities = $7, default_config_schema = $8, auth_schema = $9,
            document = $10, updated_at = $11 WHERE id = $1",
        &[
            &id,
            &e.name,
            &e.description,
            &e.category,
            &e.icon,
            &e.auth_type,
            &j.capabilities,
            &j.default_config_schema,
            &j.auth_schema,
            &e.document,
            &time::now(),
        ],
    )
    .await
    .map_err(map_err)?;
    Ok(UpsertOutcome::Updated)
}

const CATALOG_LOCK_ROW: &str =
    "SELECT id, document FROM connector_catalog WHERE key = $1 FOR UPDATE";

impl PgStore {
    async fn read_catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT COUNT(*), MAX(updated_at) FROM connector_catalog")
            .await
            .map_err(map_err)?;
        let row = c.query_one(&stmt, &[]).await.map_err(map_err)?;
        Ok((row.get(0), row.get(1)))
    }
}

#[async_trait]
impl CatalogStore for PgStore {
    async fn catalog_upsert(&self, e: &CatalogWrite) -> StoreResult<UpsertOutcome> {
        let j = CatalogJson::parse(e)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let outcome = match tx
            .query_opt(CATALOG_LOCK_ROW, &[&e.key])
            .await
            .map_err(map_err)?
        {
            Some(row) => catalog_update_existing(&tx, &row, e, &j).await?,
            None => {
                let now = time::now();
                let inserted = tx
                    .execute(
                        "INSERT INTO connector_catalog (id, key, name, description, category, icon,
                            auth_type, capabilities, default_config_schema, auth_schema, document,
                            created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                         ON CONFLICT (key) DO NOTHING",
                        &[
                            &Uuid::new_v4().to_string(),
                            &e.key,
                            &e.name,
                            &e.description,
                            &e.category,
                            &e.icon,
                            &e.auth_type,
                            &j.capabilities,
                            &j.default_config_schema,
                            &j.auth_schema,
                            &e.document,
                            &now,
                        ],
                    )
                    .await
                    .map_err(map_err)?;
                if inserted == 1 {
                    UpsertOutcome::Created
                } else {
                    // A concurrent upsert inserted the key first and has
                    // committed (ON CONFLICT waited for it): treat this one
                    // as a later write of the same entry.
                    let row = tx
                        .query_opt(CATALOG_LOCK_ROW, &[&e.key])
                        .await
                        .map_err(map_err)?
                        .ok_or_else(|| {
                            StoreError::Database(format!(
                                "catalog entry '{}' conflicted on insert but cannot be read",
                                e.key
                            ))
                        })?;
                    catalog_update_existing(&tx, &row, e, &j).await?
                }
            }
        };
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Catalog));
        Ok(outcome)
    }

    async fn catalog_list(&self) -> StoreResult<Vec<CatalogRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog
                 ORDER BY name COLLATE \"C\", key COLLATE \"C\"",
            )
            .await
            .map_err(map_err)?;
        let rows = c.query(&stmt, &[]).await.map_err(map_err)?;
        rows.iter().map(catalog_from_row).collect()
    }

    async fn catalog_get(&self, key: &str) -> StoreResult<Option<CatalogRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog
                 WHERE key = $1",
            )
            .await
            .map_err(map_err)?;
        c.query_opt(&stmt, &[&key])
            .await
            .map_err(map_err)?
            .as_ref()
            .map(catalog_from_row)
            .transpose()
    }

    async fn catalog_get_by_id(&self, id: &str) -> StoreResult<Option<CatalogRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog
                 WHERE id = $1",
            )
            .await
            .map_err(map_err)?;
        c.query_opt(&stmt, &[&id])
            .await
            .map_err(map_err)?
            .as_ref()
            .map(catalog_from_row)
            .transpose()
    }

    async fn catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        if let Some(v) = self.feed.catalog_version() {
            return Ok(v);
        }
        let ticket = self.feed.ticket();
        let v = self.read_catalog_version().await?;
        self.feed.remember_catalog_version(ticket, v);
        Ok(v)
    }
}
