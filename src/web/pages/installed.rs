//! The Installed tab: a grid of the tenant's connectors, and the card
//! actions that change one in place (activate, deactivate, delete). The
//! grid reloads itself on `connectors:changed`.

use super::page::{
    CHANGED_EVENT, Layout, PageAdmin, PageUser, capitalize_sentence, layout, render,
};
use crate::service::catalog::{CatalogEntry, CatalogFilter};
use crate::service::connectors::{ConnectorError, ConnectorStatus, ConnectorView, ListQuery};
use crate::web::AppState;
use crate::web::assets::{self, AssetUrls};
use crate::web::error::AppError;
use crate::web::htmx::{self, Trigger};
use crate::web::urls;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

pub struct InstalledCard {
    id: String,
    name: String,
    status: &'static str,
    status_message: Option<String>,
    catalog_name: String,
    icon_url: String,
    tags: Vec<String>,
}

impl InstalledCard {
    /// The connector's "Configure" dialog.
    fn edit_url(&self) -> String {
        urls::form_edit(&self.id)
    }

    /// Where "Activate" and "Deactivate" post.
    fn status_url(&self) -> String {
        urls::form_status(&self.id)
    }

    /// Where "Delete" sends its `DELETE`.
    fn delete_url(&self) -> String {
        urls::form(&self.id)
    }
}

fn card(view: &ConnectorView, catalog: &[CatalogEntry]) -> InstalledCard {
    let entry = catalog.iter().find(|e| e.key == view.catalog_key);
    InstalledCard {
        id: view.id.to_string(),
        name: view.name.clone(),
        status: view.status.as_str(),
        status_message: view.status_message.clone(),
        catalog_name: entry
            .map(|e| e.name.clone())
            .unwrap_or_else(|| view.catalog_key.clone()),
        icon_url: assets::icon_url(entry.and_then(|e| e.icon.as_deref())),
        tags: serde_json::from_str(view.tags.get()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "pages/installed.html")]
struct InstalledPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    layout: Layout,
    cards: Vec<InstalledCard>,
}

#[derive(Template)]
#[template(path = "partials/installed_grid.html")]
struct InstalledGrid {
    layout: Layout,
    cards: Vec<InstalledCard>,
}

#[derive(Template)]
#[template(path = "partials/installed_card.html")]
struct InstalledCardPartial {
    layout: Layout,
    c: InstalledCard,
}

/// The page shows up to this many connectors.
const PAGE_LIMIT: i64 = 200;

pub(super) async fn installed_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let layout = layout(&state, &user, "installed").await?;
    let catalog = state
        .connectors
        .catalog
        .list(state.store.as_ref(), &CatalogFilter::default())
        .await?;
    let page = state
        .connectors
        .list(
            &user.principal,
            &ListQuery {
                limit: Some(PAGE_LIMIT),
                ..Default::default()
            },
        )
        .await?;
    let cards: Vec<InstalledCard> = page.items.iter().map(|v| card(v, &catalog)).collect();
    if htmx::targets(&headers, "installed-grid") {
        return Ok(render(&InstalledGrid { layout, cards }));
    }
    Ok(render(&InstalledPage {
        assets: assets::urls(),
        csrf_token: Some(layout.csrf_token.clone()),
        layout,
        cards,
    }))
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
}

pub(super) async fn status_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StatusForm>,
) -> Result<Response, AppError> {
    let body = json!({"status": form.status});
    match state
        .connectors
        .update_json(&user.principal, &id, &body, None)
        .await
    {
        Ok(view) => {
            let catalog = state
                .connectors
                .catalog
                .list(state.store.as_ref(), &CatalogFilter::default())
                .await?;
            let layout = layout(&state, &user, "installed").await?;
            let verb = if view.status == ConnectorStatus::Active {
                "Activated"
            } else {
                "Deactivated"
            };
            let message = format!("{verb} “{}”.", view.name);
            let mut res = render(&InstalledCardPartial {
                layout,
                c: card(&view, &catalog),
            });
            Trigger::new().toast(&message).apply(&mut res);
            Ok(res)
        }
        Err(ConnectorError::Validation { message, errors }) => {
            let fields: Vec<String> = errors.keys().cloned().collect();
            let detail = if fields.is_empty() {
                String::new()
            } else {
                format!(" (check: {})", fields.join(", "))
            };
            let mut res = StatusCode::OK.into_response();
            htmx::reswap_none(&mut res);
            Trigger::new()
                .toast_at(
                    &format!(
                        "{}{detail}.",
                        capitalize_sentence(&message).trim_end_matches('.')
                    ),
                    "error",
                )
                .apply(&mut res);
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn delete_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let name = state.connectors.delete(&user.principal, &id).await?;
    let mut res = StatusCode::OK.into_response();
    Trigger::new()
        .toast(&format!("Deleted “{name}”."))
        .event(CHANGED_EVENT, Value::Bool(true))
        .apply(&mut res);
    Ok(res)
}
