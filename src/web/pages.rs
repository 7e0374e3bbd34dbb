//! The web UI: sign-in, the Catalog and Installed pages, and the modal
//! forms. Server-rendered with askama (auto-escaping), driven by htmx.
//! Form submissions go through the same service calls as the JSON API.

use super::AppState;
use super::assets::{self, AssetUrls};
use super::auth::{SessionInfo, check_csrf, cookie, same_origin, session_from};
use super::error::AppError;
use super::form::{self, Field, FormData, Item};
use crate::domain::identity::{Principal, Tenant};
use crate::domain::validation::FieldErrors;
use crate::service::catalog::{CatalogEntry, CatalogFilter};
use crate::service::connectors::{ConnectorError, ConnectorView, ListQuery};
use crate::service::sessions::{self, COOKIE_NAME, LoginError};
use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, RETRY_AFTER, SET_COOKIE, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use tower_http::set_header::SetResponseHeaderLayer;

pub const CATALOG_PATH: &str = "/features/connectors/catalog";
pub const INSTALLED_PATH: &str = "/features/connectors/installed";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to(CATALOG_PATH) }))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/switch-tenant", post(switch_tenant))
        .route(CATALOG_PATH, get(catalog_page))
        .route(INSTALLED_PATH, get(installed_page))
        .route(
            "/features/connectors/forms/new/{key}",
            get(new_form).post(create_submit),
        )
        .route(
            "/features/connectors/forms/{id}/edit",
            get(edit_form).post(edit_submit),
        )
        .route(
            "/features/connectors/forms/{id}/status",
            post(status_submit),
        )
        .route(
            "/features/connectors/forms/{id}",
            axum::routing::delete(delete_submit),
        )
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::appending(
            VARY,
            HeaderValue::from_static("HX-Request"),
        ))
}

// ------------------------------------------------------------- plumbing

/// Renders a template; a rendering failure is an internal error.
fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            AppError::internal().into_response()
        }
    }
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

fn hx_target(headers: &HeaderMap) -> Option<&str> {
    headers.get("hx-target").and_then(|v| v.to_str().ok())
}

/// Sends the browser to the sign-in page (htmx follows `HX-Redirect`).
fn to_login(headers: &HeaderMap) -> Response {
    if is_htmx(headers) {
        let mut res = StatusCode::OK.into_response();
        res.headers_mut()
            .insert("hx-redirect", HeaderValue::from_static("/login"));
        res
    } else {
        Redirect::to("/login").into_response()
    }
}

/// A signed-in browser user. Unsafe methods must carry the CSRF token.
pub struct PageUser {
    pub principal: Principal,
    pub session: SessionInfo,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let found = session_from(&parts.headers, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some((principal, session)) = found else {
            return Err(to_login(&parts.headers));
        };
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            check_csrf(&parts.headers, &session, None).map_err(IntoResponse::into_response)?;
        }
        parts.extensions.insert(principal.clone());
        Ok(PageUser { principal, session })
    }
}

/// A signed-in owner or admin.
pub struct PageAdmin(pub PageUser);

impl FromRequestParts<AppState> for PageAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user = PageUser::from_request_parts(parts, state).await?;
        if user.principal.role.can_write() {
            Ok(PageAdmin(user))
        } else {
            Err(
                AppError::forbidden("this action needs the owner or admin role in the tenant")
                    .into_response(),
            )
        }
    }
}

/// What the header shows.
pub struct Layout {
    pub email: String,
    pub role: &'static str,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub tenants: Vec<Tenant>,
    pub csrf_token: String,
    pub can_write: bool,
    pub tab: &'static str,
}

async fn layout(state: &AppState, user: &PageUser, tab: &'static str) -> Result<Layout, AppError> {
    let tenants = sessions::tenants(state.store.as_ref(), &user.principal).await?;
    let tenant_name = tenants
        .iter()
        .find(|t| t.id == user.principal.tenant_id)
        .map(|t| t.name.clone())
        .unwrap_or_else(|| user.principal.tenant_slug.clone());
    Ok(Layout {
        email: user.principal.email.clone(),
        role: user.principal.role.as_str(),
        tenant_slug: user.principal.tenant_slug.clone(),
        tenant_name,
        tenants,
        csrf_token: user.session.csrf_token.clone(),
        can_write: user.principal.role.can_write(),
        tab,
    })
}

/// An `HX-Trigger` header value: JSON with every non-ASCII character
/// escaped, since header values are not UTF-8.
fn trigger(events: Value) -> HeaderValue {
    let mut ascii = String::new();
    for c in events.to_string().chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                ascii.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    HeaderValue::from_str(&ascii).unwrap_or_else(|_| HeaderValue::from_static("{}"))
}

fn toast_only(message: &str, level: &str) -> Response {
    let mut res = StatusCode::OK.into_response();
    let h = res.headers_mut();
    h.insert("hx-reswap", HeaderValue::from_static("none"));
    h.insert(
        "hx-trigger",
        trigger(json!({"toast": {"message": message, "level": level}})),
    );
    res
}

/// A submitted connector form, turned into the API's JSON body.
struct Submission {
    name: String,
    tags_text: String,
    config: Value,
    /// `name`, `config`, `auth` and `tags`, as the API takes them.
    body: Value,
    /// The version the form was opened at (edit forms).
    version: Option<i64>,
}

impl Submission {
    fn decode(entry: &CatalogEntry, data: FormData) -> Submission {
        let first = |k: &str| data.get(k).and_then(|v| v.first()).cloned();
        let config = form::decode_config(&entry.default_config_schema, &data);
        let name = first("name").unwrap_or_default();
        let body = json!({
            "name": name,
            "config": config,
            "auth": form::decode_auth(&entry.auth_schema, &data),
            "tags": form::decode_tags(&data),
        });
        Submission {
            tags_text: first("tags").unwrap_or_default(),
            version: first("version").and_then(|v| v.parse::<i64>().ok()),
            name,
            config,
            body,
        }
    }
}

fn form_data(pairs: Vec<(String, String)>) -> FormData {
    let mut map: FormData = HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_default().push(v);
    }
    map
}

// ---------------------------------------------------------------- sign-in

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    /// The sign-in form's own token, bound to its pre-session cookie.
    login_token: String,
    error: Option<String>,
    email: String,
}

/// The sign-in page, with the form bound to the pre-session cookie the
/// browser sent (while it is young enough) or to a new one it is given.
fn login_response(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Response {
    let form = sessions::login_form(
        &state.connectors.keys,
        cookie(headers, sessions::LOGIN_COOKIE_NAME),
    );
    let mut res = render(&LoginPage {
        assets: assets::urls(),
        csrf_token: None,
        login_token: form.token,
        error: error.map(str::to_string),
        email: email.to_string(),
    });
    *res.status_mut() = status;
    if form.new_cookie {
        res.headers_mut().append(
            SET_COOKIE,
            login_cookie(
                &form.cookie_value,
                sessions::LOGIN_FORM_MINUTES * 60,
                state.settings.cookie_secure,
            ),
        );
    }
    res
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = session_from(&headers, &state).await {
        return Redirect::to(CATALOG_PATH).into_response();
    }
    login_response(&state, &headers, StatusCode::OK, None, "")
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let mut c = format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}");
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The sign-in form's pre-session cookie, sent only to `/login`.
fn login_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let mut c = format!(
        "{}={value}; Path=/login; HttpOnly; SameSite=Lax; Max-Age={max_age}",
        sessions::LOGIN_COOKIE_NAME
    );
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let page = |status: StatusCode, message: &str, email: &str| {
        login_response(&state, &headers, status, Some(message), email)
    };
    if !same_origin(&headers) {
        return page(
            StatusCode::FORBIDDEN,
            "This sign-in form must be sent from this site.",
            "",
        );
    }
    // The email as typed is shown again in the form, less anything that
    // cannot be part of an address.
    let email: String = form
        .email
        .chars()
        .filter(|c| !c.is_control())
        .take(320)
        .collect();
    if !sessions::login_form_matches(
        &state.connectors.keys,
        cookie(&headers, sessions::LOGIN_COOKIE_NAME),
        &form.csrf,
    ) {
        return page(
            StatusCode::FORBIDDEN,
            "This sign-in form has expired or was not sent from this site. Reload the page and sign in again.",
            &email,
        );
    }
    let password = SecretString::from(form.password);
    match sessions::login(
        state.store.as_ref(),
        &state.password_checks,
        &form.email,
        &password,
        &peer.ip().to_string(),
    )
    .await
    {
        Ok(session) => {
            let mut res = Redirect::to(CATALOG_PATH).into_response();
            res.headers_mut().append(
                SET_COOKIE,
                session_cookie(
                    session.cookie_value.expose_secret(),
                    sessions::ABSOLUTE_TIMEOUT_HOURS * 3600,
                    state.settings.cookie_secure,
                ),
            );
            res.headers_mut().append(
                SET_COOKIE,
                login_cookie("", 0, state.settings.cookie_secure),
            );
            res
        }
        Err(LoginError::Invalid) => page(
            StatusCode::UNAUTHORIZED,
            "Invalid email or password.",
            &email,
        ),
        Err(LoginError::Throttled) => page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many failed sign-ins. Wait a few minutes and try again.",
            &email,
        ),
        Err(LoginError::Busy) => {
            let mut res = page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is busy right now. Try again in a moment.",
                &email,
            );
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("2"));
            res
        }
        Err(LoginError::Service(e)) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    tenant: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    match session_from(&headers, &state).await {
        Ok(Some((_, session))) => {
            if let Err(e) = check_csrf(&headers, &session, Some(&form.csrf)) {
                return e.into_response();
            }
            if let Err(e) = sessions::logout(
                state.store.as_ref(),
                &SecretString::from(session.cookie_value),
            )
            .await
            {
                return AppError::from(e).into_response();
            }
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        SET_COOKIE,
        session_cookie("", 0, state.settings.cookie_secure),
    );
    res
}

async fn switch_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    let Ok(Some((principal, session))) = session_from(&headers, &state).await else {
        return to_login(&headers);
    };
    if let Err(e) = check_csrf(&headers, &session, Some(&form.csrf)) {
        return e.into_response();
    }
    match sessions::switch_tenant(
        state.store.as_ref(),
        &principal,
        &session.cookie_value,
        &form.tenant,
    )
    .await
    {
        Ok(()) => Redirect::to(CATALOG_PATH).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

// ------------------------------------------------------------------ pages

struct CatalogCard {
    key: String,
    name: String,
    description: String,
    category: String,
    icon_url: String,
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
struct CatalogParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
}

async fn catalog_page(
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
    if is_htmx(&headers) && hx_target(&headers) == Some("catalog-grid") {
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

pub struct InstalledCard {
    id: String,
    name: String,
    status: String,
    status_message: Option<String>,
    catalog_name: String,
    icon_url: String,
    tags: Vec<String>,
}

fn card(view: &ConnectorView, catalog: &[CatalogEntry]) -> InstalledCard {
    let entry = catalog.iter().find(|e| e.key == view.catalog_key);
    InstalledCard {
        id: view.id.clone(),
        name: view.name.clone(),
        status: view.status.clone(),
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

async fn installed_page(
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
    if is_htmx(&headers) && hx_target(&headers) == Some("installed-grid") {
        return Ok(render(&InstalledGrid { layout, cards }));
    }
    Ok(render(&InstalledPage {
        assets: assets::urls(),
        csrf_token: Some(layout.csrf_token.clone()),
        layout,
        cards,
    }))
}

// ------------------------------------------------------------------ forms

#[derive(Template)]
#[template(path = "partials/connector_form.html")]
struct ConnectorForm {
    title: String,
    icon_url: String,
    action: String,
    submit_label: &'static str,
    version: Option<i64>,
    general_errors: Vec<String>,
    basics: Vec<Field>,
    config: Vec<Item>,
    secrets: Vec<Field>,
}

fn basic_field(
    name: &str,
    label: &str,
    help: &str,
    value: &str,
    required: bool,
    errors: &FieldErrors,
) -> Field {
    Field {
        id: format!("f-{name}"),
        name: name.to_string(),
        label: label.to_string(),
        help: Some(help.to_string()).filter(|h| !h.is_empty()),
        kind: form::Kind::Text,
        value: value.to_string(),
        checked: false,
        required,
        min: None,
        max: None,
        minlength: None,
        maxlength: Some(255),
        pattern_help: None,
        errors: errors.get(name).cloned().unwrap_or_default(),
        disabled: false,
    }
}

struct FormState<'a> {
    entry: &'a CatalogEntry,
    name: &'a str,
    tags: &'a str,
    config: Option<&'a Value>,
    secrets: serde_json::Map<String, Value>,
    errors: FieldErrors,
    general: Vec<String>,
    version: Option<i64>,
    action: String,
    editing: bool,
}

fn build_form(s: FormState<'_>) -> ConnectorForm {
    let known =
        |k: &str| k == "name" || k == "tags" || k.starts_with("config.") || k.starts_with("auth.");
    let mut general = s.general;
    for (k, msgs) in &s.errors {
        if !known(k) {
            for m in msgs {
                general.push(format!("{k} {m}"));
            }
        }
    }
    let config = form::config_items(&s.entry.default_config_schema, s.config, &s.errors);
    // Errors under an input that is not on the form (a nested path the form
    // does not show) still reach the user.
    let names: Vec<String> = config
        .iter()
        .filter_map(|i| match i {
            Item::Field(f) => Some(f.name.clone()),
            Item::ChoiceStart { field } => Some(field.name.clone()),
            _ => None,
        })
        .collect();
    for (k, msgs) in &s.errors {
        if k.starts_with("config.") && !names.iter().any(|n| n == k) {
            for m in msgs {
                general.push(format!("{} {m}", k.trim_start_matches("config.")));
            }
        }
    }
    ConnectorForm {
        title: if s.editing {
            format!("Configure {}", s.name)
        } else {
            format!("Add {}", s.entry.name)
        },
        icon_url: assets::icon_url(s.entry.icon.as_deref()),
        action: s.action,
        submit_label: if s.editing { "Save" } else { "Add connector" },
        version: s.version,
        general_errors: general,
        basics: vec![
            basic_field(
                "name",
                "Name",
                "A name to recognise this connector by, unique in the tenant.",
                s.name,
                true,
                &s.errors,
            ),
            basic_field(
                "tags",
                "Tags",
                "Optional, separated by commas.",
                s.tags,
                false,
                &s.errors,
            ),
        ],
        config,
        secrets: form::secret_fields(&s.entry.auth_schema, &s.secrets, &s.errors),
    }
}

async fn new_form(
    State(state): State<AppState>,
    _admin: PageAdmin,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &key)
        .await?;
    Ok(render(&build_form(FormState {
        entry: &entry,
        name: &entry.name,
        tags: "",
        config: None,
        secrets: serde_json::Map::new(),
        errors: FieldErrors::new(),
        general: Vec::new(),
        version: None,
        action: format!("/features/connectors/forms/new/{key}"),
        editing: false,
    })))
}

fn saved(message: String, card_html: Option<String>) -> Response {
    let mut res = match card_html {
        Some(html) => Html(html).into_response(),
        None => StatusCode::OK.into_response(),
    };
    let h = res.headers_mut();
    h.insert("hx-reswap", HeaderValue::from_static("none"));
    h.insert(
        "hx-trigger",
        trigger(json!({"connectors:saved": {"message": message}, "connectors:changed": true})),
    );
    res
}

async fn create_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(key): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &key)
        .await?;
    let Submission {
        name,
        tags_text,
        config,
        mut body,
        ..
    } = Submission::decode(&entry, form_data(pairs));
    body["catalog_key"] = Value::String(key.clone());
    match state.connectors.install_json(&user.principal, &body).await {
        Ok(view) => Ok(saved(format!("Added “{}”.", view.name), None)),
        Err(e) => {
            let (errors, general) = form_errors(e)?;
            Ok(render(&build_form(FormState {
                entry: &entry,
                name: &name,
                tags: &tags_text,
                config: Some(&config),
                secrets: serde_json::Map::new(),
                errors,
                general,
                version: None,
                action: format!("/features/connectors/forms/new/{key}"),
                editing: false,
            })))
        }
    }
}

/// Splits a failed save into field errors and messages for the top of the
/// form; anything that is not about the input is an ordinary error.
fn form_errors(e: ConnectorError) -> Result<(FieldErrors, Vec<String>), AppError> {
    match e {
        ConnectorError::Validation { message, errors } => Ok((errors, vec![capitalize_sentence(&message)])),
        ConnectorError::DuplicateName => {
            let mut errors = FieldErrors::new();
            errors.insert("name".into(), vec!["is already used by another connector in this tenant".into()]);
            Ok((errors, Vec::new()))
        }
        ConnectorError::VersionMismatch { .. } => Ok((
            FieldErrors::new(),
            vec!["Someone else changed this connector meanwhile. Close the form and open it again to see their changes.".into()],
        )),
        ConnectorError::SecretsUnreadable | ConnectorError::Contention => Ok((FieldErrors::new(), vec![capitalize_sentence(&e.to_string())])),
        ConnectorError::Service(crate::service::ServiceError::Store(crate::storage::StoreError::InvalidText)) => Ok((
            FieldErrors::new(),
            vec!["Some of the text holds characters that cannot be stored; remove control characters and try again.".into()],
        )),
        other => Err(other.into()),
    }
}

fn capitalize_sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let view = state.connectors.get(&user.principal, &id).await?;
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &view.catalog_key)
        .await?;
    let config: Value = serde_json::from_str(view.config.get()).unwrap_or(Value::Null);
    let tags: Vec<String> = serde_json::from_str(view.tags.get()).unwrap_or_default();
    Ok(render(&build_form(FormState {
        entry: &entry,
        name: &view.name,
        tags: &tags.join(", "),
        config: Some(&config),
        secrets: view.secrets.as_map().clone(),
        errors: FieldErrors::new(),
        general: Vec::new(),
        version: Some(view.version),
        action: format!("/features/connectors/forms/{}/edit", view.id),
        editing: true,
    })))
}

async fn edit_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let current = state.connectors.get(&user.principal, &id).await?;
    let entry = state
        .connectors
        .catalog
        .get(state.store.as_ref(), &current.catalog_key)
        .await?;
    let Submission {
        name,
        tags_text,
        config,
        body,
        version,
    } = Submission::decode(&entry, form_data(pairs));
    match state
        .connectors
        .update_json(&user.principal, &id, &body, version)
        .await
    {
        Ok(view) => Ok(saved(format!("Saved “{}”.", view.name), None)),
        Err(e) => {
            let (errors, general) = form_errors(e)?;
            Ok(render(&build_form(FormState {
                entry: &entry,
                name: &name,
                tags: &tags_text,
                config: Some(&config),
                secrets: current.secrets.as_map().clone(),
                errors,
                general,
                version,
                action: format!("/features/connectors/forms/{id}/edit"),
                editing: true,
            })))
        }
    }
}

#[derive(Deserialize)]
struct StatusForm {
    status: String,
}

async fn status_submit(
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
            let verb = if view.status == "active" {
                "Activated"
            } else {
                "Deactivated"
            };
            let message = format!("{verb} “{}”.", view.name);
            let mut res = render(&InstalledCardPartial {
                layout,
                c: card(&view, &catalog),
            });
            res.headers_mut().insert(
                "hx-trigger",
                trigger(json!({"toast": {"message": message}})),
            );
            Ok(res)
        }
        Err(ConnectorError::Validation { message, errors }) => {
            let fields: Vec<String> = errors.keys().cloned().collect();
            let detail = if fields.is_empty() {
                String::new()
            } else {
                format!(" (check: {})", fields.join(", "))
            };
            Ok(toast_only(
                &format!(
                    "{}{detail}.",
                    capitalize_sentence(&message).trim_end_matches('.')
                ),
                "error",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_submit(
    State(state): State<AppState>,
    PageAdmin(user): PageAdmin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let name = state.connectors.delete(&user.principal, &id).await?;
    let mut res = StatusCode::OK.into_response();
    res.headers_mut().insert(
        "hx-trigger",
        trigger(
            json!({"toast": {"message": format!("Deleted “{name}”.")}, "connectors:changed": true}),
        ),
    );
    Ok(res)
}
