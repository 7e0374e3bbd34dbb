//! What the content broadcaster reads: where it can publish, and the
//! credentials to publish with.

use super::examples::{self, CONNECTOR_ID};
use super::{AppState, PublishTargetPage};
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::extract::Query;
use axum::extract::{Path, State};
use axum::response::Json;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TargetsQuery {
    /// Keep targets whose capabilities have this name truthy, e.g. supports_scheduling
    capability: Option<String>,
    /// Page size, 1-200 (default 50)
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// List publish targets
///
/// The tenant's active connectors whose catalog entry can publish
/// (`capabilities.publish: true`), with their capabilities, in creation
/// order, a page at a time.
#[utoipa::path(get, path = "/publish-targets", tag = "broadcaster", operation_id = "broadcaster_publish_targets",
    params(TargetsQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of publish targets", body = PublishTargetPage,
            example = json!(examples::publish_targets())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn publish_targets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<TargetsQuery>,
) -> Result<Json<PublishTargetPage>, AppError> {
    let cap = q
        .capability
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let page = state
        .connectors
        .publish_targets(&caller, cap, q.limit, q.cursor.as_deref())
        .await?;
    Ok(Json(PublishTargetPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Read a connector's credentials
///
/// The decrypted secrets of one connector, secret name to value. Needs a
/// token created with `--scope credentials:read` (sessions and other
/// tokens answer 403); every read is audited as
/// `connector.credentials_read`.
#[utoipa::path(get, path = "/connectors/{id}/credentials", tag = "broadcaster", operation_id = "broadcaster_credentials",
    params(("id" = uuid::Uuid, Path, description = "Connector id", example = json!(CONNECTOR_ID))),
    security(("bearer" = ["credentials:read"])),
    responses(
        (status = 200, description = "Secret name to value (`auth_schema`'s; a secret that is not set is left out); when the config holds secrets of its own (or sealed values of fields a re-imported schema no longer marks secret), also `config`: the config with them at their places",
            body = BTreeMap<String, serde_json::Value>, example = json!(examples::credentials())),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = 409, response = crate::web::openapi::Conflict),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn read_credentials(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Map<String, serde_json::Value>>, AppError> {
    Ok(Json(state.connectors.credentials(&caller, &id).await?))
}
