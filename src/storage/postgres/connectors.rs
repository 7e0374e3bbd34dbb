//! A tenant's installed connectors on PostgreSQL; every statement filters
//! by the caller's tenant.

use super::audit::insert_audit;
use super::connection::{col, json_param, map_err};
use super::store::PgStore;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::storage::error::StoreResult;
use crate::storage::rows::{
    AuditWrite, ConnectorFilter, ConnectorInsert, ConnectorRow, ConnectorUpdate, PublishTargetRow,
    SealedSecrets, UpdateOutcome,
};
use crate::storage::shared::{contains_pattern, update_missed};
use crate::storage::traits::ConnectorStore;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The order of a tenant's connectors: by id, in the "C" collation, which
/// only the index on `(tenant_id, id COLLATE "C")` gives (see migration
/// 0003), so the planner never walks the primary key instead.
const PAGE_ORDER: &str = r#"c.id COLLATE "C""#;

/// The columns of a connector row, as every connector read selects them:
/// the secret states, not the envelope (read only for a row that has no
/// states yet).
const CONNECTOR_SELECT: &str =
    "SELECT c.id, c.tenant_id, c.catalog_id, cat.key, cat.updated_at, c.name, c.status,
    c.status_message, c.config::text, c.secret_states,
    CASE WHEN c.secret_states IS NULL THEN c.auth::text END, c.tags::text, c.version, c.created_at,
    c.updated_at, c.created_by, c.updated_by, c.created_by_name, c.updated_by_name, c.last_check
    FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id";

fn connector_from_row(r: &Row) -> StoreResult<ConnectorRow> {
    Ok(ConnectorRow {
        id: col(r, 0)?,
        tenant_id: col(r, 1)?,
        catalog_id: col(r, 2)?,
        catalog_key: col(r, 3)?,
        catalog_updated_at: col(r, 4)?,
        name: col(r, 5)?,
        status: col(r, 6)?,
        status_message: col(r, 7)?,
        config: col(r, 8)?,
        secret_states: col(r, 9)?,
        legacy_auth: col(r, 10)?,
        tags: col(r, 11)?,
        version: col(r, 12)?,
        created_at: col(r, 13)?,
        updated_at: col(r, 14)?,
        created_by: col(r, 15)?,
        updated_by: col(r, 16)?,
        created_by_name: col(r, 17)?,
        updated_by_name: col(r, 18)?,
        last_check: col(r, 19)?,
    })
}

/// A page of a tenant's connectors: the SQL and its text parameters, as
/// the store runs it; the limit is the one parameter after those (pgbench
/// runs it too, through `bench-internals`).
pub fn connector_list_query(tenant_id: &str, f: &ConnectorFilter) -> (String, Vec<String>) {
    let mut sql = format!("{CONNECTOR_SELECT} WHERE c.tenant_id = $1");
    let mut args: Vec<String> = vec![tenant_id.to_string()];
    let conditions = [
        (" AND c.status = $?", f.status.clone()),
        (" AND cat.key = $?", f.catalog_key.clone()),
        (" AND jsonb_exists(c.tags, $?)", f.tag.clone()),
        (
            " AND c.name ILIKE $? ESCAPE '\\'",
            f.name_contains.as_deref().map(contains_pattern),
        ),
        (r#" AND c.id COLLATE "C" > $?"#, f.after_id.clone()),
    ];
    for (cond, value) in conditions {
        if let Some(v) = value {
            args.push(v);
            sql.push_str(&cond.replace("$?", &format!("${}", args.len())));
        }
    }
    sql.push_str(&format!(" ORDER BY {PAGE_ORDER} LIMIT ${}", args.len() + 1));
    (sql, args)
}

pub(super) async fn get_connector<C: GenericClient>(
    c: &C,
    tenant_id: &TenantId,
    id: &ConnectorId,
) -> StoreResult<Option<ConnectorRow>> {
    let stmt = c
        .prepare_cached(&format!(
            "{CONNECTOR_SELECT} WHERE c.tenant_id = $1 AND c.id = $2"
        ))
        .await
        .map_err(map_err)?;
    c.query_opt(&stmt, &[&tenant_id, &id])
        .await
        .map_err(map_err)?
        .as_ref()
        .map(connector_from_row)
        .transpose()
}

#[async_trait]
impl ConnectorStore for PgStore {
    async fn connector_insert(
        &self,
        tenant_id: &TenantId,
        row: &ConnectorInsert,
        audit: &AuditWrite,
    ) -> StoreResult<()> {
        let config = json_param("connector config", &row.config)?;
        let auth = json_param("connector auth", &row.auth)?;
        let tags = json_param("connector tags", &row.tags)?;
        let changes = json_param("audit changes", &audit.changes)?;
        let c = self.client().await?;
        // One statement, so one round trip and one implicit transaction:
        // the audit event is written only if the connector row is.
        let stmt = c
            .prepare_cached(
                "WITH inserted AS (
                    INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth,
                        tags, version, created_at, updated_at, created_by, updated_by,
                        created_by_name, updated_by_name, secret_states)
                    VALUES ($1, $2, $3, $4, 'inactive', $5, $6, $7, 1, $8, $8, $9, $9, $10, $10, $17)
                    RETURNING id)
                 INSERT INTO audit_events (id, tenant_id, connector_id, actor_id, actor_name,
                    action, changes, created_at)
                 SELECT $11, $2, inserted.id, $12, $13, $14, $15, $16 FROM inserted",
            )
            .await
            .map_err(map_err)?;
        c.execute(
            &stmt,
            &[
                &row.id,
                &tenant_id,
                &row.catalog_id,
                &row.name,
                &config,
                &auth,
                &tags,
                &row.now,
                &row.actor_id,
                &row.actor_name,
                &audit.id,
                &audit.actor_id,
                &audit.actor_name,
                &audit.action,
                &changes,
                &audit.created_at,
                &row.secret_states,
            ],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn connector_get(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
    ) -> StoreResult<Option<ConnectorRow>> {
        let c = self.client().await?;
        get_connector(&c, tenant_id, id).await
    }

    async fn connector_list(
        &self,
        tenant_id: &TenantId,
        filter: &ConnectorFilter,
    ) -> StoreResult<Vec<ConnectorRow>> {
        let (sql, args) = connector_list_query(tenant_id.as_str(), filter);
        let params: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .map(|a| a as &(dyn ToSql + Sync))
            .chain(std::iter::once(&filter.limit as &(dyn ToSql + Sync)))
            .collect();
        let c = self.client().await?;
        let stmt = c.prepare_cached(&sql).await.map_err(map_err)?;
        let rows = c.query(&stmt, &params).await.map_err(map_err)?;
        rows.iter().map(connector_from_row).collect()
    }

    async fn publish_targets(
        &self,
        tenant_id: &TenantId,
        catalog_ids: &[String],
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PublishTargetRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(&format!(
                "SELECT c.id, c.name, c.catalog_id, cat.key
                 FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id
                 WHERE c.tenant_id = $1 AND c.status = 'active'
                   AND c.catalog_id = ANY($2::text[])
                   AND ($3::text IS NULL OR {PAGE_ORDER} > $3)
                 ORDER BY {PAGE_ORDER} LIMIT $4"
            ))
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&tenant_id, &catalog_ids, &after_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(PublishTargetRow {
                    id: col(r, 0)?,
                    name: col(r, 1)?,
                    catalog_id: col(r, 2)?,
                    catalog_key: col(r, 3)?,
                })
            })
            .collect()
    }

    async fn connector_update(
        &self,
        tenant_id: &TenantId,
        u: &ConnectorUpdate,
        audit: &AuditWrite,
    ) -> StoreResult<UpdateOutcome> {
        let config = json_param("connector config", &u.config)?;
        let (auth, expected_auth) = match &u.auth {
            Some(a) => (
                Some(json_param("connector auth", &a.sealed)?),
                Some(json_param("connector auth", &a.expected)?),
            ),
            None => (None, None),
        };
        let states = u.auth.as_ref().map(|a| a.states.as_str());
        let tags = json_param("connector tags", &u.tags)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let stmt = tx
            .prepare_cached(
                "UPDATE connectors SET name = $4, status = $5, status_message = $6, config = $7,
                    auth = COALESCE($8::jsonb, auth), secret_states = COALESCE($14, secret_states),
                    tags = $9, version = version + 1,
                    updated_at = $10, updated_by = $11, updated_by_name = $12, check_error = false
                 WHERE tenant_id = $1 AND id = $2 AND version = $3
                   AND ($13::jsonb IS NULL OR auth = $13::jsonb)",
            )
            .await
            .map_err(map_err)?;
        let n = tx
            .execute(
                &stmt,
                &[
                    &tenant_id,
                    &u.id,
                    &u.expected_version,
                    &u.name,
                    &u.status,
                    &u.status_message,
                    &config,
                    &auth,
                    &tags,
                    &u.now,
                    &u.actor_id,
                    &u.actor_name,
                    &expected_auth,
                    &states,
                ],
            )
            .await
            .map_err(map_err)?;
        if n == 0 {
            let row = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM connectors WHERE tenant_id = $1 AND id = $2)",
                    &[&tenant_id, &u.id],
                )
                .await
                .map_err(map_err)?;
            let exists: bool = col(&row, 0)?;
            tx.rollback().await.map_err(map_err)?;
            return Ok(update_missed(exists));
        }
        insert_audit(&tx, tenant_id, audit).await?;
        let updated = get_connector(&tx, tenant_id, &u.id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(match updated {
            Some(row) => UpdateOutcome::Updated(Box::new(row)),
            None => UpdateOutcome::NotFound,
        })
    }

    async fn connector_sealed(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
    ) -> StoreResult<Option<SealedSecrets>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT auth::text, secret_states FROM connectors WHERE tenant_id = $1 AND id = $2",
            )
            .await
            .map_err(map_err)?;
        c.query_opt(&stmt, &[&tenant_id, &id])
            .await
            .map_err(map_err)?
            .map(|r| {
                Ok(SealedSecrets {
                    auth: col(&r, 0)?,
                    states: col(&r, 1)?,
                })
            })
            .transpose()
    }

    async fn connector_mark_unreadable(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        auth: &str,
        message: &str,
        audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let auth = json_param("connector auth", auth)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let n = tx
            .execute(
                "UPDATE connectors SET status = 'error', status_message = $4, check_error = false,
                    version = version + 1, updated_at = $5
                 WHERE tenant_id = $1 AND id = $2 AND auth = $3::jsonb
                   AND NOT (status = 'error' AND status_message IS NOT DISTINCT FROM $4)",
                &[&tenant_id, &id, &auth, &message, &audit.created_at],
            )
            .await
            .map_err(map_err)?;
        if n == 0 {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        insert_audit(&tx, tenant_id, audit).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn connector_delete(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let n = tx
            .execute(
                "DELETE FROM connectors WHERE tenant_id = $1 AND id = $2",
                &[&tenant_id, &id],
            )
            .await
            .map_err(map_err)?;
        if n == 0 {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        insert_audit(&tx, tenant_id, audit).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }
}
