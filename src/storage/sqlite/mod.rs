//! SQLite store (rusqlite): WAL mode, a busy timeout, one writer connection
//! on its own thread and a small set of reader connections, so the async
//! runtime never waits on disk.
//!
//! - `connection`: opening a connection (pragmas), error mapping, times;
//! - `threads`: the writer (group commit) and reader threads;
//! - `store`: [`SqliteStore`] and how a call reaches a connection;
//! - one file per entity, each implementing its sub-trait:
//!   `migrations`, `catalog`, `identity`, `sessions`, `connectors`,
//!   `audit`, `keys`, `oauth_apps`.

mod audit;
mod catalog;
mod checks;
pub(super) mod connection;
pub(super) mod connectors;
mod identity;
mod keys;
mod migrations;
mod oauth_apps;
mod sessions;
mod store;
mod threads;

pub use store::SqliteStore;
