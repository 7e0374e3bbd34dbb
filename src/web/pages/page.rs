//! What every page shares: the signed-in user as an extractor (the
//! pages' counterpart of [`Auth`](crate::web::auth::Auth)), the header
//! every signed-in page shows, and rendering a template into a response.

use crate::domain::identity::{Principal, Tenant};
use crate::service::sessions;
use crate::web::AppState;
use crate::web::auth::{SessionInfo, check_csrf, session_from};
use crate::web::error::AppError;
use crate::web::htmx;
use crate::web::urls::{self, Urls};
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The event that makes the Installed grid reload itself
/// (`partials/installed_grid.html` listens for it).
pub const CHANGED_EVENT: &str = "connectors:changed";

/// Renders a template; a rendering failure is an internal error.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            AppError::internal().into_response()
        }
    }
}

/// Sends the browser to the sign-in page (htmx follows `HX-Redirect`).
pub fn to_login(headers: &HeaderMap) -> Response {
    if htmx::is_request(headers) {
        htmx::redirect(urls::LOGIN)
    } else {
        Redirect::to(urls::LOGIN).into_response()
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
    /// The page URLs the header and grids link to.
    pub urls: Urls,
}

pub async fn layout(
    state: &AppState,
    user: &PageUser,
    tab: &'static str,
) -> Result<Layout, AppError> {
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
        urls: urls::URLS,
    })
}

/// A message from below, as a sentence: capitalised, one final stop.
pub fn capitalize_sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}
