//! The JSON API under `/features/connectors/api`.
//!
//! Handlers are thin: extract the caller (the tenant comes only from the
//! token or session), call the service, shape the response.

use super::AppState;
use super::auth::{Auth, RequireAdmin};
use super::error::AppError;
use super::extract::{Json as JsonBody, Query};
use crate::service::catalog::{CatalogEntry, CatalogFilter};
use crate::service::connectors::{
    AuditView, ConnectorPatch, ConnectorView, InstallConnector, ListQuery, PublishTarget,
    ValidateConfig,
};
use crate::web::error::ErrorBody;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const PREFIX: &str = "/features/connectors/api";

/// The API's routes, each registered together with its OpenAPI operation
/// so the published document cannot drift from the router.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_catalog))
        .routes(routes!(get_catalog))
        .routes(routes!(list_installed))
        .routes(routes!(create_connector))
        .routes(routes!(get_connector, update_connector, delete_connector))
        .routes(routes!(read_credentials))
        .routes(routes!(validate_config))
        .routes(routes!(publish_targets))
        .routes(routes!(list_audit))
        // Connector data and credentials are never cached.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Every list answers `{"items": [...], "next_cursor": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A JSON answer written into a buffer of the given size reserved up front,
/// so that a page of connectors is not copied over and over as the buffer
/// grows.
struct SizedJson<T>(T, usize);

/// Room reserved per connector in a page: one is about 650 bytes of JSON.
const BYTES_PER_CONNECTOR: usize = 1024;

impl<T: Serialize> IntoResponse for SizedJson<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(self.1);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => (
                [(
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "an answer could not be written as JSON");
                AppError::internal().into_response()
            }
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Case-insensitive text to find in the name or description
    q: Option<String>,
    /// Exact category (case-insensitive)
    category: Option<String>,
}

/// List the catalog, each entry with its config and secrets schemas.
#[utoipa::path(get, path = "/catalog", tag = "catalog", params(CatalogQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Catalog entries", body = Page<CatalogEntry>),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
    ))]
async fn list_catalog(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Query(query): Query<CatalogQuery>,
) -> Result<Json<Page<CatalogEntry>>, AppError> {
    let filter = CatalogFilter {
        q: query.q,
        category: query.category,
    };
    let items = state
        .connectors
        .catalog
        .list(state.store.as_ref(), &filter)
        .await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// One catalog entry.
#[utoipa::path(get, path = "/catalog/{key}", tag = "catalog",
    params(("key" = String, Path, description = "Catalog key, e.g. wordpress")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The entry", body = CatalogEntry),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such key", body = ErrorBody),
    ))]
async fn get_catalog(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Path(key): Path<String>,
) -> Result<Json<CatalogEntry>, AppError> {
    Ok(Json(
        state
            .connectors
            .catalog
            .get(state.store.as_ref(), &key)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstalledQuery {
    /// inactive, active or error
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

/// The tenant's installed connectors, in creation order, a page at a time.
#[utoipa::path(get, path = "/installed", tag = "connectors", params(InstalledQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of connectors", body = Page<ConnectorView>),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "Invalid filter, limit or cursor", body = ErrorBody),
    ))]
async fn list_installed(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<InstalledQuery>,
) -> Result<impl IntoResponse, AppError> {
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
    let room = 64 + page.items.len() * BYTES_PER_CONNECTOR;
    Ok(SizedJson(
        Page {
            items: page.items,
            next_cursor: page.next_cursor,
        },
        room,
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

/// Install a connector from the catalog. It starts `inactive`.
#[utoipa::path(post, path = "/connectors", tag = "connectors", request_body = InstallConnector,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Installed; `Location` and `ETag` are set", body = ConnectorView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Needs the owner or admin role", body = ErrorBody),
        (status = 409, description = "The name is taken in this tenant", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation failed; `errors` by field", body = ErrorBody),
    ))]
async fn create_connector(
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

/// One connector of the tenant.
#[utoipa::path(get, path = "/connectors/{id}", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The connector; `ETag` holds its version", body = ConnectorView),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 404, description = "No such connector in this tenant", body = ErrorBody),
    ))]
async fn get_connector(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = state.connectors.get(&caller, &id).await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// `If-Match: 3` or `If-Match: "3"` (or a weak `W/"3"`); `*` matches any.
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

/// Partial update: fields left out stay; `auth` keys replace (string),
/// clear (null) or keep (absent) each secret; `If-Match` or `version`
/// guards against lost updates.
#[utoipa::path(method(put, patch), path = "/connectors/{id}", tag = "connectors",
    params(("id" = String, Path, description = "Connector id"),
        ("If-Match" = Option<String>, Header, description = "The version last seen, e.g. \"3\" (or *); any other value is refused with 400")),
    request_body = ConnectorPatch,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Updated; `ETag` holds the new version", body = ConnectorView),
        (status = 400, description = "Malformed JSON or If-Match", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Needs the owner or admin role", body = ErrorBody),
        (status = 404, description = "No such connector in this tenant", body = ErrorBody),
        (status = 409, description = "Name taken, or stored secrets unreadable", body = ErrorBody),
        (status = 412, description = "The version is not current; nothing changed", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation failed or transition not allowed", body = ErrorBody),
    ))]
async fn update_connector(
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

/// Delete a connector for good.
#[utoipa::path(delete, path = "/connectors/{id}", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Needs the owner or admin role", body = ErrorBody),
        (status = 404, description = "No such connector in this tenant", body = ErrorBody),
    ))]
async fn delete_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.connectors.delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The decrypted secrets of one connector. Needs a token created with
/// `--scope credentials:read`; every read is audited.
#[utoipa::path(get, path = "/connectors/{id}/credentials", tag = "connectors",
    params(("id" = String, Path, description = "Connector id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Secret name to value (`auth_schema`'s); when the config holds secrets of its own, also `config`: the config with them at their places", body = Object),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "The token lacks the credentials:read scope", body = ErrorBody),
        (status = 404, description = "No such connector in this tenant", body = ErrorBody),
        (status = 409, description = "The stored secrets cannot be decrypted", body = ErrorBody),
    ))]
async fn read_credentials(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Map<String, Value>>, AppError> {
    Ok(Json(state.connectors.credentials(&caller, &id).await?))
}

/// Check a config against a catalog entry without saving anything.
#[utoipa::path(post, path = "/validate-config", tag = "connectors", request_body = ValidateConfig,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Valid", body = Validity),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Invalid; `errors` by field", body = ErrorBody),
    ))]
async fn validate_config(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Validity>, AppError> {
    state.connectors.validate_config(&body).await?;
    Ok(Json(Validity { valid: true }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TargetsQuery {
    /// Keep targets whose capabilities have this name truthy
    capability: Option<String>,
    /// Page size, 1-200 (default 50)
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// Active connectors that can publish, for the content broadcaster, in
/// creation order, a page at a time.
#[utoipa::path(get, path = "/publish-targets", tag = "connectors", params(TargetsQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of publish targets", body = Page<PublishTarget>),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 422, description = "Invalid limit or cursor", body = ErrorBody),
    ))]
async fn publish_targets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<TargetsQuery>,
) -> Result<Json<Page<PublishTarget>>, AppError> {
    let cap = q
        .capability
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let page = state
        .connectors
        .publish_targets(&caller, cap, q.limit, q.cursor.as_deref())
        .await?;
    Ok(Json(Page {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events of this connector
    connector_id: Option<String>,
    /// Page size, 1-200 (default 50)
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page
    cursor: Option<String>,
}

/// Audit events of the tenant, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "A page of events", body = Page<AuditView>),
        (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Needs the owner or admin role", body = ErrorBody),
        (status = 422, description = "Invalid limit, cursor or connector id", body = ErrorBody),
    ))]
async fn list_audit(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Page<AuditView>>, AppError> {
    let page = state
        .connectors
        .audit(
            &caller,
            q.connector_id.as_deref(),
            q.limit,
            q.cursor.as_deref(),
        )
        .await?;
    Ok(Json(Page {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Answer of a successful `POST /validate-config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Validity {
    pub valid: bool,
}
