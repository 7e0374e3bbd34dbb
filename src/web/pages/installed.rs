//! The Installed tab: a grid of the tenant's connectors with a search box
//! and status, type and tag filters (htmx asks for the grid alone as they
//! change, and the address keeps them), and the card actions that change
//! one connector in place (activate, deactivate, test the connection,
//! delete). The grid reloads itself on `connectors:changed`.

use super::cards::{self, InstalledCard, and_list, field_title, in_sentence};
use super::page::{
    CHANGED_EVENT, Layout, PageAdmin, PageUser, capitalize_sentence, layout, render,
};
use crate::domain::time;
use crate::service::catalog::{CatalogEntry, CatalogFilter};
use crate::service::connectors::{ConnectorError, ConnectorStatus, ConnectorView, ListQuery};
use crate::web::AppState;
use crate::web::assets::{self, AssetUrls};
use crate::web::error::{AppError, FieldErrors};
use crate::web::htmx::{self, Trigger};
use crate::web::urls;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Template)]
#[template(path = "pages/installed.html")]
struct InstalledPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    layout: Layout,
    grid: Grid,
    filters: Filters,
}

/// The grid and what its empty state needs to say.
struct Grid {
    cards: Vec<InstalledCard>,
    /// Whether any filter narrows the list.
    filtered: bool,
    /// Where the grid reloads itself from: this page with its filters.
    reload_url: String,
}

#[derive(Template)]
#[template(path = "partials/installed_grid.html")]
struct InstalledGrid {
    layout: Layout,
    grid: Grid,
}

#[derive(Template)]
#[template(path = "partials/installed_card.html")]
struct InstalledCardPartial {
    layout: Layout,
    c: InstalledCard,
}

/// The filter form: the values chosen and the choices offered.
struct Filters {
    q: String,
    status: String,
    tag: String,
    catalog_key: String,
    /// Every tag the tenant's connectors carry, sorted.
    tags: Vec<String>,
    /// The catalog entries the tenant has connectors of: key and name.
    types: Vec<(String, String)>,
}

impl Filters {
    fn statuses(&self) -> [(&'static str, &'static str); 3] {
        [
            ("active", "Active"),
            ("inactive", "Inactive"),
            ("error", "Error"),
        ]
    }
}

/// The page shows up to this many connectors.
const PAGE_LIMIT: i64 = 200;

#[derive(Deserialize, Default)]
pub(super) struct InstalledParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    catalog_key: String,
}

impl InstalledParams {
    /// The filters as the list takes them: a status that is none of the
    /// three is no filter.
    fn query(&self) -> ListQuery {
        let some = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        };
        ListQuery {
            q: some(&self.q),
            status: some(&self.status).filter(|s| ConnectorStatus::parse(s).is_some()),
            tag: some(&self.tag),
            catalog_key: some(&self.catalog_key),
            limit: Some(PAGE_LIMIT),
            cursor: None,
        }
    }

    /// This page's address with the filters that are set.
    fn url(&self, query: &ListQuery) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("q", query.q.as_deref()),
            ("status", query.status.as_deref()),
            ("catalog_key", query.catalog_key.as_deref()),
            ("tag", query.tag.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        if pairs.is_empty() {
            return urls::INSTALLED.to_string();
        }
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("{}?{encoded}", urls::INSTALLED)
    }
}

async fn catalog(state: &AppState) -> Result<Vec<CatalogEntry>, AppError> {
    Ok(state
        .connectors
        .catalog
        .list(state.store.as_ref(), &CatalogFilter::default())
        .await?)
}

pub(super) async fn installed_page(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Query(params): Query<InstalledParams>,
) -> Result<Response, AppError> {
    let layout = layout(&state, &user, "installed").await?;
    let catalog = catalog(&state).await?;
    let query = params.query();
    let filtered = query.q.is_some()
        || query.status.is_some()
        || query.tag.is_some()
        || query.catalog_key.is_some();
    let reload_url = params.url(&query);
    let page = state.connectors.list(&user.principal, &query).await?;
    let now = time::now();
    let cards: Vec<InstalledCard> = page
        .items
        .iter()
        .map(|v| cards::card(v, &catalog, now))
        .collect();
    let grid = Grid {
        cards,
        filtered,
        reload_url,
    };
    if htmx::targets(&headers, "installed-grid") {
        return Ok(render(&InstalledGrid { layout, grid }));
    }
    // The filters offer the tags and types the tenant has.
    let all = if filtered {
        state
            .connectors
            .list(
                &user.principal,
                &ListQuery {
                    limit: Some(PAGE_LIMIT),
                    ..Default::default()
                },
            )
            .await?
            .items
    } else {
        page.items
    };
    let mut tags: Vec<String> = all
        .iter()
        .flat_map(|v| serde_json::from_str::<Vec<String>>(v.tags.get()).unwrap_or_default())
        .collect();
    tags.sort();
    tags.dedup();
    let types: Vec<(String, String)> = catalog
        .iter()
        .filter(|e| all.iter().any(|v| v.catalog_key == e.key))
        .map(|e| (e.key.clone(), e.name.clone()))
        .collect();
    let filters = Filters {
        q: params.q,
        status: query.status.unwrap_or_default(),
        tag: query.tag.unwrap_or_default(),
        catalog_key: query.catalog_key.unwrap_or_default(),
        tags,
        types,
    };
    Ok(render(&InstalledPage {
        assets: assets::urls(),
        csrf_token: Some(layout.csrf_token.clone()),
        layout,
        grid,
        filters,
    }))
}

/// A refused action in words: the secrets to add and the settings to fix
/// before the connector can `goal` ("activate", "test the connection").
fn refusal_words(
    entry: Option<&CatalogEntry>,
    view: &ConnectorView,
    message: &str,
    errors: &FieldErrors,
    goal: &str,
) -> String {
    let config: Value = serde_json::from_str(view.config.get()).unwrap_or(Value::Null);
    let states = view.secrets.to_map();
    let (add, fix): (Vec<&String>, Vec<&String>) = errors
        .iter()
        .filter(|(path, _)| path.starts_with("auth.") || path.starts_with("config."))
        .map(|(path, _)| path)
        .partition(|path| {
            path.starts_with("auth.")
                || (errors[*path].iter().any(|m| m.contains("required"))
                    && states.contains_key(path.as_str()))
        });
    let titles = |paths: &[&String]| -> Vec<String> {
        paths
            .iter()
            .map(|p| field_title(entry, &config, p))
            .collect()
    };
    let mut words = Vec::new();
    if !add.is_empty() {
        let list: Vec<String> = titles(&add).iter().map(|t| in_sentence(t)).collect();
        words.push(format!("Add the {} to {goal}.", and_list(&list)));
    }
    if !fix.is_empty() {
        words.push(format!(
            "Fix {} in Configure to {goal}.",
            and_list(&titles(&fix))
        ));
    }
    if words.is_empty() {
        capitalize_sentence(message)
    } else {
        words.join(" ")
    }
}

/// The card of connector `id` as it is now, saying why `refusal` if set.
async fn card_response(
    state: &AppState,
    user: &PageUser,
    view: &ConnectorView,
    refusal: Option<String>,
) -> Result<Response, AppError> {
    let catalog = catalog(state).await?;
    let layout = layout(state, user, "installed").await?;
    let mut c = cards::card(view, &catalog, time::now());
    c.refusal = refusal;
    Ok(render(&InstalledCardPartial { layout, c }))
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
    let refusal = match state
        .connectors
        .update_json(&user.principal, &id, &body, None)
        .await
    {
        Ok(view) => {
            let verb = if view.status == ConnectorStatus::Active {
                "Activated"
            } else {
                "Deactivated"
            };
            let message = format!("{verb} “{}”.", view.name);
            let mut res = card_response(&state, &user, &view, None).await?;
            Trigger::new().toast(&message).apply(&mut res);
            return Ok(res);
        }
        Err(ConnectorError::Validation { message, errors }) => {
            let view = state.connectors.get(&user.principal, &id).await?;
            let catalog = catalog(&state).await?;
            let entry = catalog.iter().find(|e| e.key == view.catalog_key);
            let goal = if form.status == "active" {
                "activate"
            } else {
                "change its status"
            };
            let words = refusal_words(entry, &view, &message, &errors, goal);
            (view, words)
        }
        Err(e @ (ConnectorError::CheckFailed { .. } | ConnectorError::SecretsUnreadable)) => {
            let view = state.connectors.get(&user.principal, &id).await?;
            let words = match &e {
                ConnectorError::CheckFailed { message, .. } => format!(
                    "Not activated: the connection check failed. {}",
                    capitalize_sentence(message)
                ),
                other => capitalize_sentence(&other.to_string()),
            };
            (view, words)
        }
        Err(e) => return Err(e.into()),
    };
    let (view, words) = refusal;
    card_response(&state, &user, &view, Some(words)).await
}

/// "Test connection" on a card: checks the stored connector, keeps the
/// result as its last check, and answers the card as it is now.
pub(super) async fn check_submit(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let refusal = match state
        .connectors
        .check_connector(&user.principal, &id, None)
        .await
    {
        Ok(answer) if answer.valid => None,
        Ok(answer) => {
            let view = state.connectors.get(&user.principal, &id).await?;
            let catalog = catalog(&state).await?;
            let entry = catalog.iter().find(|e| e.key == view.catalog_key);
            Some(refusal_words(
                entry,
                &view,
                "the connector's values do not validate",
                &answer.errors,
                "test the connection",
            ))
        }
        Err(e @ (ConnectorError::CheckRateLimited { .. } | ConnectorError::SecretsUnreadable)) => {
            Some(capitalize_sentence(&e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let view = state.connectors.get(&user.principal, &id).await?;
    card_response(&state, &user, &view, refusal).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_keeps_the_filters_that_are_set() {
        let p = InstalledParams {
            q: " blog ".into(),
            status: "nonsense".into(),
            tag: "a b".into(),
            catalog_key: String::new(),
        };
        let q = p.query();
        assert_eq!(q.q.as_deref(), Some("blog"));
        assert_eq!(q.status, None, "an unknown status filters nothing");
        assert_eq!(p.url(&q), format!("{}?q=blog&tag=a+b", urls::INSTALLED));
        assert_eq!(
            InstalledParams::default().url(&InstalledParams::default().query()),
            urls::INSTALLED
        );
    }
}
