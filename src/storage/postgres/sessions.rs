//! Browser sessions and the sign-in throttle on PostgreSQL; reservations
//! for the same subject are serialised across replicas by advisory locks.

use super::connection::{col, map_err};
use super::store::PgStore;
use crate::domain::identity::{AuthMethod, Principal};
use crate::domain::ids::TenantId;
use crate::storage::error::StoreResult;
use crate::storage::rows::{LoginLimit, SessionRow, SessionWrite};
use crate::storage::shared::parse_role;
use crate::storage::traits::SessionStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl SessionStore for PgStore {
    async fn session_insert(&self, s: &SessionWrite) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        tx.execute("DELETE FROM sessions WHERE expires_at < $1", &[&s.now])
            .await
            .map_err(map_err)?;
        tx.execute(
            "INSERT INTO sessions (id_hash, user_id, tenant_id, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $4, $5)",
            &[&s.id_hash, &s.user_id, &s.tenant_id, &s.now, &s.expires_at],
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn session_get(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, s.last_seen_at
                 FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 JOIN memberships m ON m.user_id = s.user_id AND m.tenant_id = s.tenant_id
                 JOIN tenants te ON te.id = s.tenant_id
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            )
            .await
            .map_err(map_err)?;
        let row = c
            .query_opt(&stmt, &[&id_hash, &now, &idle_cutoff])
            .await
            .map_err(map_err)?;
        row.map(|r| {
            Ok(SessionRow {
                principal: Principal {
                    user_id: col(&r, 0)?,
                    email: col(&r, 1)?,
                    display_name: col(&r, 2)?,
                    tenant_id: col(&r, 3)?,
                    tenant_slug: col(&r, 4)?,
                    role: parse_role(&col::<String>(&r, 5)?)?,
                    scopes: Vec::new(),
                    via: AuthMethod::Session,
                },
                last_seen_at: col(&r, 6)?,
            })
        })
        .transpose()
    }

    async fn session_touch(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .await
            .map_err(map_err)?;
        c.execute(&stmt, &[&id_hash, &now]).await.map_err(map_err)?;
        Ok(())
    }

    async fn session_set_tenant(&self, id_hash: &str, tenant_id: &TenantId) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE sessions SET tenant_id = $2 WHERE id_hash = $1",
            &[&id_hash, &tenant_id],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn session_delete(&self, id_hash: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn login_attempt_reserve(
        &self,
        limits: &[LoginLimit],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<i64>>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        // A transaction-scoped advisory lock per subject, taken in one
        // order, serialises reservations for the same account or address
        // across every replica; the count then sees every earlier one.
        let mut subjects: Vec<&str> = limits.iter().map(|l| l.subject.as_str()).collect();
        subjects.sort_unstable();
        subjects.dedup();
        let lock = tx
            .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, 7401))")
            .await
            .map_err(map_err)?;
        for subject in subjects {
            tx.execute(&lock, &[&subject]).await.map_err(map_err)?;
        }
        let count = tx
            .prepare_cached(
                "SELECT COUNT(*) FROM login_failures WHERE subject = $1 AND failed_at > $2",
            )
            .await
            .map_err(map_err)?;
        for l in limits {
            let row = tx
                .query_one(&count, &[&l.subject, &since])
                .await
                .map_err(map_err)?;
            if col::<i64>(&row, 0)? >= l.max {
                tx.rollback().await.map_err(map_err)?;
                return Ok(None);
            }
        }
        let insert = tx
            .prepare_cached(
                "INSERT INTO login_failures (subject, failed_at) VALUES ($1, $2) RETURNING id",
            )
            .await
            .map_err(map_err)?;
        let mut ids = Vec::with_capacity(limits.len());
        for l in limits {
            let row = tx
                .query_one(&insert, &[&l.subject, &now])
                .await
                .map_err(map_err)?;
            ids.push(col::<i64>(&row, 0)?);
        }
        tx.commit().await.map_err(map_err)?;
        Ok(Some(ids))
    }

    async fn login_attempt_release(&self, ids: &[i64]) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM login_failures WHERE id = ANY($1)",
            &[&ids.to_vec()],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn login_failure_clear(&self, subject: &str, before: DateTime<Utc>) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM login_failures WHERE subject = $1 OR failed_at < $2",
            &[&subject, &before],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
