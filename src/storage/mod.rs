//! Storage: one [`Store`] trait, one implementation per database, chosen
//! from the database URL at start-up.
//!
//! Every tenant-owned row is reached through a method that takes the tenant
//! id as its first argument and filters by it in SQL; the few global
//! operations (catalog, migrations, key checks, operator commands that name
//! a tenant by slug) are named as such.
//!
//! Constraint violations are mapped to [`StoreError::Conflict`] in one
//! place per backend, so a duplicate becomes a client error wherever it
//! happens.

pub mod change_feed;
pub mod migrations;
mod postgres;
mod sqlite;
mod sqlite_writer;

/// What the benchmark's raw loops share with the stores, so that they run
/// the very same list query with the very same connection settings. Only
/// with the `bench-internals` feature; the product does not export it.
#[cfg(feature = "bench-internals")]
pub mod bench_internals {
    pub use super::postgres::connector_list_query as postgres_list_query;
    pub use super::sqlite::{connector_list_query as sqlite_list_query, open_conn as sqlite_open};
}

use crate::domain::identity::{Principal, Role, Tenant, User};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::path::Path;
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

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; names the constraint (or columns).
    #[error("duplicate value violates {0}")]
    Conflict(String),
    /// The database cannot be reached, is read-only, full or busy.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
    /// A row holds data this version cannot read.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database refused text it cannot store, such as a NUL character:
    /// bad input, not a failure of the service.
    #[error("the database cannot store some of the text given (such as a NUL character)")]
    InvalidText,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One migration as known to the binary and, when applied, to the database.
#[derive(Debug, Clone)]
pub struct MigrationState {
    pub version: i64,
    pub name: String,
    pub applied_at: Option<DateTime<Utc>>,
}

/// A catalog entry as stored: the canonical manifest document plus ids and
/// times.
#[derive(Debug, Clone)]
pub struct CatalogRow {
    pub id: String,
    pub key: String,
    pub document: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns written for a catalog entry.
#[derive(Debug, Clone)]
pub struct CatalogWrite {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub category: String,
    pub icon: Option<String>,
    pub auth_type: String,
    pub capabilities: String,
    pub default_config_schema: String,
    pub auth_schema: String,
    pub document: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipOutcome {
    Added,
    RoleChanged,
    Unchanged,
}

/// What `user create` did.
#[derive(Debug, Clone)]
pub struct MemberWrite {
    pub user: User,
    pub user_created: bool,
    pub password_set: bool,
    pub membership: MembershipOutcome,
}

#[derive(Debug, Clone)]
pub struct NewTokenRow {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub user_email: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    Revoked,
    AlreadyRevoked,
    NotFound,
}

/// The first tenant and owner created on an empty database.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
}

/// An installed connector as stored, with its catalog entry's key and
/// version (`updated_at`) joined in.
#[derive(Debug, Clone)]
pub struct ConnectorRow {
    pub id: String,
    pub tenant_id: String,
    pub catalog_id: String,
    pub catalog_key: String,
    pub catalog_updated_at: DateTime<Utc>,
    pub name: String,
    pub status: String,
    pub status_message: Option<String>,
    /// JSON text of the config object.
    pub config: String,
    /// JSON text of the encrypted secrets envelope.
    pub auth: String,
    /// JSON text of the tags array.
    pub tags: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub created_by_name: Option<String>,
    pub updated_by_name: Option<String>,
}

/// A new connector row; `tenant_id` is the caller's.
#[derive(Debug, Clone)]
pub struct ConnectorInsert {
    pub id: String,
    pub catalog_id: String,
    pub name: String,
    pub config: String,
    pub auth: String,
    pub tags: String,
    pub actor_id: String,
    pub actor_name: String,
    pub now: DateTime<Utc>,
}

/// The full new state of a connector, written only if its version is still
/// `expected_version`; the stored version becomes `expected_version + 1`.
#[derive(Debug, Clone)]
pub struct ConnectorUpdate {
    pub id: String,
    pub expected_version: i64,
    pub name: String,
    pub status: String,
    pub status_message: Option<String>,
    pub config: String,
    /// New secrets, or `None` to leave the stored envelope alone.
    pub auth: Option<AuthWrite>,
    pub tags: String,
    pub actor_id: String,
    pub actor_name: String,
    pub now: DateTime<Utc>,
}

/// A new secrets envelope for an update. Key rotation replaces envelopes
/// without changing `version`, so a version check alone cannot tell that
/// the envelope an update was computed from is still the stored one: the
/// update is written only if the stored envelope is still `expected`, and
/// otherwise answers [`UpdateOutcome::VersionMismatch`] so that the caller
/// reads the row again. An update that changes no secret carries no
/// `AuthWrite` and never writes the column, so it cannot put back an
/// envelope that a rotation has just replaced.
#[derive(Debug, Clone)]
pub struct AuthWrite {
    /// The envelope the new secrets were derived from.
    pub expected: String,
    /// The new envelope.
    pub sealed: String,
}

#[derive(Debug, Clone)]
pub enum UpdateOutcome {
    Updated(Box<ConnectorRow>),
    VersionMismatch,
    NotFound,
}

/// An audit event to record (in the same transaction as its change).
#[derive(Debug, Clone)]
pub struct AuditWrite {
    pub id: String,
    pub connector_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    /// JSON text: names of changed fields and secrets, never values.
    pub changes: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: String,
    pub connector_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub changes: String,
    pub created_at: DateTime<Utc>,
}

/// Filters and page position for a tenant's connector list, ordered by id.
#[derive(Debug, Clone, Default)]
pub struct ConnectorFilter {
    pub status: Option<String>,
    pub catalog_key: Option<String>,
    pub tag: Option<String>,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    /// Only rows with an id greater than this.
    pub after_id: Option<String>,
    pub limit: i64,
}

/// A connector as the publish-targets list shows it: no config, no secrets.
#[derive(Debug, Clone)]
pub struct PublishTargetRow {
    pub id: String,
    pub name: String,
    pub catalog_id: String,
    pub catalog_key: String,
}

/// One stored secrets envelope, for key rotation.
#[derive(Debug, Clone)]
pub struct SecretRow {
    pub id: String,
    pub tenant_id: String,
    pub auth: String,
}

/// A new browser session; only the hash of its id is stored.
#[derive(Debug, Clone)]
pub struct SessionWrite {
    pub id_hash: String,
    pub user_id: String,
    pub tenant_id: String,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A live session with the principal behind it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub principal: Principal,
    pub last_seen_at: DateTime<Utc>,
}

/// At most `max` sign-in attempts for `subject` within the throttle window.
#[derive(Debug, Clone)]
pub struct LoginLimit {
    pub subject: String,
    pub max: i64,
}

/// A user as needed to check a password.
#[derive(Debug, Clone)]
pub struct LoginUser {
    pub user: User,
    pub password_hash: Option<String>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Cheap round trip proving the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// For a serving process: start following other processes' changes so
    /// that lookups can be remembered between requests (PostgreSQL; see
    /// [`change_feed`]). Without it every lookup reads the database.
    fn follow_changes(&self) {}

    /// Whether the change listener is connected; `None` where the backend
    /// has none.
    fn following_changes(&self) -> Option<bool> {
        None
    }

    // ---- migrations (global) ----
    /// Applies pending migrations in order; returns the ones applied now.
    async fn migrate(&self) -> StoreResult<Vec<MigrationState>>;
    /// Every migration the binary knows, with when it was applied.
    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>>;

    // ---- catalog (global, read-only to tenants) ----
    async fn catalog_upsert(&self, entry: &CatalogWrite) -> StoreResult<UpsertOutcome>;
    async fn catalog_list(&self) -> StoreResult<Vec<CatalogRow>>;
    async fn catalog_get(&self, key: &str) -> StoreResult<Option<CatalogRow>>;
    /// A cheap fingerprint of the whole catalog: entry count and the latest
    /// `updated_at`. It changes whenever an entry is added or changed.
    async fn catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)>;

    // ---- identity ----
    async fn has_users(&self) -> StoreResult<bool>;
    /// Creates the bootstrap tenant and owner if, inside one transaction,
    /// the database has no user. Returns whether it did.
    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<bool>;
    async fn tenant_create(&self, slug: &str, name: &str) -> StoreResult<Tenant>;
    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>>;
    /// Creates the user if new (setting the password hash when given) and
    /// adds or updates the membership, in one transaction. A new password
    /// for an existing user ends all of that user's sessions; a changed
    /// role ends their sessions in this tenant.
    async fn member_upsert(
        &self,
        tenant_id: &str,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
    ) -> StoreResult<MemberWrite>;
    async fn member_by_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> StoreResult<Option<(User, Role)>>;
    /// Removes the user's membership in the tenant and ends their sessions
    /// in it, in one transaction; false when they were not a member.
    async fn member_remove(&self, tenant_id: &str, email: &str) -> StoreResult<bool>;

    // ---- API tokens ----
    async fn token_insert(&self, token: &NewTokenRow) -> StoreResult<()>;
    async fn token_list(&self, tenant_id: &str) -> StoreResult<Vec<TokenRow>>;
    /// Operator escape hatch: tokens are revoked by their globally unique id.
    async fn token_revoke(&self, token_id: &str) -> StoreResult<RevokeOutcome>;
    /// The principal behind a live token (not revoked, membership current).
    async fn token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>>;

    // ---- encryption key checks (global) ----
    async fn key_checks(&self) -> StoreResult<Vec<(String, String)>>;
    async fn key_check_insert(&self, key_id: &str, check_value: &str) -> StoreResult<()>;
    /// How many stored connector secrets each key id protects.
    async fn key_usage(&self) -> StoreResult<Vec<(String, i64)>>;

    // ---- installed connectors (tenant-scoped) ----
    async fn catalog_get_by_id(&self, id: &str) -> StoreResult<Option<CatalogRow>>;
    /// Inserts the connector (inactive, version 1) and its audit event
    /// atomically; a duplicate name in the tenant is a `Conflict`. The row
    /// is not read back: it holds exactly what was written.
    async fn connector_insert(
        &self,
        tenant_id: &str,
        row: &ConnectorInsert,
        audit: &AuditWrite,
    ) -> StoreResult<()>;
    async fn connector_get(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ConnectorRow>>;
    async fn connector_list(
        &self,
        tenant_id: &str,
        filter: &ConnectorFilter,
    ) -> StoreResult<Vec<ConnectorRow>>;
    /// A page of the tenant's active connectors whose catalog entry is one
    /// of `catalog_ids`, in id order after `after_id` (publish targets).
    /// Reads neither config nor secrets.
    async fn publish_targets(
        &self,
        tenant_id: &str,
        catalog_ids: &[String],
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PublishTargetRow>>;
    /// Compare-and-set on `version` (and, when `auth` is given, on the
    /// stored envelope), with its audit event, in one transaction.
    async fn connector_update(
        &self,
        tenant_id: &str,
        update: &ConnectorUpdate,
        audit: &AuditWrite,
    ) -> StoreResult<UpdateOutcome>;
    /// Hard delete with its audit event; false when there was no such row.
    async fn connector_delete(
        &self,
        tenant_id: &str,
        id: &str,
        audit: &AuditWrite,
    ) -> StoreResult<bool>;
    async fn audit_insert(&self, tenant_id: &str, audit: &AuditWrite) -> StoreResult<()>;
    /// Newest first; `before_id` pages backwards.
    async fn audit_list(
        &self,
        tenant_id: &str,
        connector_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>>;

    // ---- key rotation (global operator task) ----
    /// Up to `limit` connectors whose secrets are not under `primary_kid`,
    /// with ids greater than `after_id`, in id order.
    async fn secrets_not_under(
        &self,
        primary_kid: &str,
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<SecretRow>>;
    /// Replaces one row's envelope if it is still `old_auth`; the version and
    /// audit fields are untouched (the secrets themselves do not change).
    async fn secret_replace(&self, id: &str, old_auth: &str, new_auth: &str) -> StoreResult<bool>;

    // ---- sign-in and sessions ----
    async fn login_user(&self, email: &str) -> StoreResult<Option<LoginUser>>;
    /// The user's tenants and roles, by slug.
    async fn user_tenants(&self, user_id: &str) -> StoreResult<Vec<(Tenant, Role)>>;
    /// Stores a session and removes expired ones.
    async fn session_insert(&self, session: &SessionWrite) -> StoreResult<()>;
    /// The session if it exists, is not past `expires_at`, was seen after
    /// `idle_cutoff`, and its membership still exists.
    async fn session_get(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>>;
    async fn session_touch(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    async fn session_set_tenant(&self, id_hash: &str, tenant_id: &str) -> StoreResult<()>;
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

pub type DynStore = Arc<dyn Store>;

/// Where the data lives, parsed from a database URL (or the data dir).
/// The PostgreSQL URL may hold a password, so it is kept secret.
#[derive(Debug, Clone)]
pub enum DatabaseLocation {
    Sqlite(std::path::PathBuf),
    Postgres(secrecy::SecretString),
}

impl DatabaseLocation {
    /// `postgres://…` / `postgresql://…`, or `sqlite://PATH` / `sqlite:PATH`;
    /// with no URL, `DATA_DIR/connectors.db`.
    pub fn from_url(url: Option<&str>, data_dir: &Path) -> Result<Self, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseLocation::Sqlite(data_dir.join("connectors.db")));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres(url.to_string().into()));
        }
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(
                    "the sqlite URL has no file path (e.g. sqlite://./data/connectors.db)".into(),
                );
            }
            return Ok(DatabaseLocation::Sqlite(path.into()));
        }
        Err("unsupported database URL: use postgres://… or sqlite://PATH".into())
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseLocation::Sqlite(_) => Backend::Sqlite,
            DatabaseLocation::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Opens the store for a location (connecting, not migrating).
pub async fn open(location: &DatabaseLocation) -> StoreResult<DynStore> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(path)?),
        DatabaseLocation::Postgres(url) => {
            Arc::new(postgres::PgStore::connect(url.expose_secret()).await?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        let d = Path::new("/tmp/d");
        assert!(matches!(
            DatabaseLocation::from_url(None, d).unwrap(),
            DatabaseLocation::Sqlite(p) if p == Path::new("/tmp/d/connectors.db")
        ));
        assert!(matches!(
            DatabaseLocation::from_url(Some("sqlite://./x.db"), d).unwrap(),
            DatabaseLocation::Sqlite(p) if p == Path::new("./x.db")
        ));
        assert_eq!(
            DatabaseLocation::from_url(Some("postgres://u@h/db"), d)
                .unwrap()
                .backend(),
            Backend::Postgres
        );
        assert!(DatabaseLocation::from_url(Some("mysql://x"), d).is_err());
        assert!(DatabaseLocation::from_url(Some("sqlite://"), d).is_err());
    }
}
