//! Browser sessions and the sign-in throttle on SQLite. The single writer
//! connection runs one transaction at a time, which is what serialises
//! attempt reservations.

use super::connection::{map_err, parse_ts, ts};
use super::store::SqliteStore;
use crate::domain::identity::{AuthMethod, Principal};
use crate::domain::ids::TenantId;
use crate::storage::error::StoreResult;
use crate::storage::rows::{LoginLimit, SessionRow, SessionWrite};
use crate::storage::shared::parse_role;
use crate::storage::traits::SessionStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn session_insert(&self, s: &SessionWrite) -> StoreResult<()> {
        let s = s.clone();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                [ts(&s.now)],
            )
            .map_err(map_err)?;
            tx.execute(
                "INSERT INTO sessions (id_hash, user_id, tenant_id, created_at, last_seen_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![s.id_hash, s.user_id, s.tenant_id, ts(&s.now), ts(&s.expires_at)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn session_get(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>> {
        let id_hash = id_hash.to_string();
        self.inline(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, s.last_seen_at
                     FROM sessions s
                     JOIN users u ON u.id = s.user_id
                     JOIN memberships m ON m.user_id = s.user_id AND m.tenant_id = s.tenant_id
                     JOIN tenants te ON te.id = s.tenant_id
                     WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3",
                )
                .map_err(map_err)?;
            let row = stmt
                .query_row(params![id_hash, ts(&now), ts(&idle_cutoff)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .optional()
                .map_err(map_err)?;
            row.map(|(uid, email, display, tid, slug, role, seen)| {
                Ok(SessionRow {
                    principal: Principal {
                        user_id: uid,
                        email,
                        display_name: display,
                        tenant_id: super::super::ids::stored_tenant_id(tid),
                        tenant_slug: slug,
                        role: parse_role(&role)?,
                        scopes: Vec::new(),
                        via: AuthMethod::Session,
                    },
                    last_seen_at: parse_ts(&seen)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn session_touch(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let id_hash = id_hash.to_string();
        self.write(move |tx| {
            tx.execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
                params![id_hash, ts(&now)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn session_set_tenant(&self, id_hash: &str, tenant_id: &TenantId) -> StoreResult<()> {
        let (id_hash, tenant_id) = (id_hash.to_string(), tenant_id.clone());
        self.write(move |tx| {
            tx.execute(
                "UPDATE sessions SET tenant_id = ?2 WHERE id_hash = ?1",
                params![id_hash, tenant_id],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn session_delete(&self, id_hash: &str) -> StoreResult<()> {
        let id_hash = id_hash.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [&id_hash])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn login_attempt_reserve(
        &self,
        limits: &[LoginLimit],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<i64>>> {
        let limits = limits.to_vec();
        // The single writer connection runs one transaction at a time, so
        // the counts and the inserts cannot interleave with another
        // reservation's.
        self.write(move |tx| {
            for l in &limits {
                let count: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM login_failures WHERE subject = ?1 AND failed_at > ?2",
                        params![l.subject, ts(&since)],
                        |r| r.get(0),
                    )
                    .map_err(map_err)?;
                if count >= l.max {
                    return Ok(None);
                }
            }
            let mut ids = Vec::with_capacity(limits.len());
            for l in &limits {
                tx.execute(
                    "INSERT INTO login_failures (subject, failed_at) VALUES (?1, ?2)",
                    params![l.subject, ts(&now)],
                )
                .map_err(map_err)?;
                ids.push(tx.last_insert_rowid());
            }
            Ok(Some(ids))
        })
        .await
    }

    async fn login_attempt_release(&self, ids: &[i64]) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.write(move |tx| {
            for id in &ids {
                tx.execute("DELETE FROM login_failures WHERE id = ?1", [id])
                    .map_err(map_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn login_failure_clear(&self, subject: &str, before: DateTime<Utc>) -> StoreResult<()> {
        let subject = subject.to_string();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM login_failures WHERE subject = ?1 OR failed_at < ?2",
                params![subject, ts(&before)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
