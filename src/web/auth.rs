//! Who is calling. [`Auth`] resolves a bearer token into a [`Principal`]
//! (user, tenant, role, scopes); [`RequireAdmin`] builds on it. A handler's
//! signature states what it needs, and the tenant comes only from here.
//! Missing, malformed, unknown and revoked credentials all answer 401.

use super::AppState;
use super::error::AppError;
use crate::domain::identity::Principal;
use crate::service::identity::authenticate_token;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

/// Any authenticated member of the tenant.
pub struct Auth(pub Principal);

/// An owner or admin of the tenant (members get 403).
pub struct RequireAdmin(pub Principal);

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(Auth(p.clone()));
        }
        let Some(token) = bearer(parts) else {
            return Err(AppError::unauthorized());
        };
        match authenticate_token(state.store.as_ref(), token).await? {
            Some(principal) => {
                parts.extensions.insert(principal.clone());
                Ok(Auth(principal))
            }
            None => Err(AppError::unauthorized()),
        }
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
