//! Tenants, users, memberships and API tokens on SQLite.

use super::connection::{map_err, parse_ts, ts};
use super::store::SqliteStore;
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
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

fn parse_scopes(s: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(s).map_err(|_| bad_scopes())
}

fn tenant_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tenant> {
    Ok(Tenant {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
    })
}

fn insert_user(
    tx: &Connection,
    email: &str,
    display: &str,
    hash: Option<&str>,
) -> StoreResult<User> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, email, display, hash, ts(&time::now())],
    )
    .map_err(map_err)?;
    Ok(User {
        id,
        email: email.to_string(),
        display_name: display.to_string(),
    })
}

fn insert_tenant(tx: &Connection, slug: &str, name: &str) -> StoreResult<Tenant> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO tenants (id, slug, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, slug, name, ts(&time::now())],
    )
    .map_err(map_err)?;
    Ok(Tenant {
        id: super::super::ids::stored_tenant_id(id),
        slug: slug.to_string(),
        name: name.to_string(),
    })
}

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn has_users(&self) -> StoreResult<bool> {
        self.read(|c| {
            c.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))
                .map_err(map_err)
        })
        .await
    }

    async fn bootstrap_password_in_use(&self) -> StoreResult<bool> {
        self.read(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE bootstrap_password = 1)",
                [],
                |r| r.get(0),
            )
            .map_err(map_err)
        })
        .await
    }

    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<bool> {
        let b = b.clone();
        self.write(move |tx| {
            let any: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))
                .map_err(map_err)?;
            if any {
                return Ok(false);
            }
            let tenant = match tx
                .query_row(
                    "SELECT id, slug, name FROM tenants WHERE slug = ?1",
                    [&b.tenant_slug],
                    tenant_from_row,
                )
                .optional()
                .map_err(map_err)?
            {
                Some(t) => t,
                None => insert_tenant(tx, &b.tenant_slug, &b.tenant_name)?,
            };
            let user = insert_user(tx, &b.email, &b.display_name, Some(&b.password_hash))?;
            tx.execute(
                "UPDATE users SET bootstrap_password = 1 WHERE id = ?1",
                [&user.id],
            )
            .map_err(map_err)?;
            tx.execute(
                "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
                params![tenant.id, user.id, ts(&time::now())],
            )
            .map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn tenant_create(&self, slug: &str, name: &str) -> StoreResult<Tenant> {
        let (slug, name) = (slug.to_string(), name.to_string());
        self.write(move |tx| insert_tenant(tx, &slug, &name)).await
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>> {
        let slug = slug.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, slug, name FROM tenants WHERE slug = ?1",
                [&slug],
                tenant_from_row,
            )
            .optional()
            .map_err(map_err)
        })
        .await
    }

    async fn member_upsert(
        &self,
        tenant_id: &TenantId,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
    ) -> StoreResult<MemberWrite> {
        let (tenant_id, email, display) = (
            tenant_id.to_string(),
            email.to_string(),
            display_name.to_string(),
        );
        let hash = password_hash.map(str::to_string);
        self.write(move |tx| {
            let existing: Option<User> = tx
                .query_row(
                    "SELECT id, email, display_name FROM users WHERE email = ?1",
                    [&email],
                    |r| {
                        Ok(User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                            display_name: r.get(2)?,
                        })
                    },
                )
                .optional()
                .map_err(map_err)?;
            let (user, user_created) = match existing {
                Some(u) => {
                    if let Some(h) = &hash {
                        tx.execute(
                            "UPDATE users SET password_hash = ?2, bootstrap_password = 0 WHERE id = ?1",
                            params![u.id, h],
                        )
                        .map_err(map_err)?;
                        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&u.id])
                            .map_err(map_err)?;
                    }
                    (u, false)
                }
                None => (insert_user(tx, &email, &display, hash.as_deref())?, true),
            };
            let current: Option<String> = tx
                .query_row(
                    "SELECT role FROM memberships WHERE tenant_id = ?1 AND user_id = ?2",
                    params![tenant_id, user.id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            let membership = match current {
                Some(r) if r == role.as_str() => MembershipOutcome::Unchanged,
                Some(_) => {
                    tx.execute(
                        "UPDATE memberships SET role = ?3 WHERE tenant_id = ?1 AND user_id = ?2",
                        params![tenant_id, user.id, role.as_str()],
                    )
                    .map_err(map_err)?;
                    tx.execute(
                        "DELETE FROM sessions WHERE tenant_id = ?1 AND user_id = ?2",
                        params![tenant_id, user.id],
                    )
                    .map_err(map_err)?;
                    MembershipOutcome::RoleChanged
                }
                None => {
                    tx.execute(
                        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![tenant_id, user.id, role.as_str(), ts(&time::now())],
                    )
                    .map_err(map_err)?;
                    MembershipOutcome::Added
                }
            };
            Ok(MemberWrite {
                user,
                user_created,
                password_set: hash.is_some(),
                membership,
            })
        })
        .await
    }

    async fn member_by_email(
        &self,
        tenant_id: &TenantId,
        email: &str,
    ) -> StoreResult<Option<(User, Role)>> {
        let (tenant_id, email) = (tenant_id.clone(), email.to_string());
        self.read(move |c| {
            let row: Option<(User, String)> = c
                .query_row(
                    "SELECT u.id, u.email, u.display_name, m.role FROM users u
                     JOIN memberships m ON m.user_id = u.id
                     WHERE m.tenant_id = ?1 AND u.email = ?2",
                    params![tenant_id, email],
                    |r| {
                        Ok((
                            User {
                                id: r.get(0)?,
                                email: r.get(1)?,
                                display_name: r.get(2)?,
                            },
                            r.get(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(map_err)?;
            row.map(|(u, r)| Ok((u, parse_role(&r)?))).transpose()
        })
        .await
    }

    async fn member_remove(&self, tenant_id: &TenantId, email: &str) -> StoreResult<bool> {
        let (tenant_id, email) = (tenant_id.clone(), email.to_string());
        self.write(move |tx| {
            let removed = tx
                .execute(
                    "DELETE FROM memberships WHERE tenant_id = ?1
                     AND user_id = (SELECT id FROM users WHERE email = ?2)",
                    params![tenant_id, email],
                )
                .map_err(map_err)?;
            tx.execute(
                "DELETE FROM sessions WHERE tenant_id = ?1
                 AND user_id = (SELECT id FROM users WHERE email = ?2)",
                params![tenant_id, email],
            )
            .map_err(map_err)?;
            Ok(removed == 1)
        })
        .await
    }

    async fn token_insert(&self, t: &NewTokenRow) -> StoreResult<()> {
        let t = t.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, scopes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.id,
                    t.tenant_id,
                    t.user_id,
                    t.name,
                    t.token_hash,
                    serde_json::to_string(&t.scopes).unwrap_or_else(|_| "[]".into()),
                    ts(&time::now())
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn token_list(&self, tenant_id: &TenantId) -> StoreResult<Vec<TokenRow>> {
        let tenant_id = tenant_id.clone();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT t.id, t.name, u.email, t.scopes, t.created_at, t.revoked_at
                     FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.tenant_id = ?1 ORDER BY t.created_at, t.id",
                )
                .map_err(map_err)?;
            let raw = stmt
                .query_map([&tenant_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raw.into_iter()
                .map(|(id, name, email, scopes, created, revoked)| {
                    Ok(TokenRow {
                        id,
                        name,
                        user_email: email,
                        scopes: parse_scopes(&scopes)?,
                        created_at: parse_ts(&created)?,
                        revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn token_revoke(&self, token_id: &str) -> StoreResult<RevokeOutcome> {
        let id = token_id.to_string();
        self.write(move |tx| {
            let revoked: Option<Option<String>> = tx
                .query_row(
                    "SELECT revoked_at FROM api_tokens WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            match revoked {
                None => Ok(RevokeOutcome::NotFound),
                Some(Some(_)) => Ok(RevokeOutcome::AlreadyRevoked),
                Some(None) => {
                    tx.execute(
                        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1",
                        params![id, ts(&time::now())],
                    )
                    .map_err(map_err)?;
                    Ok(RevokeOutcome::Revoked)
                }
            }
        })
        .await
    }

    async fn token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        let hash = token_hash.to_string();
        self.inline(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, t.scopes
                     FROM api_tokens t
                     JOIN users u ON u.id = t.user_id
                     JOIN memberships m ON m.user_id = t.user_id AND m.tenant_id = t.tenant_id
                     JOIN tenants te ON te.id = t.tenant_id
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
                )
                .map_err(map_err)?;
            let row = stmt
                .query_row([&hash], |r| {
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
            row.map(|(uid, email, display, tid, slug, role, scopes)| {
                Ok(Principal {
                    user_id: uid,
                    email,
                    display_name: display,
                    tenant_id: super::super::ids::stored_tenant_id(tid),
                    tenant_slug: slug,
                    role: parse_role(&role)?,
                    scopes: parse_scopes(&scopes)?,
                    via: AuthMethod::Token,
                })
            })
            .transpose()
        })
        .await
    }

    async fn login_user(&self, email: &str) -> StoreResult<Option<LoginUser>> {
        let email = email.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, email, display_name, password_hash FROM users WHERE email = ?1",
                [&email],
                |r| {
                    Ok(LoginUser {
                        user: User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                            display_name: r.get(2)?,
                        },
                        password_hash: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(map_err)
        })
        .await
    }

    async fn user_tenants(&self, user_id: &str) -> StoreResult<Vec<(Tenant, Role)>> {
        let user_id = user_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT t.id, t.slug, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
                     WHERE m.user_id = ?1 ORDER BY t.slug",
                )
                .map_err(map_err)?;
            let raw = stmt
                .query_map([&user_id], |r| Ok((tenant_from_row(r)?, r.get::<_, String>(3)?)))
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raw.into_iter()
                .map(|(t, role)| Ok((t, parse_role(&role)?)))
                .collect()
        })
        .await
    }
}
