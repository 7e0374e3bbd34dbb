//! The tenant's installed connectors: list, install, read, replace,
//! update, delete, and the config check that saves nothing.

use super::examples::{self, CONNECTOR_ID};
use super::{AppState, ConnectorPage, PREFIX, Validity};
use crate::domain::status::ConnectorStatus;
use crate::service::connectors::{
    ConnectorPatch, ConnectorReplace, ConnectorView, InstallConnector, ListQuery, ValidateConfig,
    write_page_json,
};
use crate::web::auth::{Auth, RequireAdmin};
use crate::web::error::AppError;
use crate::web::extract::{Json as JsonBody, Query};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

/// Room reserved per connector in a page: one is about 650 bytes of JSON.
const BYTES_PER_CONNECTOR: usize = 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstalledQuery {
    /// Only connectors in this status
    #[param(value_type = Option<ConnectorStatus>)]
    status: Option<String>,
    /// Only connectors of this catalog entry
    catalog_key: Option<String>,
    /// Only connectors carrying this tag
    tag: Option<String>,
    /// Case-insensitive text to find in the name
    q: Option<String>,
    /// Page size, 1-200 (default 50)
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// List installed connectors
///
/// The tenant's installed connectors, in creation order, a page at a time:
/// pass a page's `next_cursor` as `cursor` for the next one, until it is
/// null.
#[utoipa::path(get, path = "/installed", tag = "connectors", operation_id = "connectors_list",
    params(InstalledQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of connectors", body = ConnectorPage,
            example = json!(examples::connector_page())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn list_installed(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<InstalledQuery>,
) -> Result<impl IntoResponse, AppError> {
    // The UI's filter form sends an empty status for "any"; the API names
    // a status or leaves the parameter out.
    if q.status.as_deref().is_some_and(str::is_empty) {
        let errors = [(
            "status".to_string(),
            vec![ConnectorStatus::EXPECTED.to_string()],
        )];
        return Err(AppError::validation(
            "the query is not valid",
            errors.into(),
        ));
    }
    let page = state
        .connectors
        .list(
            &caller,
            &ListQuery {
                status: q.status,
                catalog_key: q.catalog_key,
                tag: q.tag,
                q: q.q,
                limit: q.limit,
                cursor: q.cursor,
            },
        )
        .await?;
    // Written by hand, as `ConnectorPage`'s derive would (see
    // `write_page_json`), into a buffer reserved up front.
    let mut body = Vec::with_capacity(64 + page.items.len() * BYTES_PER_CONNECTOR);
    write_page_json(&page.items, page.next_cursor.as_deref(), &mut body);
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    ))
}

fn with_etag(status: StatusCode, view: ConnectorView) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.version)).ok();
    let mut res = (status, Json(view)).into_response();
    if let Some(tag) = etag {
        res.headers_mut().insert(ETAG, tag);
    }
    res
}

/// Install a connector
///
/// Installs a connector from the catalog entry `catalog_key` names, with
/// its config (validated against the entry's `default_config_schema`),
/// its secrets in `auth` and its tags. It starts `inactive` at version 1,
/// and may be installed before all its secrets are set.
#[utoipa::path(post, path = "/connectors", tag = "connectors", operation_id = "connectors_create",
    request_body(content = InstallConnector, example = json!(examples::install_body())),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 201, description = "Installed", body = ConnectorView,
            headers(
                ("Location" = String, description = "The new connector's URL path"),
                ("ETag" = String, description = "The connector's version, quoted: `\"1\"`"),
            ),
            example = json!(examples::installed())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 409, response = crate::web::openapi::Conflict),
        (status = 413, response = crate::web::openapi::PayloadTooLarge),
        (status = 415, response = crate::web::openapi::UnsupportedMediaType),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn create_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let cmd = state.connectors.read_install(&body).await?;
    let view = state.connectors.install(&caller, cmd).await?;
    let location = HeaderValue::from_str(&format!("{PREFIX}/connectors/{}", view.id)).ok();
    let mut res = with_etag(StatusCode::CREATED, view);
    if let Some(l) = location {
        res.headers_mut().insert(LOCATION, l);
    }
    Ok(res)
}

/// Get one connector
///
/// One connector of the tenant; another tenant's answers 404, like a
/// missing one. `secrets` says which secrets are set, never what they are.
#[utoipa::path(get, path = "/connectors/{id}", tag = "connectors", operation_id = "connectors_get",
    params(("id" = uuid::Uuid, Path, description = "Connector id", example = json!(CONNECTOR_ID))),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The connector", body = ConnectorView,
            headers(("ETag" = String, description = "The connector's version, quoted, e.g. `\"3\"`")),
            example = json!(examples::installed())),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn get_connector(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = state.connectors.get(&caller, &id).await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// `If-Match: 3` or `If-Match: "3"` (or a weak `W/"3"`); `*` matches any.
/// The operations' `If-Match` parameters state the same as a pattern.
/// Anything else — a value that is not visible ASCII, not a version, or
/// more than one header — is refused, never read as "no check".
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let mut values = headers.get_all(IF_MATCH).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    let refuse = || {
        AppError::bad_request("If-Match must hold one version of the connector, e.g. \"3\", or *")
    };
    if values.next().is_some() {
        return Err(refuse());
    }
    let text = v.to_str().map_err(|_| refuse())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let version = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag);
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    version.parse::<i64>().map(Some).map_err(|_| refuse())
}

/// Replace a connector
///
/// A whole replacement of what a client sets: `name`, `config`, `tags`
/// and `status` are required, a `status_message` left out is cleared, and
/// every secret `auth` does not name is cleared. Use `PATCH` to change
/// some fields and keep the rest. `If-Match` (or `version` in the body)
/// guards against lost updates: a version that is not current answers
/// 412 and changes nothing.
#[utoipa::path(put, path = "/connectors/{id}", tag = "connectors", operation_id = "connectors_replace",
    params(("id" = uuid::Uuid, Path, description = "Connector id", example = json!(CONNECTOR_ID)),
        ("If-Match" = Option<String>, Header, nullable = false, example = "\"1\"", pattern = r#"^\s*(\*|(W/)?("[0-9]{1,19}"|[0-9]{1,19}))\s*$"#,
            description = "The version last seen, bare or quoted (`3`, `\"3\"`, `W/\"3\"`), or `*`; any other value answers 400")),
    request_body(content = ConnectorReplace, example = json!(examples::replace_body())),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Replaced", body = ConnectorView,
            headers(("ETag" = String, description = "The new version, quoted, e.g. `\"2\"`")),
            example = json!(examples::updated())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = 409, response = crate::web::openapi::Conflict),
        (status = 412, response = crate::web::openapi::PreconditionFailed),
        (status = 413, response = crate::web::openapi::PayloadTooLarge),
        (status = 415, response = crate::web::openapi::UnsupportedMediaType),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn replace_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let expected = if_match(&headers)?;
    let replacement = ConnectorPatch::parse_replace(&body)?;
    let view = state
        .connectors
        .update(&caller, &id, replacement, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// Update a connector
///
/// A partial update: fields left out stay as they are. `config`, when
/// given, replaces the whole config and is validated; each key of `auth`
/// replaces (a string), clears (null) or, left out, keeps that secret.
/// `status` may move inactive ↔ active, any → error (with an optional
/// `status_message`) and error → inactive; activating needs a valid config
/// and every required secret. `If-Match` (or `version` in the body) guards
/// against lost updates: a version that is not current answers 412 and
/// changes nothing.
#[utoipa::path(patch, path = "/connectors/{id}", tag = "connectors", operation_id = "connectors_update",
    params(("id" = uuid::Uuid, Path, description = "Connector id", example = json!(CONNECTOR_ID)),
        ("If-Match" = Option<String>, Header, nullable = false, example = "\"1\"", pattern = r#"^\s*(\*|(W/)?("[0-9]{1,19}"|[0-9]{1,19}))\s*$"#,
            description = "The version last seen, bare or quoted (`3`, `\"3\"`, `W/\"3\"`), or `*`; any other value answers 400")),
    request_body(content = ConnectorPatch, example = json!(examples::patch_body())),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Updated", body = ConnectorView,
            headers(("ETag" = String, description = "The new version, quoted, e.g. `\"2\"`")),
            example = json!(examples::updated())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = 409, response = crate::web::openapi::Conflict),
        (status = 412, response = crate::web::openapi::PreconditionFailed),
        (status = 413, response = crate::web::openapi::PayloadTooLarge),
        (status = 415, response = crate::web::openapi::UnsupportedMediaType),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn update_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let expected = if_match(&headers)?;
    let patch = ConnectorPatch::parse(&body)?;
    let view = state
        .connectors
        .update(&caller, &id, patch, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// Delete a connector
///
/// Deletes the connector and its secrets for good; its audit events stay.
#[utoipa::path(delete, path = "/connectors/{id}", tag = "connectors", operation_id = "connectors_delete",
    params(("id" = uuid::Uuid, Path, description = "Connector id", example = json!(CONNECTOR_ID))),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 403, response = crate::web::openapi::Forbidden),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn delete_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.connectors.delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validate a config
///
/// Checks a config against the catalog entry `catalog_key` names, without
/// saving anything: 200 when it is valid, 422 naming each problem at its
/// dotted path otherwise.
#[utoipa::path(post, path = "/validate-config", tag = "connectors", operation_id = "connectors_validate_config",
    request_body(content = ValidateConfig, example = json!(examples::validate_body())),
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Valid", body = Validity, example = json!({"valid": true})),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 413, response = crate::web::openapi::PayloadTooLarge),
        (status = 415, response = crate::web::openapi::UnsupportedMediaType),
        (status = 422, response = crate::web::openapi::ValidationFailed),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn validate_config(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Validity>, AppError> {
    state.connectors.validate_config(&body).await?;
    Ok(Json(Validity { valid: true }))
}
