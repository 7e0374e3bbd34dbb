//! A tenant's audit events on SQLite; written in the same transaction as
//! the change they record.

use super::connection::{map_err, parse_ts, ts};
use super::store::SqliteStore;
use crate::domain::ids::TenantId;
use crate::storage::error::StoreResult;
use crate::storage::rows::{AuditRow, AuditWrite};
use crate::storage::traits::AuditStore;
use async_trait::async_trait;
use rusqlite::{Connection, params};

pub(super) fn insert_audit(
    tx: &Connection,
    tenant_id: &TenantId,
    a: &AuditWrite,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO audit_events (id, tenant_id, connector_id, actor_id, actor_name, action, changes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(map_err)?
    .execute(params![
        a.id,
        tenant_id,
        a.connector_id,
        a.actor_id,
        a.actor_name,
        a.action,
        a.changes,
        ts(&a.created_at)
    ])
    .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit_insert(&self, tenant_id: &TenantId, audit: &AuditWrite) -> StoreResult<()> {
        let (tenant_id, audit) = (tenant_id.clone(), audit.clone());
        self.write(move |tx| insert_audit(tx, &tenant_id, &audit))
            .await
    }

    async fn audit_list(
        &self,
        tenant_id: &TenantId,
        connector_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        let tenant_id = tenant_id.clone();
        let connector_id = connector_id.map(str::to_string);
        let before_id = before_id.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, connector_id, actor_id, actor_name, action, changes, created_at
                     FROM audit_events
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR connector_id = ?2) AND (?3 IS NULL OR id < ?3)
                     ORDER BY id DESC LIMIT ?4",
                )
                .map_err(map_err)?;
            let raw = stmt
                .query_map(params![tenant_id, connector_id, before_id, limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raw.into_iter()
                .map(|(id, connector_id, actor_id, actor_name, action, changes, created)| {
                    Ok(AuditRow {
                        id,
                        connector_id,
                        actor_id,
                        actor_name,
                        action,
                        changes,
                        created_at: parse_ts(&created)?,
                    })
                })
                .collect()
        })
        .await
    }
}
