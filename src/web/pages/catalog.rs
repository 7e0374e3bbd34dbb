//! The Catalog tab: a grid of catalog entries with a search box and a
//! category filter; htmx asks for the grid alone as the filters change.

use super::page::{Layout, PageUser, layout, render};
use crate::service::catalog::{CatalogEntry, CatalogFilter};
use crate::web::AppState;
use crate::web::assets::{self, AssetUrls};
use crate::web::error::AppError;
use crate::web::{htmx, urls};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

struct CatalogCard {
    key: String,
    name: String,
    description: String,
    category: String,
    icon_url: String,
}

impl CatalogCard {
    /// The entry's "Add" dialog.
    fn add_url(&self) -> String {
        urls::form_new(&self.key)
    }
}

impl From<&CatalogEntry> for CatalogCard {
    fn from(e: &CatalogEntry) -> Self {
        CatalogCard {
            key: e.key.clone(),
            name: e.name.clone(),
            description: e.description.clone().unwrap_or_default(),
            category: e.category.clone(),
            icon_url: assets::icon_url(e.icon.as_deref()),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/catalog.html")]
struct CatalogPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    layout: Layout,
    entries: Vec<CatalogCard>,
    categories: Vec<String>,
    q: String,
    category: String,
}

#[derive(Template)]
#[template(path = "partials/catalog_grid.html")]
struct CatalogGrid {
    layout: Layout,
    entries: Vec<CatalogCard>,
}

#[derive(Deserialize, Default)]
pub(super) struct CatalogParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
}

pub(super) async fn catalog_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Query(params): Query<CatalogParams>,
) -> Result<Response, AppError> {
    let layout = layout(&state, &user, "catalog").await?;
    let all = state
        .connectors
        .catalog
        .list(state.store.as_ref(), &CatalogFilter::default())
        .await?;
    let mut categories: Vec<String> = all.iter().map(|e| e.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let filtered = state
        .connectors
        .catalog
        .list(
            state.store.as_ref(),
            &CatalogFilter {
                q: Some(params.q.clone()),
                category: Some(params.category.clone()),
            },
        )
        .await?;
    let entries: Vec<CatalogCard> = filtered.iter().map(CatalogCard::from).collect();
    if htmx::targets(&headers, "catalog-grid") {
        return Ok(render(&CatalogGrid { layout, entries }));
    }
    Ok(render(&CatalogPage {
        assets: assets::urls(),
        csrf_token: Some(layout.csrf_token.clone()),
        layout,
        entries,
        categories,
        q: params.q,
        category: params.category,
    }))
}
