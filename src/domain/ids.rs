//! Typed ids, so that a tenant's id, a connector's id and any other text
//! cannot be passed for one another.
//!
//! A [`TenantId`] comes only from the store: with the [`Principal`] that
//! authentication found for a token or session, or with the [`Tenant`] an
//! operator command looked up by its slug. Every store method that reads or
//! writes tenant data takes one, so a query scoped by a tenant id taken from
//! a request (a path, a body, a header) cannot be written by accident: it
//! does not compile.
//!
//! [`Principal`]: super::identity::Principal
//! [`Tenant`]: super::identity::Tenant

use serde::Serialize;
use std::fmt;

/// A tenant's id as the store gave it out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    /// For the storage layer's row mapping only: the id as read from a
    /// tenant's row (or a row that references one). Denied elsewhere by
    /// clippy's `disallowed-methods` (see `clippy.toml`).
    pub(crate) fn from_stored(id: String) -> TenantId {
        TenantId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for TenantId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// An installed connector's id (a UUIDv7, so id order is creation order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ConnectorId(String);

impl ConnectorId {
    /// A new id, later in id order than every id made before it.
    pub fn generate() -> ConnectorId {
        ConnectorId(uuid::Uuid::now_v7().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Any text names a connector id: one that no row has is simply not found.
impl From<&str> for ConnectorId {
    fn from(id: &str) -> ConnectorId {
        ConnectorId(id.to_string())
    }
}

impl From<String> for ConnectorId {
    fn from(id: String) -> ConnectorId {
        ConnectorId(id)
    }
}

impl fmt::Display for ConnectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ConnectorId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}
