//! Connection check results and the re-check schedule on SQLite. One
//! writer connection serialises the claims, so a due connector is handed
//! to one caller only.

use super::audit::insert_audit;
use super::connection::{map_err, ts};
use super::store::SqliteStore;
use crate::domain::ids::{ConnectorId, TenantId};
use crate::storage::error::StoreResult;
use crate::storage::rows::{AuditWrite, CheckRecord, CheckTransition, DueCheck};
use crate::storage::traits::CheckStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rand::Rng;
use rusqlite::params;

#[async_trait]
impl CheckStore for SqliteStore {
    async fn connector_record_check(
        &self,
        tenant_id: &TenantId,
        record: &CheckRecord,
        audit: &AuditWrite,
        status_audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let (tenant_id, r) = (tenant_id.clone(), record.clone());
        let (audit, status_audit) = (audit.clone(), status_audit.clone());
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE connectors SET last_check = ?3, next_check_at = COALESCE(?4, next_check_at)
                     WHERE tenant_id = ?1 AND id = ?2",
                )
                .map_err(map_err)?
                .execute(params![
                    tenant_id,
                    r.id,
                    r.last_check,
                    r.next_check_at.as_ref().map(ts)
                ])
                .map_err(map_err)?;
            if n == 0 {
                return Ok(false);
            }
            insert_audit(tx, &tenant_id, &audit)?;
            let moved = match &r.transition {
                None => 0,
                Some(CheckTransition::Fail { message }) => tx
                    .prepare_cached(
                        "UPDATE connectors SET status = 'error', status_message = ?3, check_error = 1,
                            version = version + 1, updated_at = ?4
                         WHERE tenant_id = ?1 AND id = ?2 AND status = 'active'",
                    )
                    .map_err(map_err)?
                    .execute(params![tenant_id, r.id, message, ts(&r.now)])
                    .map_err(map_err)?,
                Some(CheckTransition::Recover) => tx
                    .prepare_cached(
                        "UPDATE connectors SET status = 'active', status_message = NULL, check_error = 0,
                            version = version + 1, updated_at = ?3
                         WHERE tenant_id = ?1 AND id = ?2 AND status = 'error' AND check_error = 1",
                    )
                    .map_err(map_err)?
                    .execute(params![tenant_id, r.id, ts(&r.now)])
                    .map_err(map_err)?,
            };
            if moved > 0 {
                insert_audit(tx, &tenant_id, &status_audit)?;
            }
            Ok(moved > 0)
        })
        .await
    }

    async fn connector_defer_check(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (tenant_id, id) = (tenant_id.clone(), id.clone());
        self.write(move |tx| {
            tx.prepare_cached(
                "UPDATE connectors SET next_check_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
            )
            .map_err(map_err)?
            .execute(params![tenant_id, id, ts(&at)])
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn checks_claim_due(
        &self,
        now: DateTime<Utc>,
        next_at: DateTime<Utc>,
        jitter_secs: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueCheck>> {
        self.write(move |tx| {
            let due: Vec<DueCheck> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT id, tenant_id FROM connectors
                         WHERE (status = 'active' OR (status = 'error' AND check_error = 1))
                           AND (next_check_at IS NULL OR next_check_at <= ?1)
                         ORDER BY next_check_at LIMIT ?2",
                    )
                    .map_err(map_err)?;
                stmt.query_map(params![ts(&now), limit], |r| {
                    Ok(DueCheck {
                        id: r.get(0)?,
                        tenant_id: r.get(1)?,
                    })
                })
                .map_err(map_err)?
                .collect::<Result<_, _>>()
                .map_err(map_err)?
            };
            let mut rng = rand::thread_rng();
            for d in &due {
                let jitter = if jitter_secs > 0 {
                    rng.gen_range(0..=jitter_secs)
                } else {
                    0
                };
                let at = next_at + chrono::Duration::seconds(jitter);
                tx.prepare_cached("UPDATE connectors SET next_check_at = ?2 WHERE id = ?1")
                    .map_err(map_err)?
                    .execute(params![d.id, ts(&at)])
                    .map_err(map_err)?;
            }
            Ok(due)
        })
        .await
    }
}
