//! The rows the stores read and write: plain data, the same for both
//! backends. JSON columns travel as text; times are UTC.

use crate::domain::identity::{Principal, User};
use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::status::ConnectorStatus;
use chrono::{DateTime, Utc};

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
    pub tenant_id: TenantId,
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
    pub id: ConnectorId,
    pub tenant_id: TenantId,
    pub catalog_id: String,
    pub catalog_key: String,
    pub catalog_updated_at: DateTime<Utc>,
    pub name: String,
    pub status: ConnectorStatus,
    pub status_message: Option<String>,
    /// JSON text of the config object.
    pub config: String,
    /// JSON text of the secret states: secret name → when it was set.
    /// `None` for a row sealed before the states were stored beside the
    /// ciphertext and not yet re-sealed.
    pub secret_states: Option<String>,
    /// The secrets envelope, read only for such a row (`secret_states` is
    /// `None`) so that its states can still be shown; never otherwise.
    pub legacy_auth: Option<String>,
    /// JSON text of the tags array.
    pub tags: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub created_by_name: Option<String>,
    pub updated_by_name: Option<String>,
    /// JSON text of the last connection check's answer, if one ran.
    pub last_check: Option<String>,
}

/// A connector's sealed secrets, read when they are about to be used.
#[derive(Debug, Clone)]
pub struct SealedSecrets {
    /// JSON text of the encrypted secrets envelope.
    pub auth: String,
    /// The secret states sealed with it (bound into its associated data),
    /// or `None` for an envelope sealed before states were stored.
    pub states: Option<String>,
}

/// A new connector row; `tenant_id` is the caller's.
#[derive(Debug, Clone)]
pub struct ConnectorInsert {
    pub id: ConnectorId,
    pub catalog_id: String,
    pub name: String,
    pub config: String,
    pub auth: String,
    /// The secret states sealed with `auth`.
    pub secret_states: String,
    pub tags: String,
    pub actor_id: String,
    pub actor_name: String,
    pub now: DateTime<Utc>,
}

/// The full new state of a connector, written only if its version is still
/// `expected_version`; the stored version becomes `expected_version + 1`.
#[derive(Debug, Clone)]
pub struct ConnectorUpdate {
    pub id: ConnectorId,
    pub expected_version: i64,
    pub name: String,
    pub status: ConnectorStatus,
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
    /// The secret states sealed with it.
    pub states: String,
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

/// One stored secrets envelope with its states, for key rotation, the
/// states backfill and `keys verify`.
#[derive(Debug, Clone)]
pub struct SecretRow {
    pub id: ConnectorId,
    pub tenant_id: TenantId,
    pub auth: String,
    pub states: Option<String>,
}

/// A connector's stored config beside its sealed secrets: what moves the
/// values of fields a re-imported schema made secret out of the config.
#[derive(Debug, Clone)]
pub struct ConfigSecretsRow {
    pub id: ConnectorId,
    pub tenant_id: TenantId,
    pub config: String,
    pub auth: String,
    pub states: Option<String>,
}

/// Which rows a page of sealed secrets holds (key rotation, the states
/// backfill, `keys verify`).
#[derive(Debug, Clone)]
pub enum SecretFilter {
    /// Sealed under another key than this one, or without stored states.
    NeedsReseal { primary_kid: String },
    /// Without stored states only.
    WithoutStates,
    /// Every row.
    All,
}

/// A new browser session; only the hash of its id is stored.
#[derive(Debug, Clone)]
pub struct SessionWrite {
    pub id_hash: String,
    pub user_id: String,
    pub tenant_id: TenantId,
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

/// What a connection check of a stored connector leaves on it.
#[derive(Debug, Clone)]
pub struct CheckRecord {
    pub id: ConnectorId,
    /// JSON text of the answer, stored as the connector's `last_check`.
    pub last_check: String,
    /// When the next scheduled check is due; `None` leaves it as it is.
    pub next_check_at: Option<DateTime<Utc>>,
    /// What the answer does to the connector's status, if anything.
    pub transition: Option<CheckTransition>,
    pub now: DateTime<Utc>,
}

/// A status change a check makes: applied only from the status it starts
/// from, so a connector someone changed meanwhile is left alone.
#[derive(Debug, Clone)]
pub enum CheckTransition {
    /// `active` → `error` with this message, remembered as a check's doing.
    Fail { message: String },
    /// `error` that a check caused → `active`, message cleared.
    Recover,
}

/// A connector whose scheduled check this process has claimed.
#[derive(Debug, Clone)]
pub struct DueCheck {
    pub id: ConnectorId,
    pub tenant_id: TenantId,
}

/// An operator's OAuth app (client registration) for a catalog entry, as
/// stored: the client secret is its sealed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthAppRow {
    pub catalog_key: String,
    pub client_id: String,
    /// The envelope (JSON text) of the client secret.
    pub client_secret: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An OAuth app to create or replace.
#[derive(Debug, Clone)]
pub struct OAuthAppWrite {
    pub catalog_key: String,
    pub client_id: String,
    /// The envelope (JSON text) of the client secret.
    pub client_secret: String,
    pub at: DateTime<Utc>,
}
