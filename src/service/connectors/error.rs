//! Why an operation on connectors failed.

use crate::domain::validation::FieldErrors;
use crate::service::ServiceError;
use crate::storage::{ConnectorRow, StoreError};

/// Why an operation on connectors failed, in terms the edge maps to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("{message}")]
    Validation {
        message: String,
        errors: FieldErrors,
    },
    #[error("no connector with that id")]
    NotFound,
    #[error("a connector with this name already exists in this tenant")]
    DuplicateName,
    #[error("the connector was changed by someone else (version {current} is current)")]
    VersionMismatch { current: i64 },
    #[error("this action needs a token with the credentials:read scope")]
    MissingScope,
    #[error(
        "the stored secrets of this connector cannot be decrypted; restore the key or set every secret again"
    )]
    SecretsUnreadable,
    #[error("{message}")]
    CheckFailed {
        code: crate::domain::check::CheckCode,
        message: String,
    },
    #[error("too many connection checks in this tenant; try again in {retry_after} s")]
    CheckRateLimited { retry_after: u64 },
    #[error("the connector kept changing while it was being updated; try again")]
    Contention,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for ConnectorError {
    fn from(e: StoreError) -> Self {
        ConnectorError::Service(e.into())
    }
}

pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// A stored row that cannot be what the store promises.
pub(super) fn corrupt(row: &ConnectorRow, e: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::from(StoreError::Corrupt(format!("connector {}: {e}", row.id)))
}
