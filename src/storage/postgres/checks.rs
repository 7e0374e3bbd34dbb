//! Connection check results and the re-check schedule on PostgreSQL. A
//! claim takes due rows with `FOR UPDATE SKIP LOCKED` and moves their due
//! time in the same statement, so replicas sharing the database never
//! claim the same connector for the same interval.

use super::audit::insert_audit;
use super::connection::map_err;
use super::store::PgStore;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::storage::error::StoreResult;
use crate::storage::rows::{AuditWrite, CheckRecord, CheckTransition, DueCheck};
use crate::storage::traits::CheckStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl CheckStore for PgStore {
    async fn connector_record_check(
        &self,
        tenant_id: &TenantId,
        r: &CheckRecord,
        audit: &AuditWrite,
        status_audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let n = tx
            .execute(
                "UPDATE connectors SET last_check = $3, next_check_at = COALESCE($4, next_check_at)
                 WHERE tenant_id = $1 AND id = $2",
                &[&tenant_id, &r.id, &r.last_check, &r.next_check_at],
            )
            .await
            .map_err(map_err)?;
        if n == 0 {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        insert_audit(&tx, tenant_id, audit).await?;
        let moved = match &r.transition {
            None => 0,
            Some(CheckTransition::Fail { message }) => tx
                .execute(
                    "UPDATE connectors SET status = 'error', status_message = $3, check_error = true,
                        version = version + 1, updated_at = $4
                     WHERE tenant_id = $1 AND id = $2 AND status = 'active'",
                    &[&tenant_id, &r.id, message, &r.now],
                )
                .await
                .map_err(map_err)?,
            Some(CheckTransition::Recover) => tx
                .execute(
                    "UPDATE connectors SET status = 'active', status_message = NULL, check_error = false,
                        version = version + 1, updated_at = $3
                     WHERE tenant_id = $1 AND id = $2 AND status = 'error' AND check_error",
                    &[&tenant_id, &r.id, &r.now],
                )
                .await
                .map_err(map_err)?,
        };
        if moved > 0 {
            insert_audit(&tx, tenant_id, status_audit).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(moved > 0)
    }

    async fn connector_defer_check(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE connectors SET next_check_at = $3 WHERE tenant_id = $1 AND id = $2",
            &[&tenant_id, &id, &at],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn checks_claim_due(
        &self,
        now: DateTime<Utc>,
        next_at: DateTime<Utc>,
        jitter_secs: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueCheck>> {
        let c = self.client().await?;
        let jitter = jitter_secs as f64;
        let rows = c
            .query(
                "UPDATE connectors
                 SET next_check_at = $2::timestamptz + random() * $3::float8 * interval '1 second'
                 WHERE id IN (
                     SELECT id FROM connectors
                     WHERE (status = 'active' OR (status = 'error' AND check_error))
                       AND (next_check_at IS NULL OR next_check_at <= $1::timestamptz)
                     ORDER BY next_check_at NULLS FIRST
                     LIMIT $4
                     FOR UPDATE SKIP LOCKED)
                 RETURNING id, tenant_id",
                &[&now, &next_at, &jitter, &limit],
            )
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(DueCheck {
                    id: r.try_get(0).map_err(map_err)?,
                    tenant_id: r.try_get(1).map_err(map_err)?,
                })
            })
            .collect()
    }
}
