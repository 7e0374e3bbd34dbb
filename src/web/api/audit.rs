//! The tenant's audit events.

use super::examples;
use super::{AppState, AuditPage};
use crate::web::auth::RequireAdmin;
use crate::web::error::AppError;
use crate::web::extract::Query;
use axum::extract::State;
use axum::response::Json;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events of this connector
    #[param(value_type = Option<uuid::Uuid>)]
    connector_id: Option<String>,
    /// Page size, 1-200 (default 50)
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// List audit events
///
/// The tenant's audit events, newest first, a page at a time: every
/// create, update, status change, secret change, delete and credentials
/// read, with who did it and the names of what changed (never a secret's
/// value). Needs the owner or admin role.
#[utoipa::path(get, path = "/audit", tag = "audit", operation_id = "audit_list",
    params(AuditQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of events", body = AuditPage,
            example = json!(examples::audit_page())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn list_audit(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, AppError> {
    let page = state
        .connectors
        .audit(
            &caller,
            q.connector_id.as_deref(),
            q.limit,
            q.cursor.as_deref(),
        )
        .await?;
    Ok(Json(AuditPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
