//! Who is calling. [`Auth`] resolves a bearer token, or the UI's session
//! cookie, into a [`Principal`] (user, tenant, role, scopes);
//! [`RequireAdmin`] builds on it. A handler's signature states what it
//! needs, and the tenant comes only from here.
//!
//! Missing, malformed, unknown, expired and revoked credentials all answer
//! 401. A cookie-authenticated unsafe request also needs the session's CSRF
//! token in `X-CSRF-Token` and a same-origin `Origin`/`Sec-Fetch-Site`.

use super::AppState;
use super::cookies;
use super::error::AppError;
use crate::domain::identity::Principal;
use crate::domain::secrets::KeyRing;
use crate::service::identity::authenticate_token;
use crate::service::sessions::{self, COOKIE_NAME};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use std::sync::Arc;

/// Any authenticated member of the tenant.
pub struct Auth(pub Principal);

/// An owner or admin of the tenant (members get 403).
pub struct RequireAdmin(pub Principal);

/// The session behind a cookie-authenticated request, for the pages.
#[derive(Clone)]
pub struct SessionInfo {
    pub cookie_value: String,
    /// The session's CSRF token, as pages show it.
    pub csrf_token: String,
    /// The ring the token is checked against.
    keys: Arc<KeyRing>,
}

pub const CSRF_HEADER: &str = "x-csrf-token";

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request comes from our own pages: `Sec-Fetch-Site` (when sent) is
/// same-origin or none, and `Origin` (when sent) names this host.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    if let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let bare = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        if bare.is_empty() || bare != host {
            return false;
        }
    }
    true
}

/// Resolves the session cookie, if any, into its principal and CSRF token.
pub async fn session_from(
    headers: &HeaderMap,
    state: &AppState,
) -> Result<Option<(Principal, SessionInfo)>, AppError> {
    let Some(value) = cookies::get(headers, COOKIE_NAME) else {
        return Ok(None);
    };
    let keys = state.connectors.keys.clone();
    Ok(sessions::authenticate(state.store.as_ref(), value)
        .await?
        .map(|p| {
            (
                p,
                SessionInfo {
                    cookie_value: value.to_string(),
                    csrf_token: sessions::session_csrf_token(&keys, value),
                    keys,
                },
            )
        }))
}

/// Checks the CSRF token and origin of a cookie-authenticated request.
pub fn check_csrf(
    headers: &HeaderMap,
    session: &SessionInfo,
    form_token: Option<&str>,
) -> Result<(), AppError> {
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .or(form_token)
        .unwrap_or_default();
    if sessions::session_csrf_matches(&session.keys, &session.cookie_value, given)
        && same_origin(headers)
    {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "the request lacks a valid CSRF token or does not come from this site; reload the page",
        ))
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(Auth(p.clone()));
        }
        let principal = if let Some(token) = bearer(&parts.headers) {
            authenticate_token(state.store.as_ref(), token)
                .await?
                .ok_or_else(AppError::invalid_token)?
        } else if let Some((principal, session)) = session_from(&parts.headers, state).await? {
            if !is_safe(&parts.method) {
                check_csrf(&parts.headers, &session, None)?;
            }
            parts.extensions.insert(session);
            principal
        } else {
            return Err(AppError::unauthorized());
        };
        parts.extensions.insert(principal.clone());
        Ok(Auth(principal))
    }
}

impl FromRequestParts<AppState> for RequireAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Auth(p) = Auth::from_request_parts(parts, state).await?;
        if p.role.can_write() {
            Ok(RequireAdmin(p))
        } else {
            Err(AppError::forbidden(
                "this action needs the owner or admin role in the tenant",
            ))
        }
    }
}
