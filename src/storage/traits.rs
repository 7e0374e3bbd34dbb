//! The store's contract, one sub-trait per entity, each implemented by both
//! backends in the file of that entity (`sqlite/catalog.rs`,
//! `postgres/catalog.rs`, …). [`Store`] is all of them together and is
//! implemented for every type that implements each one; the service layer
//! holds a [`DynStore`].
//!
//! Every method that reads or writes tenant data takes the caller's
//! [`TenantId`] as its first argument and filters by it in SQL, so another
//! tenant's row is never seen, changed or deleted: it answers exactly like a
//! missing one. A `TenantId` comes only from the store itself (with an
//! authenticated principal, or a tenant an operator command looked up), so
//! a tenant-scoped call cannot be made with an id taken from a request. The methods that are not tenant-scoped say so (the catalog,
//! migrations, key checks and rotation, and operator commands).

use super::error::StoreResult;
use super::rows::{
    AuditRow, AuditWrite, Bootstrap, CatalogRow, CatalogWrite, CheckRecord, ConfigSecretsRow,
    ConnectorFilter, ConnectorInsert, ConnectorRow, ConnectorUpdate, DueCheck, LoginLimit,
    LoginUser, MemberWrite, MigrationState, NewTokenRow, OAuthAppRow, OAuthAppWrite,
    PublishTargetRow, RevokeOutcome, SealedSecrets, SecretFilter, SecretRow, SessionRow,
    SessionWrite, TokenRow, UpdateOutcome, UpsertOutcome,
};
use crate::domain::identity::{Principal, Role, Tenant, User};
use crate::domain::ids::{ConnectorId, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database itself (global): which backend, whether it answers, its
/// migrations, and following other processes' changes.
#[async_trait]
pub trait AdminStore: Send + Sync {
    fn backend(&self) -> Backend;

    /// Cheap round trip proving the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// For a serving process: start following other processes' changes so
    /// that lookups can be remembered between requests (PostgreSQL; see
    /// its `change_feed`). Without it every lookup reads the database.
    fn follow_changes(&self) {}

    /// Whether the change listener is connected; `None` where the backend
    /// has none.
    fn following_changes(&self) -> Option<bool> {
        None
    }

    /// Applies pending migrations in order; returns the ones applied now.
    async fn migrate(&self) -> StoreResult<Vec<MigrationState>>;
    /// Every migration the binary knows, with when it was applied.
    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>>;
}

/// The catalog of connector types: global, read-only to tenants.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Creates the entry, or updates it in place (same id) when its
    /// document changed; a same document changes nothing.
    async fn catalog_upsert(&self, entry: &CatalogWrite) -> StoreResult<UpsertOutcome>;
    async fn catalog_list(&self) -> StoreResult<Vec<CatalogRow>>;
    async fn catalog_get(&self, key: &str) -> StoreResult<Option<CatalogRow>>;
    async fn catalog_get_by_id(&self, id: &str) -> StoreResult<Option<CatalogRow>>;
    /// A cheap fingerprint of the whole catalog: entry count and the latest
    /// `updated_at`. It changes whenever an entry is added or changed.
    async fn catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)>;
}

/// Tenants, users, memberships and API tokens.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Global: whether any user exists.
    async fn has_users(&self) -> StoreResult<bool>;
    /// Creates the bootstrap tenant and owner if, inside one transaction,
    /// the database has no user. Returns whether it did.
    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<bool>;
    /// Global: whether a user still signs in with the password the
    /// bootstrap gave them (a new password ends that).
    async fn bootstrap_password_in_use(&self) -> StoreResult<bool>;
    /// Operator command: a new tenant; a taken slug is a `Conflict`.
    async fn tenant_create(&self, slug: &str, name: &str) -> StoreResult<Tenant>;
    /// Operator command: the tenant named by its slug.
    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>>;
    /// Creates the user if new (setting the password hash when given) and
    /// adds or updates the membership in `tenant_id`, in one transaction.
    /// A new password for an existing user ends all of that user's
    /// sessions; a changed role ends their sessions in this tenant only.
    async fn member_upsert(
        &self,
        tenant_id: &TenantId,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
    ) -> StoreResult<MemberWrite>;
    /// The user and their role, filtered by tenant: `None` unless they are
    /// a member of `tenant_id`.
    async fn member_by_email(
        &self,
        tenant_id: &TenantId,
        email: &str,
    ) -> StoreResult<Option<(User, Role)>>;
    /// Removes the user's membership in `tenant_id` and ends their sessions
    /// in it, in one transaction; false when they were not a member. Other
    /// tenants' memberships and sessions are untouched.
    async fn member_remove(&self, tenant_id: &TenantId, email: &str) -> StoreResult<bool>;

    /// Stores a token (its hash only) for the row's tenant and user.
    async fn token_insert(&self, token: &NewTokenRow) -> StoreResult<()>;
    /// The tokens of `tenant_id` only, never their values.
    async fn token_list(&self, tenant_id: &TenantId) -> StoreResult<Vec<TokenRow>>;
    /// Operator escape hatch: tokens are revoked by their globally unique id.
    async fn token_revoke(&self, token_id: &str) -> StoreResult<RevokeOutcome>;
    /// The principal behind a live token (not revoked, membership current),
    /// in the token's own tenant.
    async fn token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>>;

    /// Global: a user as needed to check a password.
    async fn login_user(&self, email: &str) -> StoreResult<Option<LoginUser>>;
    /// The user's tenants and roles, by slug (only those they belong to).
    async fn user_tenants(&self, user_id: &str) -> StoreResult<Vec<(Tenant, Role)>>;
}

/// Browser sessions and the sign-in throttle.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session and removes expired ones.
    async fn session_insert(&self, session: &SessionWrite) -> StoreResult<()>;
    /// The session if it exists, is not past `expires_at`, was seen after
    /// `idle_cutoff`, and its membership (in the session's tenant) still
    /// exists.
    async fn session_get(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>>;
    async fn session_touch(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    /// Moves the session to `tenant_id`; the service checks the membership
    /// first, and [`SessionStore::session_get`] checks it on every read.
    async fn session_set_tenant(&self, id_hash: &str, tenant_id: &TenantId) -> StoreResult<()>;
    async fn session_delete(&self, id_hash: &str) -> StoreResult<()>;
    /// Reserves one sign-in attempt for each subject (account, address)
    /// before the password is checked: in one transaction, and serialised
    /// against every other reservation for the same subjects, counts each
    /// subject's attempts after `since` and, if every count is below its
    /// limit, records an attempt at `now` for each. Returns the ids of the
    /// recorded attempts, or `None` (recording nothing) when a subject is
    /// at its limit. A recorded attempt counts as a failure until it is
    /// released, so parallel attempts can never all see a count below
    /// the limit.
    async fn login_attempt_reserve(
        &self,
        limits: &[LoginLimit],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<i64>>>;
    /// Forgets attempts by id (a sign-in that succeeded, or one that was
    /// never checked).
    async fn login_attempt_release(&self, ids: &[i64]) -> StoreResult<()>;
    /// Forgets the failures of a subject (after a successful sign-in) and
    /// any failure older than `before`.
    async fn login_failure_clear(&self, subject: &str, before: DateTime<Utc>) -> StoreResult<()>;
}

/// A tenant's installed connectors. Every method filters by `tenant_id`.
#[async_trait]
pub trait ConnectorStore: Send + Sync {
    /// Inserts the connector (inactive, version 1) into `tenant_id` and its
    /// audit event atomically; a duplicate name in the tenant is a
    /// `Conflict` (the same name in another tenant is not). The row is not
    /// read back: it holds exactly what was written.
    async fn connector_insert(
        &self,
        tenant_id: &TenantId,
        row: &ConnectorInsert,
        audit: &AuditWrite,
    ) -> StoreResult<()>;
    /// The connector if it belongs to `tenant_id`. Like every read of a
    /// connector but [`ConnectorStore::connector_sealed`], it does not read
    /// the secrets envelope (unless the row has no stored states yet).
    async fn connector_get(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
    ) -> StoreResult<Option<ConnectorRow>>;
    /// A page of `tenant_id`'s connectors, filtered and in id order.
    async fn connector_list(
        &self,
        tenant_id: &TenantId,
        filter: &ConnectorFilter,
    ) -> StoreResult<Vec<ConnectorRow>>;
    /// A page of `tenant_id`'s active connectors whose catalog entry is one
    /// of `catalog_ids`, in id order after `after_id` (publish targets).
    /// Reads neither config nor secrets.
    async fn publish_targets(
        &self,
        tenant_id: &TenantId,
        catalog_ids: &[String],
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PublishTargetRow>>;
    /// The sealed secrets of a connector of `tenant_id`, for a use that
    /// opens them.
    async fn connector_sealed(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
    ) -> StoreResult<Option<SealedSecrets>>;
    /// Moves a connector whose secrets failed to open to `error` with
    /// `message` (version + 1, with its audit event, in one transaction),
    /// if its envelope is still `auth` and it is not already in `error`
    /// with that message. Returns whether it changed the row.
    async fn connector_mark_unreadable(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        auth: &str,
        message: &str,
        audit: &AuditWrite,
    ) -> StoreResult<bool>;
    /// Compare-and-set on `version` (and, when `auth` is given, on the
    /// stored envelope), with its audit event, in one transaction; only a
    /// row of `tenant_id` is written (another tenant's is `NotFound`).
    async fn connector_update(
        &self,
        tenant_id: &TenantId,
        update: &ConnectorUpdate,
        audit: &AuditWrite,
    ) -> StoreResult<UpdateOutcome>;
    /// Hard delete of a row of `tenant_id` with its audit event; false when
    /// the tenant has no such row.
    async fn connector_delete(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        audit: &AuditWrite,
    ) -> StoreResult<bool>;
}

/// Connection check results and the schedule of re-checks.
#[async_trait]
pub trait CheckStore: Send + Sync {
    /// Stores a check's answer on a connector of `tenant_id`, with the
    /// check's audit event, and applies `record.transition` if the
    /// connector is still in the status it starts from (version + 1, with
    /// `status_audit`), in one transaction. Returns whether the status
    /// changed; a missing connector changes nothing.
    async fn connector_record_check(
        &self,
        tenant_id: &TenantId,
        record: &CheckRecord,
        audit: &AuditWrite,
        status_audit: &AuditWrite,
    ) -> StoreResult<bool>;
    /// Sets when the next scheduled check of a connector of `tenant_id` is
    /// due (after an activation that skipped its check).
    async fn connector_defer_check(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Not tenant-scoped (the scheduler serves every tenant): claims up to
    /// `limit` connectors whose scheduled check is due at `now` (active
    /// ones, and those a failed check moved to `error`), moving each one's
    /// due time to `next_at` plus a random part of `jitter_secs`. A
    /// connector claimed by one process is not claimed by another until
    /// its new due time (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn checks_claim_due(
        &self,
        now: DateTime<Utc>,
        next_at: DateTime<Utc>,
        jitter_secs: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueCheck>>;
}

/// A tenant's audit events. Every method filters by `tenant_id`.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event in `tenant_id`.
    async fn audit_insert(&self, tenant_id: &TenantId, audit: &AuditWrite) -> StoreResult<()>;
    /// `tenant_id`'s events, newest first; `before_id` pages backwards.
    async fn audit_list(
        &self,
        tenant_id: &TenantId,
        connector_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>>;
}

/// Encryption key checks, key usage and rotation: global operator tasks
/// that see every tenant's envelopes (never their plaintext).
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn key_checks(&self) -> StoreResult<Vec<(String, String)>>;
    async fn key_check_insert(&self, key_id: &str, check_value: &str) -> StoreResult<()>;
    /// How many stored connector secrets each key id protects.
    async fn key_usage(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Up to `limit` sealed secrets of every tenant's connectors that
    /// `filter` selects, with ids greater than `after_id`, in id order.
    async fn secrets_page(
        &self,
        filter: &SecretFilter,
        after_id: Option<&ConnectorId>,
        limit: i64,
    ) -> StoreResult<Vec<SecretRow>>;
    /// Replaces one row's envelope and states if its envelope is still
    /// `old_auth`; the version and audit fields are untouched (the secrets
    /// themselves do not change).
    async fn secret_reseal(
        &self,
        id: &ConnectorId,
        old_auth: &str,
        new_auth: &str,
        new_states: &str,
    ) -> StoreResult<bool>;
    /// Up to `limit` connectors of every tenant installed from the catalog
    /// entry `catalog_id`, tenant by tenant: in (tenant id, id) order after
    /// `after`, with their stored config and sealed secrets.
    async fn config_secrets_page(
        &self,
        catalog_id: &str,
        after: Option<&(TenantId, ConnectorId)>,
        limit: i64,
    ) -> StoreResult<Vec<ConfigSecretsRow>>;
    /// Replaces a connector's stored config and its envelope and states
    /// (version + 1) if both config and envelope are still the ones read;
    /// only the row of `tenant_id` is written.
    async fn config_secrets_reseal(
        &self,
        tenant_id: &TenantId,
        id: &ConnectorId,
        old: &ConfigSecretsRow,
        new_config: &str,
        new_auth: &str,
        new_states: &str,
    ) -> StoreResult<bool>;
    /// Lets go of the pages that held values now sealed: on SQLite, a full
    /// checkpoint that empties the write-ahead log (freed space is zeroed,
    /// `secure_delete`); on PostgreSQL, nothing (old row versions are
    /// vacuumed as usual).
    async fn release_freed_pages(&self) -> StoreResult<()>;
}

/// The operator's OAuth apps, one per catalog entry: global configuration
/// (no tenant's data), read by the flow and written by operator commands.
#[async_trait]
pub trait OAuthAppStore: Send + Sync {
    /// Creates the app of `app.catalog_key`, or replaces its client id and
    /// secret (keeping `created_at`). Returns whether it was created.
    async fn oauth_app_upsert(&self, app: &OAuthAppWrite) -> StoreResult<bool>;
    async fn oauth_app_get(&self, catalog_key: &str) -> StoreResult<Option<OAuthAppRow>>;
    /// Every app, by catalog key.
    async fn oauth_app_list(&self) -> StoreResult<Vec<OAuthAppRow>>;
    /// False when the entry had no app.
    async fn oauth_app_remove(&self, catalog_key: &str) -> StoreResult<bool>;
    /// How many client secrets each key id protects.
    async fn oauth_app_key_usage(&self) -> StoreResult<Vec<(String, i64)>>;
    /// Replaces an app's secret envelope if it is still `old_secret`
    /// (key rotation); `updated_at` is untouched.
    async fn oauth_app_reseal(
        &self,
        catalog_key: &str,
        old_secret: &str,
        new_secret: &str,
    ) -> StoreResult<bool>;
}

/// The whole store: every sub-trait, implemented for any type that
/// implements each of them.
pub trait Store:
    AdminStore
    + CatalogStore
    + IdentityStore
    + SessionStore
    + ConnectorStore
    + CheckStore
    + AuditStore
    + KeyStore
    + OAuthAppStore
    + 'static
{
}

impl<T> Store for T where
    T: AdminStore
        + CatalogStore
        + IdentityStore
        + SessionStore
        + ConnectorStore
        + CheckStore
        + AuditStore
        + KeyStore
        + OAuthAppStore
        + 'static
{
}

pub type DynStore = Arc<dyn Store>;
