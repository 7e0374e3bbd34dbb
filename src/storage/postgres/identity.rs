//! Tenants, users, memberships and API tokens on PostgreSQL. Writes that
//! change what a token resolves to tell the change feed at once.

use super::change_feed::Changed;
use super::connection::{col, map_err};
use super::store::PgStore;
use crate::domain::identity::{AuthMethod, Principal, Role, Tenant, User};
use crate::domain::ids::TenantId;
use crate::domain::time;
use crate::storage::error::StoreResult;
use crate::storage::rows::{
    Bootstrap, LoginUser, MemberWrite, MembershipOutcome, NewTokenRow, RevokeOutcome, TokenRow,
};
use crate::storage::shared::{bad_scopes, parse_role};
use crate::storage::traits::IdentityStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use tokio_postgres::types::Json;
use uuid::Uuid;

/// Advisory lock key serialising `bootstrap` across replicas.
const BOOTSTRAP_LOCK: i64 = 7_261_002;

fn parse_scopes(v: serde_json::Value) -> StoreResult<Vec<String>> {
    serde_json::from_value(v).map_err(|_| bad_scopes())
}

fn tenant_from_row(r: &Row) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: col(r, 0)?,
        slug: col(r, 1)?,
        name: col(r, 2)?,
    })
}

fn user_from_row(r: &Row) -> StoreResult<User> {
    Ok(User {
        id: col(r, 0)?,
        email: col(r, 1)?,
        display_name: col(r, 2)?,
    })
}

async fn insert_user(
    tx: &Transaction<'_>,
    email: &str,
    display: &str,
    hash: Option<&str>,
) -> StoreResult<User> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO users (id, email, display_name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id, &email, &display, &hash, &time::now()],
    )
    .await
    .map_err(map_err)?;
    Ok(User {
        id,
        email: email.to_string(),
        display_name: display.to_string(),
    })
}

async fn insert_tenant(tx: &Transaction<'_>, slug: &str, name: &str) -> StoreResult<Tenant> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)",
        &[&id, &slug, &name, &time::now()],
    )
    .await
    .map_err(map_err)?;
    Ok(Tenant {
        id: super::super::ids::stored_tenant_id(id),
        slug: slug.to_string(),
        name: name.to_string(),
    })
}

impl PgStore {
    async fn read_token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, t.scopes
                 FROM api_tokens t
                 JOIN users u ON u.id = t.user_id
                 JOIN memberships m ON m.user_id = t.user_id AND m.tenant_id = t.tenant_id
                 JOIN tenants te ON te.id = t.tenant_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            )
            .await
            .map_err(map_err)?;
        let row = c.query_opt(&stmt, &[&token_hash]).await.map_err(map_err)?;
        row.map(|r| {
            Ok(Principal {
                user_id: col(&r, 0)?,
                email: col(&r, 1)?,
                display_name: col(&r, 2)?,
                tenant_id: col(&r, 3)?,
                tenant_slug: col(&r, 4)?,
                role: parse_role(&col::<String>(&r, 5)?)?,
                scopes: parse_scopes(col(&r, 6)?)?,
                via: AuthMethod::Token,
            })
        })
        .transpose()
    }
}

#[async_trait]
impl IdentityStore for PgStore {
    async fn has_users(&self) -> StoreResult<bool> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT EXISTS (SELECT 1 FROM users)", &[])
            .await
            .map_err(map_err)?;
        col(&row, 0)
    }

    async fn bootstrap_password_in_use(&self) -> StoreResult<bool> {
        let c = self.client().await?;
        let row = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM users WHERE bootstrap_password)",
                &[],
            )
            .await
            .map_err(map_err)?;
        col(&row, 0)
    }

    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])
            .await
            .map_err(map_err)?;
        let row = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM users)", &[])
            .await
            .map_err(map_err)?;
        if col::<bool>(&row, 0)? {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        let existing = tx
            .query_opt(
                "SELECT id, slug, name FROM tenants WHERE slug = $1",
                &[&b.tenant_slug],
            )
            .await
            .map_err(map_err)?;
        let tenant = match existing {
            Some(r) => tenant_from_row(&r)?,
            None => insert_tenant(&tx, &b.tenant_slug, &b.tenant_name).await?,
        };
        let user = insert_user(&tx, &b.email, &b.display_name, Some(&b.password_hash)).await?;
        tx.execute(
            "UPDATE users SET bootstrap_password = TRUE WHERE id = $1",
            &[&user.id],
        )
        .await
        .map_err(map_err)?;
        tx.execute(
            "INSERT INTO memberships (tenant_id, user_id, role, created_at)
             VALUES ($1, $2, 'owner', $3)",
            &[&tenant.id, &user.id, &time::now()],
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn tenant_create(&self, slug: &str, name: &str) -> StoreResult<Tenant> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let tenant = insert_tenant(&tx, slug, name).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(tenant)
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>> {
        let c = self.client().await?;
        c.query_opt(
            "SELECT id, slug, name FROM tenants WHERE slug = $1",
            &[&slug],
        )
        .await
        .map_err(map_err)?
        .as_ref()
        .map(tenant_from_row)
        .transpose()
    }

    async fn member_upsert(
        &self,
        tenant_id: &TenantId,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
    ) -> StoreResult<MemberWrite> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let existing = tx
            .query_opt(
                "SELECT id, email, display_name FROM users WHERE email = $1 FOR UPDATE",
                &[&email],
            )
            .await
            .map_err(map_err)?;
        let (user, user_created) = match existing {
            Some(r) => {
                let u = user_from_row(&r)?;
                if let Some(h) = password_hash {
                    tx.execute(
                        "UPDATE users SET password_hash = $2, bootstrap_password = FALSE WHERE id = $1",
                        &[&u.id, &h],
                    )
                    .await
                    .map_err(map_err)?;
                    tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&u.id])
                        .await
                        .map_err(map_err)?;
                }
                (u, false)
            }
            None => (
                insert_user(&tx, email, display_name, password_hash).await?,
                true,
            ),
        };
        let current = tx
            .query_opt(
                "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE",
                &[&tenant_id, &user.id],
            )
            .await
            .map_err(map_err)?;
        let membership = match current {
            Some(r) if col::<String>(&r, 0)? == role.as_str() => MembershipOutcome::Unchanged,
            Some(_) => {
                tx.execute(
                    "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
                    &[&tenant_id, &user.id, &role.as_str()],
                )
                .await
                .map_err(map_err)?;
                tx.execute(
                    "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
                    &[&tenant_id, &user.id],
                )
                .await
                .map_err(map_err)?;
                MembershipOutcome::RoleChanged
            }
            None => {
                tx.execute(
                    "INSERT INTO memberships (tenant_id, user_id, role, created_at)
                     VALUES ($1, $2, $3, $4)",
                    &[&tenant_id, &user.id, &role.as_str(), &time::now()],
                )
                .await
                .map_err(map_err)?;
                MembershipOutcome::Added
            }
        };
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Auth));
        Ok(MemberWrite {
            user,
            user_created,
            password_set: password_hash.is_some(),
            membership,
        })
    }

    async fn member_by_email(
        &self,
        tenant_id: &TenantId,
        email: &str,
    ) -> StoreResult<Option<(User, Role)>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT u.id, u.email, u.display_name, m.role FROM users u
                 JOIN memberships m ON m.user_id = u.id
                 WHERE m.tenant_id = $1 AND u.email = $2",
                &[&tenant_id, &email],
            )
            .await
            .map_err(map_err)?;
        row.map(|r| Ok((user_from_row(&r)?, parse_role(&col::<String>(&r, 3)?)?)))
            .transpose()
    }

    async fn member_remove(&self, tenant_id: &TenantId, email: &str) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let removed = tx
            .execute(
                "DELETE FROM memberships WHERE tenant_id = $1
                 AND user_id = (SELECT id FROM users WHERE email = $2)",
                &[&tenant_id, &email],
            )
            .await
            .map_err(map_err)?;
        tx.execute(
            "DELETE FROM sessions WHERE tenant_id = $1
             AND user_id = (SELECT id FROM users WHERE email = $2)",
            &[&tenant_id, &email],
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Auth));
        Ok(removed == 1)
    }

    async fn token_insert(&self, t: &NewTokenRow) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, scopes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &t.id,
                &t.tenant_id,
                &t.user_id,
                &t.name,
                &t.token_hash,
                &Json(&t.scopes),
                &time::now(),
            ],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn token_list(&self, tenant_id: &TenantId) -> StoreResult<Vec<TokenRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT t.id, t.name, u.email, t.scopes, t.created_at, t.revoked_at
                 FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.tenant_id = $1 ORDER BY t.created_at, t.id COLLATE \"C\"",
                &[&tenant_id],
            )
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    id: col(r, 0)?,
                    name: col(r, 1)?,
                    user_email: col(r, 2)?,
                    scopes: parse_scopes(col(r, 3)?)?,
                    created_at: col(r, 4)?,
                    revoked_at: col(r, 5)?,
                })
            })
            .collect()
    }

    async fn token_revoke(&self, token_id: &str) -> StoreResult<RevokeOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let row = tx
            .query_opt(
                "SELECT revoked_at FROM api_tokens WHERE id = $1 FOR UPDATE",
                &[&token_id],
            )
            .await
            .map_err(map_err)?;
        let revoked: Option<Option<DateTime<Utc>>> = row.map(|r| col(&r, 0)).transpose()?;
        let outcome = match revoked {
            None => RevokeOutcome::NotFound,
            Some(Some(_)) => RevokeOutcome::AlreadyRevoked,
            Some(None) => {
                tx.execute(
                    "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1",
                    &[&token_id, &time::now()],
                )
                .await
                .map_err(map_err)?;
                RevokeOutcome::Revoked
            }
        };
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Auth));
        Ok(outcome)
    }

    async fn token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        if let Some(p) = self.feed.principal(token_hash) {
            return Ok(Some(p));
        }
        let ticket = self.feed.ticket();
        let found = self.read_token_principal(token_hash).await?;
        if let Some(p) = &found {
            self.feed.remember_principal(ticket, token_hash, p);
        }
        Ok(found)
    }

    async fn login_user(&self, email: &str) -> StoreResult<Option<LoginUser>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, email, display_name, password_hash FROM users WHERE email = $1",
            )
            .await
            .map_err(map_err)?;
        let row = c.query_opt(&stmt, &[&email]).await.map_err(map_err)?;
        row.map(|r| {
            Ok(LoginUser {
                user: user_from_row(&r)?,
                password_hash: col(&r, 3)?,
            })
        })
        .transpose()
    }

    async fn user_tenants(&self, user_id: &str) -> StoreResult<Vec<(Tenant, Role)>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT t.id, t.slug, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
                 WHERE m.user_id = $1 ORDER BY t.slug COLLATE \"C\"",
            )
            .await
            .map_err(map_err)?;
        let rows = c.query(&stmt, &[&user_id]).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((tenant_from_row(r)?, parse_role(&col::<String>(r, 3)?)?)))
            .collect()
    }
}
