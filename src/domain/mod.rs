//! The domain: what the service knows about catalogs, tenants, users,
//! tokens and secrets, independent of storage and HTTP.
//!
//! Each submodule owns its own error type (`thiserror`); the web edge maps
//! them to HTTP statuses in one place (`web::error`).

pub mod address;
pub mod airbyte;
pub mod catalog;
pub mod check;
pub mod identity;
pub mod ids;
pub mod oauth;
pub mod oauth1;
pub mod provider_urls;
pub mod schema;
pub mod secrets;
pub mod status;
pub mod text;
pub mod time;
pub mod validation;
