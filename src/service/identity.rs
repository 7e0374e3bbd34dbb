//! Tenants, users, memberships and API tokens: the operator commands and
//! bearer-token authentication.

use super::{ServiceError, ServiceResult};
use crate::domain::identity::{
    self, Principal, Role, Tenant, check_password_strength, hash_password, normalize_email,
    validate_slug,
};
use crate::storage::{
    Bootstrap, MemberWrite, NewTokenRow, RevokeOutcome, Store, StoreError, TokenRow,
};
use secrecy::SecretString;
use uuid::Uuid;

pub const BOOTSTRAP_TENANT: &str = "default";
pub const BOOTSTRAP_EMAIL: &str = "admin@localhost";

fn check_name(name: &str, what: &str) -> ServiceResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 255 {
        return Err(ServiceError::Invalid(format!(
            "{what} must be 1-255 characters"
        )));
    }
    Ok(n.to_string())
}

pub async fn create_tenant(
    store: &dyn Store,
    slug: &str,
    name: Option<&str>,
) -> ServiceResult<Tenant> {
    validate_slug(slug)?;
    let name = check_name(name.unwrap_or(slug), "tenant name")?;
    store.tenant_create(slug, &name).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("tenant '{slug}' already exists"))
        }
        other => other.into(),
    })
}

pub async fn tenant_by_slug(store: &dyn Store, slug: &str) -> ServiceResult<Tenant> {
    validate_slug(slug)?;
    store
        .tenant_by_slug(slug)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no tenant '{slug}'")))
}

/// Creates the user if new and adds (or changes) their membership. A new
/// password ends the user's sessions; a new role ends their sessions in
/// the tenant.
pub async fn add_member(
    store: &dyn Store,
    tenant_slug: &str,
    email: &str,
    role: Role,
    password: Option<&SecretString>,
) -> ServiceResult<MemberWrite> {
    let email = normalize_email(email)?;
    let hash = match password {
        Some(p) => {
            check_password_strength(p)?;
            Some(hash_password(p)?)
        }
        None => None,
    };
    let tenant = tenant_by_slug(store, tenant_slug).await?;
    let display = email.split('@').next().unwrap_or(&email).to_string();
    Ok(store
        .member_upsert(&tenant.id, &email, &display, hash.as_deref(), role)
        .await?)
}

/// Removes the user from the tenant; their sessions there end with it.
pub async fn remove_member(store: &dyn Store, tenant_slug: &str, email: &str) -> ServiceResult<()> {
    let email = normalize_email(email)?;
    let tenant = tenant_by_slug(store, tenant_slug).await?;
    if store.member_remove(&tenant.id, &email).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!(
            "{email} is not a member of tenant '{tenant_slug}'"
        )))
    }
}

/// A token just made: its id and the value to show once.
pub struct CreatedToken {
    pub id: String,
    pub value: SecretString,
}

pub async fn create_token(
    store: &dyn Store,
    tenant_slug: &str,
    email: &str,
    name: Option<&str>,
    scopes: &[String],
) -> ServiceResult<CreatedToken> {
    let email = normalize_email(email)?;
    let scopes = identity::parse_scopes(scopes)?;
    let name = check_name(name.unwrap_or("cli"), "token name")?;
    let tenant = tenant_by_slug(store, tenant_slug).await?;
    let (user, _role) = store
        .member_by_email(&tenant.id, &email)
        .await?
        .ok_or_else(|| {
            ServiceError::NotFound(format!("{email} is not a member of tenant '{tenant_slug}'"))
        })?;
    let token = identity::generate_token();
    let id = Uuid::new_v4().to_string();
    store
        .token_insert(&NewTokenRow {
            id: id.clone(),
            tenant_id: tenant.id,
            user_id: user.id,
            name,
            token_hash: token.hash,
            scopes,
        })
        .await?;
    Ok(CreatedToken {
        id,
        value: token.value,
    })
}

pub async fn list_tokens(store: &dyn Store, tenant_slug: &str) -> ServiceResult<Vec<TokenRow>> {
    let tenant = tenant_by_slug(store, tenant_slug).await?;
    Ok(store.token_list(&tenant.id).await?)
}

pub async fn revoke_token(store: &dyn Store, id: &str) -> ServiceResult<()> {
    if Uuid::parse_str(id).is_err() {
        return Err(ServiceError::Invalid(format!(
            "'{id}' is not a token id (see `connectors token list`)"
        )));
    }
    match store.token_revoke(id).await? {
        RevokeOutcome::Revoked => Ok(()),
        RevokeOutcome::AlreadyRevoked => Err(ServiceError::Conflict(format!(
            "token {id} is already revoked"
        ))),
        RevokeOutcome::NotFound => Err(ServiceError::NotFound(format!("no token {id}"))),
    }
}

/// The principal behind a bearer token, if the token is live.
pub async fn authenticate_token(
    store: &dyn Store,
    token: &str,
) -> ServiceResult<Option<Principal>> {
    if !token.starts_with(identity::TOKEN_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    Ok(store.token_principal(&identity::hash_token(token)).await?)
}

/// Whether the sign-in page may point at the bootstrap owner: some user
/// still has the password the first start gave them.
pub async fn bootstrap_password_in_use(store: &dyn Store) -> ServiceResult<bool> {
    Ok(store.bootstrap_password_in_use().await?)
}

/// What start-up did about the first owner.
pub enum BootstrapOutcome {
    /// Users already exist.
    NotNeeded,
    /// Created with the configured password.
    CreatedWithConfiguredPassword,
    /// Created with this random password, to be printed once.
    CreatedWithRandomPassword(SecretString),
}

/// On a database with no user, creates tenant `default` with owner
/// `admin@localhost`.
pub async fn bootstrap(
    store: &dyn Store,
    password: Option<&SecretString>,
) -> ServiceResult<BootstrapOutcome> {
    if store.has_users().await? {
        return Ok(BootstrapOutcome::NotNeeded);
    }
    let (password, generated) = match password {
        Some(p) => {
            check_password_strength(p).map_err(|e| {
                ServiceError::Invalid(format!("CONNECTORS_BOOTSTRAP_PASSWORD: {e}"))
            })?;
            (p.clone(), false)
        }
        None => (identity::random_password(), true),
    };
    let created = store
        .bootstrap(&Bootstrap {
            tenant_slug: BOOTSTRAP_TENANT.into(),
            tenant_name: "Default".into(),
            email: BOOTSTRAP_EMAIL.into(),
            display_name: "admin".into(),
            password_hash: hash_password(&password)?,
        })
        .await?;
    Ok(match (created, generated) {
        (false, _) => BootstrapOutcome::NotNeeded,
        (true, true) => BootstrapOutcome::CreatedWithRandomPassword(password),
        (true, false) => BootstrapOutcome::CreatedWithConfiguredPassword,
    })
}
