//! Operations shared by the command line and the web edge. Each takes the
//! store (and, for tenant data, the caller's tenant) and returns domain
//! values or a [`ServiceError`], so there is one code path per operation.

pub mod catalog;
pub mod checks;
pub mod connectors;
pub mod identity;
pub mod keys;
pub mod oauth_apps;
pub mod oauth_client;
pub mod outbound;
pub mod schemas;
pub mod sessions;

use crate::domain::catalog::ManifestError;
use crate::domain::identity::IdentityError;
use crate::domain::secrets::SecretsError;
use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that can never succeed as given.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<IdentityError> for ServiceError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Invalid(m) => ServiceError::Invalid(m),
            IdentityError::Hash => ServiceError::Invalid("password could not be hashed".into()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
