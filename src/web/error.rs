//! Errors at the HTTP edge.
//!
//! Three tiers: `anyhow` in the binary and background jobs; a `thiserror`
//! enum per domain/service module; and [`AppError`] here, the only place
//! that picks an HTTP status and writes the JSON envelope
//! `{"error": CODE, "message": TEXT, "errors": {FIELD: [TEXT]}}`.
//! Internal details (database messages, panics) are logged, never sent.

use crate::service::ServiceError;
use crate::service::connectors::ConnectorError;
use crate::storage::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;

pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub errors: Option<FieldErrors>,
    /// The `WWW-Authenticate` challenge a 401 carries (RFC 6750).
    pub challenge: Option<&'static str>,
}

/// The challenge of a 401 to a request that sent no usable credentials.
pub const BEARER_CHALLENGE: &str = "Bearer realm=\"connectors\"";
/// The challenge of a 401 to a request whose bearer token is unknown,
/// revoked or expired.
pub const INVALID_TOKEN_CHALLENGE: &str = "Bearer realm=\"connectors\", error=\"invalid_token\", error_description=\"the token is unknown, revoked or expired\"";

/// The error envelope every error answers with (for the OpenAPI document).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `validation_failed`
    pub error: String,
    /// What went wrong, for people
    pub message: String,
    /// Validation only: dotted field path to messages
    #[schema(value_type = BTreeMap<String, Vec<String>>, nullable = false, required = false)]
    pub errors: Option<FieldErrors>,
    /// Server-side failures only: the id of the request's log line
    #[schema(value_type = String, nullable = false, required = false)]
    pub request_id: Option<String>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a FieldErrors>,
    /// On server-side failures (5xx): the id that finds the request's log line.
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

tokio::task_local! {
    /// The id of the request being answered, set by the request-log layer.
    pub static REQUEST_ID: String;
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError {
            status,
            code,
            message: message.into(),
            errors: None,
            challenge: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized() -> Self {
        AppError {
            challenge: Some(BEARER_CHALLENGE),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "authentication required: send a valid API token as `Authorization: Bearer TOKEN`",
            )
        }
    }

    /// A 401 to a bearer token that does not authenticate anyone.
    pub fn invalid_token() -> Self {
        AppError {
            challenge: Some(INVALID_TOKEN_CHALLENGE),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the API token is unknown, revoked or expired: send a valid one as `Authorization: Bearer TOKEN`",
            )
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn validation(message: impl Into<String>, errors: FieldErrors) -> Self {
        AppError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: message.into(),
            errors: Some(errors),
            challenge: None,
        }
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database is unavailable; try again shortly",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred; the request id identifies it in the logs",
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let request_id = if self.status.is_server_error() {
            REQUEST_ID.try_with(Clone::clone).ok()
        } else {
            None
        };
        let body = Envelope {
            error: self.code,
            message: &self.message,
            errors: self.errors.as_ref(),
            request_id,
        };
        let mut res = (self.status, Json(body)).into_response();
        if let Some(challenge) = self.challenge {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(challenge),
            );
        }
        res
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                AppError::unavailable()
            }
            StoreError::InvalidText => AppError::bad_request(
                "the request holds characters that cannot be stored, such as NUL; remove them and try again",
            ),
            StoreError::Conflict(what) => {
                tracing::warn!(constraint = %what, "unmapped conflict");
                AppError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "the resource already exists",
                )
            }
            other => {
                tracing::error!(error = %other, "store error");
                AppError::internal()
            }
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
            }
            ServiceError::NotFound(m) => AppError::not_found(m),
            ServiceError::Conflict(m) => AppError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Manifest(m) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", m.to_string())
            }
            ServiceError::Secrets(s) => {
                tracing::error!(error = %s, "secrets error");
                AppError::internal()
            }
            ServiceError::Store(s) => s.into(),
        }
    }
}

impl From<ConnectorError> for AppError {
    fn from(e: ConnectorError) -> Self {
        let message = e.to_string();
        match e {
            ConnectorError::Validation { message, errors } => AppError::validation(message, errors),
            ConnectorError::NotFound => AppError::not_found(message),
            ConnectorError::DuplicateName => {
                AppError::new(StatusCode::CONFLICT, "conflict", message)
            }
            ConnectorError::VersionMismatch { .. } => AppError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                message,
            ),
            ConnectorError::MissingScope => AppError::forbidden(message),
            ConnectorError::SecretsUnreadable => {
                AppError::new(StatusCode::CONFLICT, "secrets_unreadable", message)
            }
            ConnectorError::Contention => AppError::new(StatusCode::CONFLICT, "conflict", message),
            ConnectorError::Service(s) => s.into(),
        }
    }
}
