//! The catalog on SQLite (global, read-only to tenants).

use super::connection::{map_err, parse_ts, ts};
use super::store::SqliteStore;
use crate::domain::time;
use crate::storage::error::StoreResult;
use crate::storage::rows::{CatalogRow, CatalogWrite, UpsertOutcome};
use crate::storage::traits::CatalogStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

fn catalog_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_catalog_row(t: (String, String, String, String, String)) -> StoreResult<CatalogRow> {
    Ok(CatalogRow {
        id: t.0,
        key: t.1,
        document: t.2,
        created_at: parse_ts(&t.3)?,
        updated_at: parse_ts(&t.4)?,
    })
}

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn catalog_upsert(&self, e: &CatalogWrite) -> StoreResult<UpsertOutcome> {
        let e = e.clone();
        self.write(move |tx| {
            let existing: Option<(String, String)> = tx
                .query_row(
                    "SELECT id, document FROM connector_catalog WHERE key = ?1",
                    [&e.key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(map_err)?;
            let now = ts(&time::now());
            match existing {
                Some((_, doc)) if doc == e.document => Ok(UpsertOutcome::Unchanged),
                Some((id, _)) => {
                    tx.execute(
                        "UPDATE connector_catalog SET name = ?2, description = ?3, category = ?4, icon = ?5,
                            auth_type = ?6, capabilities = ?7, default_config_schema = ?8, auth_schema = ?9,
                            document = ?10, updated_at = ?11 WHERE id = ?1",
                        params![id, e.name, e.description, e.category, e.icon, e.auth_type,
                            e.capabilities, e.default_config_schema, e.auth_schema, e.document, now],
                    )
                    .map_err(map_err)?;
                    Ok(UpsertOutcome::Updated)
                }
                None => {
                    tx.execute(
                        "INSERT INTO connector_catalog (id, key, name, description, category, icon, auth_type,
                            capabilities, default_config_schema, auth_schema, document, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                        params![Uuid::new_v4().to_string(), e.key, e.name, e.description, e.category, e.icon,
                            e.auth_type, e.capabilities, e.default_config_schema, e.auth_schema, e.document, now],
                    )
                    .map_err(map_err)?;
                    Ok(UpsertOutcome::Created)
                }
            }
        })
        .await
    }

    async fn catalog_list(&self) -> StoreResult<Vec<CatalogRow>> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, key, document, created_at, updated_at FROM connector_catalog ORDER BY name, key",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], catalog_from_row)
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            rows.into_iter().map(to_catalog_row).collect()
        })
        .await
    }

    async fn catalog_get(&self, key: &str) -> StoreResult<Option<CatalogRow>> {
        let key = key.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog WHERE key = ?1",
                [&key],
                catalog_from_row,
            )
            .optional()
            .map_err(map_err)?
            .map(to_catalog_row)
            .transpose()
        })
        .await
    }

    async fn catalog_get_by_id(&self, id: &str) -> StoreResult<Option<CatalogRow>> {
        let id = id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog WHERE id = ?1",
            )
            .map_err(map_err)?
            .query_row([&id], catalog_from_row)
            .optional()
            .map_err(map_err)?
            .map(to_catalog_row)
            .transpose()
        })
        .await
    }

    async fn catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        self.inline(|c| {
            let (n, latest): (i64, Option<String>) = c
                .prepare_cached("SELECT COUNT(*), MAX(updated_at) FROM connector_catalog")
                .map_err(map_err)?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(map_err)?;
            Ok((n, latest.as_deref().map(parse_ts).transpose()?))
        })
        .await
    }
}
