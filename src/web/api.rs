//! The JSON API under `/features/connectors/api`.

use super::AppState;
use super::auth::Auth;
use super::error::AppError;
use super::extract::Query;
use crate::service::catalog::{self, CatalogEntry, CatalogFilter};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Json;
use axum::routing::get;
use serde::{Deserialize, Serialize};

pub const PREFIX: &str = "/features/connectors/api";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/catalog", get(list_catalog))
        .route("/catalog/{key}", get(get_catalog))
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
