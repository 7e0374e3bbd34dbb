//! A tenant's audit events on PostgreSQL; written in the same transaction
//! (or statement) as the change they record.

use super::connection::{col, json_param, map_err};
use super::store::PgStore;
use crate::domain::ids::TenantId;
use crate::storage::error::StoreResult;
use crate::storage::rows::{AuditRow, AuditWrite};
use crate::storage::traits::AuditStore;
use async_trait::async_trait;
use deadpool_postgres::GenericClient;

pub(super) async fn insert_audit<C: GenericClient>(
    c: &C,
    tenant_id: &TenantId,
    a: &AuditWrite,
) -> StoreResult<()> {
    let changes = json_param("audit changes", &a.changes)?;
    let stmt = c
        .prepare_cached(
            "INSERT INTO audit_events (id, tenant_id, connector_id, actor_id, actor_name, action,
                changes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(map_err)?;
    c.execute(
        &stmt,
        &[
            &a.id,
            &tenant_id,
            &a.connector_id,
            &a.actor_id,
            &a.actor_name,
            &a.action,
            &changes,
            &a.created_at,
        ],
    )
    .await
    .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl AuditStore for PgStore {
    async fn audit_insert(&self, tenant_id: &TenantId, audit: &AuditWrite) -> StoreResult<()> {
        let c = self.client().await?;
        insert_audit(&c, tenant_id, audit).await
    }

    async fn audit_list(
        &self,
        tenant_id: &TenantId,
        connector_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, connector_id, actor_id, actor_name, action, changes::text, created_at
                 FROM audit_events
                 WHERE tenant_id = $1 AND ($2::text IS NULL OR connector_id = $2)
                   AND ($3::text IS NULL OR id COLLATE \"C\" < $3)
                 ORDER BY id COLLATE \"C\" DESC LIMIT $4",
            )
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&tenant_id, &connector_id, &before_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: col(r, 0)?,
                    connector_id: col(r, 1)?,
                    actor_id: col(r, 2)?,
                    actor_name: col(r, 3)?,
                    action: col(r, 4)?,
                    changes: col(r, 5)?,
                    created_at: col(r, 6)?,
                })
            })
            .collect()
    }
}
