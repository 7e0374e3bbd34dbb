//! The catalog: every tenant reads the same entries.

use super::examples;
use super::{AppState, CatalogPage};
use crate::service::catalog::{CatalogEntry, CatalogFilter};
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
pub struct CatalogQuery {
    /// Case-insensitive text to find in the name, description or category
    q: Option<String>,
    /// Exact category (case-insensitive), e.g. blogging
    category: Option<String>,
}

/// List the catalog
///
/// Every catalog entry, each with the JSON Schemas of its config
/// (`default_config_schema`) and of its secrets (`auth_schema`), filtered
/// by `q` and `category`. The catalog is the same for every tenant.
#[utoipa::path(get, path = "/catalog", tag = "catalog", operation_id = "catalog_list",
    params(CatalogQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Catalog entries", body = CatalogPage,
            example = json!(examples::catalog_page())),
        (status = 400, response = crate::web::openapi::BadRequest),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn list_catalog(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    Query(query): Query<CatalogQuery>,
) -> Result<Json<CatalogPage>, AppError> {
    let filter = CatalogFilter {
        q: query.q,
        category: query.category,
    };
    let items = state
        .connectors
        .catalog
        .list(state.store.as_ref(), &filter)
        .await?;
    Ok(Json(CatalogPage {
        items,
        next_cursor: None,
    }))
}

/// Get one catalog entry
///
/// The entry with this key, with its full config and secrets schemas.
#[utoipa::path(get, path = "/catalog/{key}", tag = "catalog", operation_id = "catalog_get",
    params(("key" = String, Path, description = "Catalog key", example = "wordpress")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The entry", body = CatalogEntry,
            example = json!(examples::catalog_entry())),
        (status = 401, response = crate::web::openapi::Unauthorized),
        (status = 404, response = crate::web::openapi::NotFound),
        (status = "default", response = crate::web::openapi::UnexpectedError),
    ))]
pub(super) async fn get_catalog(
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
