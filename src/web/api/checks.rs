//! Connection checks: a stored connector (or the connector as a proposed
//! update would leave it) and unsaved values, each answered with the static
//! validation and, when valid, the provider's live answer.

use super::AppState;
use super::examples::{self, CONNECTOR_ID};
use crate::service::connectors::{CheckAnswer, CheckDraft, ConnectorPatch};
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::extract::{Json as JsonBody, MaybeJson};
use axum::extract::{Path, State};
use axum::response::Json;
use serde_json::Value;

/// Check a connector
///
/// Checks the stored connector against its provider and keeps the result as
/// its `last_check`. With a body in the shape of an update, checks the
/// connector as that update would leave it and saves nothing. Members may
/// check. Values that do not validate answer `valid: false` with their
/// errors and are not sent; a body that is not an update's shape answers 422.
#[utoipa::path(post, path = "/connectors/{id}/check", tag = "connectors", operation_id = "connectors_check",
    params(("id" = uuid::Uuid, Path, description = "Connector id", example = json!(CONNECTOR_ID))),
    request_body(content = Option<ConnectorPatch>, description = "A proposed update (optional)", example = json!(examples::patch_body())),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Static validation and, when valid, the live result", body = CheckAnswer, example = json!(examples::check_answer())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = 409, response = crate::web::openapi::Conflict),
        (status = 413, response = crate::web::openapi::PayloadTooLarge),
        (status = 415, response = crate::web::openapi::UnsupportedMediaType),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = 429, response = crate::web::openapi::TooManyRequests),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn check_connector(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    MaybeJson(body): MaybeJson<Value>,
) -> Result<Json<CheckAnswer>, AppError> {
    Ok(Json(
        state
            .connectors
            .check_connector(&caller, &id, body.as_ref())
            .await?,
    ))
}

/// Check unsaved values
///
/// Checks `catalog_key`, `config` and `auth` against the entry's provider,
/// saving nothing: what the Add dialog's "Test connection" sends. Values
/// that do not validate answer `valid: false` with their errors; a body
/// that is not this shape (an unknown field, `catalog_key` missing or not
/// text, `config` or `auth` not an object) answers 422.
#[utoipa::path(post, path = "/check", tag = "connectors", operation_id = "connectors_check_unsaved",
    request_body(content = CheckDraft, example = json!(examples::check_body())),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Static validation and, when valid, the live result", body = CheckAnswer, example = json!(examples::check_answer())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 413, response = crate::web::openapi::PayloadTooLarge),
        (status = 415, response = crate::web::openapi::UnsupportedMediaType),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = 429, response = crate::web::openapi::TooManyRequests),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn check_unsaved(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<CheckAnswer>, AppError> {
    Ok(Json(state.connectors.check_unsaved(&caller, &body).await?))
}
