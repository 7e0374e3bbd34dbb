//! A tenant's installed connectors on SQLite; every statement filters by
//! the caller's tenant.

use super::audit::insert_audit;
use super::connection::{map_err, ts, ts_col};
use super::store::SqliteStore;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::storage::error::{StoreError, StoreResult};
use crate::storage::rows::{
    AuditWrite, ConnectorFilter, ConnectorInsert, ConnectorRow, ConnectorUpdate, PublishTargetRow,
    SealedSecrets, UpdateOutcome,
};
use crate::storage::shared::{contains_pattern, page_capacity, update_missed};
use crate::storage::traits::ConnectorStore;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

/// The columns of a connector row, as every connector read selects them:
/// the secret states, not the envelope (read only for a row that has no
/// states yet).
const CONNECTOR_SELECT: &str =
    "SELECT c.id, c.tenant_id, c.catalog_id, cat.key, cat.updated_at, c.name, c.status,
    c.status_message, c.config, c.secret_states,
    CASE WHEN c.secret_states IS NULL THEN c.auth END, c.tags, c.version, c.created_at, c.updated_at, c.created_by,
    c.updated_by, c.created_by_name, c.updated_by_name, c.last_check
    FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id";

/// A page of a tenant's connectors: the SQL and its parameters, as the
/// store runs it (the benchmark's raw loop runs it too, through
/// `bench-internals`).
pub fn connector_list_query(
    tenant_id: &str,
    f: &ConnectorFilter,
) -> (String, Vec<Box<dyn rusqlite::ToSql + Send>>) {
    let mut sql = format!("{CONNECTOR_SELECT} WHERE c.tenant_id = ?1");
    let mut args: Vec<Box<dyn rusqlite::ToSql + Send>> = vec![Box::new(tenant_id.to_string())];
    let mut add = |cond: &str, v: String, args: &mut Vec<Box<dyn rusqlite::ToSql + Send>>| {
        args.push(Box::new(v));
        sql.push_str(&cond.replace('?', &format!("?{}", args.len())));
    };
    if let Some(v) = f.status.clone() {
        add(" AND c.status = ?", v, &mut args);
    }
    if let Some(v) = f.catalog_key.clone() {
        add(" AND cat.key = ?", v, &mut args);
    }
    if let Some(v) = f.tag.clone() {
        add(
            " AND EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ?)",
            v,
            &mut args,
        );
    }
    if let Some(v) = f.name_contains.as_deref() {
        add(
            " AND c.name LIKE ? ESCAPE '\\'",
            contains_pattern(v),
            &mut args,
        );
    }
    if let Some(v) = f.after_id.clone() {
        add(" AND c.id > ?", v, &mut args);
    }
    args.push(Box::new(f.limit));
    sql.push_str(&format!(" ORDER BY c.id LIMIT ?{}", args.len()));
    (sql, args)
}

/// A connector row as [`CONNECTOR_SELECT`] reads it.
fn connector_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConnectorRow> {
    Ok(ConnectorRow {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        catalog_id: r.get(2)?,
        catalog_key: r.get(3)?,
        catalog_updated_at: ts_col(r, 4)?,
        name: r.get(5)?,
        status: r.get(6)?,
        status_message: r.get(7)?,
        config: r.get(8)?,
        secret_states: r.get(9)?,
        legacy_auth: r.get(10)?,
        tags: r.get(11)?,
        version: r.get(12)?,
        created_at: ts_col(r, 13)?,
        updated_at: ts_col(r, 14)?,
        created_by: r.get(15)?,
        updated_by: r.get(16)?,
        created_by_name: r.get(17)?,
        updated_by_name: r.get(18)?,
        last_check: r.get(19)?,
    })
}

pub(super) fn get_connector(
    conn: &Connection,
    tenant_id: &TenantId,
    id: &ConnectorId,
) -> StoreResult<Option<ConnectorRow>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "{CONNECTOR_SELECT} WHERE c.tenant_id = ?1 AND c.id = ?2"
        ))
        .map_err(map_err)?;
    stmt.query_row(params![tenant_id, id], connector_row)
        .optional()
        .map_err(map_err)
}

#[async_trait]
impl ConnectorStore for SqliteStore {
    async fn connector_insert(
        &self,
        tenant_id: &TenantId,
        row: &ConnectorInsert,
        audit: &AuditWrite,
    ) -> StoreResult<()> {
        let (tenant_id, row, audit) = (tenant_id.clone(), row.clone(), audit.clone());
        self.write(move |tx| {
            let now = ts(&row.now);
            tx.prepare_cached(
                "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version,
                    created_at, updated_at, created_by, updated_by, created_by_name, updated_by_name,
                    secret_states)
                 VALUES (?1, ?2, ?3, ?4, 'inactive', ?5, ?6, ?7, 1, ?8, ?8, ?9, ?9, ?10, ?10, ?11)",
            )
            .map_err(map_err)?
            .execute(params![
                row.id, tenant_id, row.catalog_id, row.name, row.config, row.auth, row.tags, now,
                row.actor_id, row.actor_name, row.secret_states
            ])
            .map_err(map_err)?;
            insert_audit(tx, &tenant_id, &audit)
        })
        .await
    }

    async fn connector_get(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
    ) -> StoreResult<Option<ConnectorRow>> {
        let (tenant_id, id) = (tenant_id.clone(), id.clone());
        self.inline(move |c| get_connector(c, &tenant_id, &id))
            .await
    }

    async fn connector_list(
        &self,
        tenant_id: &TenantId,
        filter: &ConnectorFilter,
    ) -> StoreResult<Vec<ConnectorRow>> {
        let (sql, args) = connector_list_query(tenant_id.as_str(), filter);
        let limit = page_capacity(filter.limit);
        let run = move |c: &Connection| {
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(args.iter()))
                .map_err(map_err)?;
            let mut out = Vec::with_capacity(limit);
            while let Some(r) = rows.next().map_err(map_err)? {
                out.push(connector_row(r).map_err(map_err)?);
            }
            Ok(out)
        };
        // Without a filter that can pass over rows, a page is an index range
        // of at most `limit` rows.
        let bounded = filter.status.is_none()
            && filter.catalog_key.is_none()
            && filter.tag.is_none()
            && filter.name_contains.is_none();
        if bounded {
            self.inline(run).await
        } else {
            self.read(run).await
        }
    }

    async fn publish_targets(
        &self,
        tenant_id: &TenantId,
        catalog_ids: &[String],
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PublishTargetRow>> {
        let tenant_id = tenant_id.clone();
        let ids = serde_json::to_string(catalog_ids)
            .map_err(|e| StoreError::Database(format!("catalog ids: {e}")))?;
        let after = after_id.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT c.id, c.name, c.catalog_id, cat.key
                     FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id
                     WHERE c.tenant_id = ?1 AND c.status = 'active'
                       AND c.catalog_id IN (SELECT value FROM json_each(?2))
                       AND (?3 IS NULL OR c.id > ?3)
                     ORDER BY c.id LIMIT ?4",
                )
                .map_err(map_err)?;
            stmt.query_map(params![tenant_id, ids, after, limit], |r| {
                Ok(PublishTargetRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    catalog_id: r.get(2)?,
                    catalog_key: r.get(3)?,
                })
            })
            .map_err(map_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)
        })
        .await
    }

    async fn connector_update(
        &self,
        tenant_id: &TenantId,
        u: &ConnectorUpdate,
        audit: &AuditWrite,
    ) -> StoreResult<UpdateOutcome> {
        let (tenant_id, u, audit) = (tenant_id.clone(), u.clone(), audit.clone());
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE connectors SET name = ?4, status = ?5, status_message = ?6, config = ?7,
                        auth = COALESCE(?8, auth), secret_states = COALESCE(?14, secret_states),
                        tags = ?9, version = version + 1, updated_at = ?10,
                        updated_by = ?11, updated_by_name = ?12, check_error = 0
                     WHERE tenant_id = ?1 AND id = ?2 AND version = ?3 AND (?13 IS NULL OR auth = ?13)",
                )
                .map_err(map_err)?
                .execute(params![
                    tenant_id, u.id, u.expected_version, u.name, u.status, u.status_message, u.config,
                    u.auth.as_ref().map(|a| &a.sealed), u.tags, ts(&u.now), u.actor_id, u.actor_name,
                    u.auth.as_ref().map(|a| &a.expected), u.auth.as_ref().map(|a| &a.states)
                ])
                .map_err(map_err)?;
            if n == 0 {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM connectors WHERE tenant_id = ?1 AND id = ?2)",
                        params![tenant_id, u.id],
                        |r| r.get(0),
                    )
                    .map_err(map_err)?;
                return Ok(update_missed(exists));
            }
            insert_audit(tx, &tenant_id, &audit)?;
            match get_connector(tx, &tenant_id, &u.id)? {
                Some(row) => Ok(UpdateOutcome::Updated(Box::new(row))),
                None => Ok(UpdateOutcome::NotFound),
            }
        })
        .await
    }

    async fn connector_sealed(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
    ) -> StoreResult<Option<SealedSecrets>> {
        let (tenant_id, id) = (tenant_id.clone(), id.clone());
        self.inline(move |c| {
            c.prepare_cached(
                "SELECT auth, secret_states FROM connectors WHERE tenant_id = ?1 AND id = ?2",
            )
            .map_err(map_err)?
            .query_row(params![tenant_id, id], |r| {
                Ok(SealedSecrets {
                    auth: r.get(0)?,
                    states: r.get(1)?,
                })
            })
            .optional()
            .map_err(map_err)
        })
        .await
    }

    async fn connector_mark_unreadable(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        auth: &str,
        message: &str,
        audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let (tenant_id, id, audit) = (tenant_id.clone(), id.clone(), audit.clone());
        let (auth, message) = (auth.to_string(), message.to_string());
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE connectors SET status = 'error', status_message = ?4, check_error = 0,
                        version = version + 1, updated_at = ?5
                     WHERE tenant_id = ?1 AND id = ?2 AND auth = ?3
                       AND NOT (status = 'error' AND status_message IS ?4)",
                )
                .map_err(map_err)?
                .execute(params![tenant_id, id, auth, message, ts(&audit.created_at)])
                .map_err(map_err)?;
            if n == 0 {
                return Ok(false);
            }
            insert_audit(tx, &tenant_id, &audit)?;
            Ok(true)
        })
        .await
    }

    async fn connector_delete(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let (tenant_id, id, audit) = (tenant_id.clone(), id.clone(), audit.clone());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM connectors WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant_id, id],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Ok(false);
            }
            insert_audit(tx, &tenant_id, &audit)?;
            Ok(true)
        })
        .await
    }
}
