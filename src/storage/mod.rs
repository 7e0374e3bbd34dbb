//! Storage: the [`Store`] contract, one sub-trait per entity, and one
//! implementation per database (`sqlite/`, `postgres/`), chosen from the
//! database URL at start-up ([`open`]).
//!
//! - [`traits`]: [`AdminStore`], [`CatalogStore`], [`IdentityStore`],
//!   [`SessionStore`], [`ConnectorStore`], [`AuditStore`], [`KeyStore`],
//!   and [`Store`], all of them together; [`prelude`] brings the
//!   sub-traits into scope for callers that hold a concrete store.
//! - [`rows`]: the rows read and written; [`error`]: [`StoreError`].
//! - [`migrations`]: the embedded migration files of both databases.
//! - `shared`: helpers both backends use the same way.
//!
//! Every tenant-owned row is reached through a method that takes the tenant
//! id as its first argument and filters by it in SQL; the few global
//! operations (catalog, migrations, key checks, operator commands that name
//! a tenant by slug) are named as such.
//!
//! Constraint violations are mapped to [`StoreError::Conflict`] in one
//! place per backend, so a duplicate becomes a client error wherever it
//! happens.

pub mod error;
mod ids;
mod location;
pub mod migrations;
mod postgres;
pub mod rows;
mod shared;
mod sqlite;
pub mod traits;

pub use error::{StoreError, StoreResult};
pub use location::{DatabaseLocation, open};
pub use rows::{
    AuditRow, AuditWrite, AuthWrite, Bootstrap, CatalogRow, CatalogWrite, CheckRecord,
    CheckTransition, ConfigSecretsRow, ConnectorFilter, ConnectorInsert, ConnectorRow,
    ConnectorUpdate, DueCheck, LoginLimit, LoginUser, MemberWrite, MembershipOutcome,
    MigrationState, NewTokenRow, OAuthAppRow, OAuthAppWrite, PublishTargetRow, RevokeOutcome,
    SealedSecrets, SecretFilter, SecretRow, SessionRow, SessionWrite, TokenRow, UpdateOutcome,
    UpsertOutcome,
};
pub use traits::{
    AdminStore, AuditStore, Backend, CatalogStore, CheckStore, ConnectorStore, DynStore,
    IdentityStore, KeyStore, OAuthAppStore, SessionStore, Store,
};

/// The store's sub-traits, for `use crate::storage::prelude::*;` where a
/// caller calls store methods.
pub mod prelude {
    pub use super::traits::{
        AdminStore, AuditStore, CatalogStore, CheckStore, ConnectorStore, IdentityStore, KeyStore,
        OAuthAppStore, SessionStore,
    };
}

/// What the benchmark's raw loops share with the stores, so that they run
/// the very same list query with the very same connection settings. Only
/// with the `bench-internals` feature; the product does not export it.
#[cfg(feature = "bench-internals")]
pub mod bench_internals {
    pub use super::postgres::connectors::connector_list_query as postgres_list_query;
    pub use super::sqlite::connection::open_conn as sqlite_open;
    pub use super::sqlite::connectors::connector_list_query as sqlite_list_query;
}
