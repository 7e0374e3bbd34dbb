//! The Catalog tab: a grid of catalog entries with a search box (name,
//! description or category) and a category filter; htmx asks for the grid
//! alone as the filters change. Each card says how many connectors of its
//! entry the tenant has ("Installed (2)").

use super::page::{Layout, PageUser, layout, render};
use crate::service::catalog::{CatalogEntry, CatalogFilter};
use crate::service::connectors::{ListQuery, MAX_LIMIT};
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
    /// The category as people read it: capitalised.
    category: String,
    icon_url: String,
    /// How many connectors of this entry the tenant has.
    installed: usize,
}

impl CatalogCard {
    /// The entry's "Add" dialog.
    fn add_url(&self) -> String {
        urls::form_new(&self.key)
    }

    /// The Installed tab, showing this entry's connectors only.
    fn installed_url(&self) -> String {
        format!("{}?catalog_key={}", urls::INSTALLED, self.key)
    }

    fn of(e: &CatalogEntry, installed: usize) -> Self {
        CatalogCard {
            key: e.key.clone(),
            name: e.name.clone(),
            description: e.description.clone().unwrap_or_default(),
            category: capitalized(&e.category),
            icon_url: assets::icon_url(e.icon.as_deref()),
            installed,
        }
    }
}

/// A category as a label: its first letter in capitals ("Blogging").
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Template)]
#[template(path = "pages/catalog.html")]
struct CatalogPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    layout: Layout,
    entries: Vec<CatalogCard>,
    /// Each category's value and its label.
    categories: Vec<(String, String)>,
    q: String,
    category: String,
    filtered: bool,
}

#[derive(Template)]
#[template(path = "partials/catalog_grid.html")]
struct CatalogGrid {
    layout: Layout,
    entries: Vec<CatalogCard>,
    /// Whether the search or the category narrows the grid.
    filtered: bool,
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
    let mut names: Vec<String> = all.iter().map(|e| e.category.clone()).collect();
    names.sort();
    names.dedup();
    let categories = names
        .into_iter()
        .map(|c| {
            let label = capitalized(&c);
            (c, label)
        })
        .collect();
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
    // "Installed (2)": the tenant's connectors of each entry.
    let installed = state
        .connectors
        .list(
            &user.principal,
            &ListQuery {
                limit: Some(MAX_LIMIT),
                ..Default::default()
            },
        )
        .await?
        .items;
    let count = |key: &str| installed.iter().filter(|v| v.catalog_key == key).count();
    let entries: Vec<CatalogCard> = filtered
        .iter()
        .map(|e| CatalogCard::of(e, count(&e.key)))
        .collect();
    let narrowed = !params.q.trim().is_empty() || !params.category.trim().is_empty();
    if htmx::targets(&headers, "catalog-grid") {
        return Ok(render(&CatalogGrid {
            layout,
            entries,
            filtered: narrowed,
        }));
    }
    Ok(render(&CatalogPage {
        assets: assets::urls(),
        csrf_token: Some(layout.csrf_token.clone()),
        layout,
        entries,
        filtered: narrowed,
        categories,
        q: params.q,
        category: params.category,
    }))
}
