//! PostgreSQL store (tokio-postgres behind a deadpool connection pool).
//!
//! Hot read paths use prepared statements cached per pooled connection;
//! writes that read before they write run in one transaction and lock the
//! rows they read (`SELECT … FOR UPDATE`). Migrations and the bootstrap of an
//! empty database take transaction-scoped advisory locks, so several
//! replicas starting at once apply each migration, and create the first
//! owner, exactly once.
//!
//! - `connection`: the pool, error mapping, columns and JSON parameters;
//! - `change_feed`: what a replica remembers and the listener that tells
//!   it to forget;
//! - `store`: [`PgStore`];
//! - one file per entity, each implementing its sub-trait:
//!   `migrations`, `catalog`, `identity`, `sessions`, `connectors`,
//!   `audit`, `keys`, `oauth_apps`.

mod audit;
mod catalog;
mod change_feed;
mod checks;
mod connection;
pub(super) mod connectors;
mod identity;
mod keys;
mod migrations;
mod oauth_apps;
mod sessions;
mod store;

pub use store::PgStore;
