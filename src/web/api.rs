//! The JSON API under `/features/connectors/api`.
//!
//! Handlers are thin: extract the caller (the tenant comes only from the
//! token or session), call the service, shape the response.

use super::AppState;
use super::auth::{Auth, RequireAdmin};
use super::error::AppError;
use super::extract::{Json as JsonBody, Query};
use crate::service::catalog::{self, CatalogEntry, CatalogFilter};
use crate::service::connectors::{AuditView, ConnectorView, ListQuery};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;

pub const PREFIX: &str = "/features/connectors/api";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(list_catalog))
        .route("/catalog/{key}", get(get_catalog))
        .route("/installed", get(list_installed))
        .route("/connectors", post(create_connector))
        .route(
            "/connectors/{id}",
            get(get_connector)
                .put(update_connector)
                .patch(update_connector)
                .delete(delete_connector),
        )
        .route("/connectors/{id}/credentials", get(read_credentials))
        .route("/validate-config", post(validate_config))
        .route("/publish-targets", get(publish_targets))
        .route("/audit", get(list_audit))
        // Connector data and credentials are never cached.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Every list answers `{"items": [...], "next_cursor": …}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    q: Option<String>,
    category: Option<String>,
}

async fn list_catalog(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Query(query): Query<CatalogQuery>,
) -> Result<Json<Page<CatalogEntry>>, AppError> {
    let filter = CatalogFilter {
        q: query.q,
        category: query.category,
    };
    let items = catalog::list(state.store.as_ref(), &filter).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

async fn get_catalog(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Path(key): Path<String>,
) -> Result<Json<CatalogEntry>, AppError> {
    Ok(Json(catalog::get(state.store.as_ref(), &key).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstalledQuery {
    status: Option<String>,
    catalog_key: Option<String>,
    tag: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list_installed(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<InstalledQuery>,
) -> Result<Json<Page<ConnectorView>>, AppError> {
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
    Ok(Json(Page {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

fn with_etag(status: StatusCode, view: ConnectorView) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.version)).ok();
    let mut res = (status, Json(view)).into_response();
    if let Some(tag) = etag {
        res.headers_mut().insert(ETAG, tag);
    }
    res
}

async fn create_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let view = state.connectors.install(&caller, &body).await?;
    let location = HeaderValue::from_str(&format!("{PREFIX}/connectors/{}", view.id)).ok();
    let mut res = with_etag(StatusCode::CREATED, view);
    if let Some(l) = location {
        res.headers_mut().insert(LOCATION, l);
    }
    Ok(res)
}

async fn get_connector(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = state.connectors.get(&caller, &id).await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// `If-Match: 3` or `If-Match: "3"` (or a weak `W/"3"`); `*` matches any.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(v) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i64>().map(Some).map_err(|_| {
        AppError::bad_request("If-Match must hold the connector's version, e.g. \"3\"")
    })
}

async fn update_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, AppError> {
    let expected = if_match(&headers)?;
    let view = state
        .connectors
        .update(&caller, &id, &body, expected)
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}

async fn delete_connector(
    State(state): State<AppState>,
    RequireAdmin(caller): RequireAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.connectors.delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn read_credentials(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Map<String, Value>>, AppError> {
    Ok(Json(state.connectors.credentials(&caller, &id).await?))
}

async fn validate_config(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, AppError> {
    state.connectors.validate_config(&body).await?;
    Ok(Json(json!({"valid": true})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsQuery {
    capability: Option<String>,
}

async fn publish_targets(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(q): Query<TargetsQuery>,
) -> Result<Json<Page<Value>>, AppError> {
    let cap = q
        .capability
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let items = state.connectors.publish_targets(&caller, cap).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    connector_id: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

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
