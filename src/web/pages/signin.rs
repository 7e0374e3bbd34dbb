//! Signing in and out, and switching tenants. The sign-in form is bound to
//! a short-lived pre-session cookie (`connectors_login`, sent only to
//! `/login`); signing in sets the session cookie and ends the pre-session,
//! signing out clears the session cookie.

use super::page::{render, to_login};
use crate::service::identity;
use crate::service::sessions::{self, COOKIE_NAME, LoginError};
use crate::web::AppState;
use crate::web::assets::{self, AssetUrls};
use crate::web::auth::{check_csrf, same_origin, session_from};
use crate::web::cookies;
use crate::web::error::AppError;
use crate::web::urls::{self, Urls};
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;

/// The session cookie, sent with every request to the service.
fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    cookies::set(COOKIE_NAME, value, urls::ROOT, max_age, secure)
}

/// The sign-in form's pre-session cookie, sent only to `/login`.
fn login_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    cookies::set(
        sessions::LOGIN_COOKIE_NAME,
        value,
        urls::LOGIN,
        max_age,
        secure,
    )
}

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    urls: Urls,
    /// The sign-in form's own token, bound to its pre-session cookie.
    login_token: String,
    error: Option<String>,
    email: String,
    /// Whether to point at `admin@localhost` and its one-time password:
    /// only while that password is unchanged.
    bootstrap_hint: bool,
}

/// The sign-in page, with the form bound to the pre-session cookie the
/// browser sent (while it is young enough) or to a new one it is given.
async fn login_response(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Response {
    let form = sessions::login_form(
        &state.connectors.keys,
        cookies::get(headers, sessions::LOGIN_COOKIE_NAME),
    );
    // A database that cannot answer hides the hint; the form still works.
    let bootstrap_hint = identity::bootstrap_password_in_use(state.store.as_ref())
        .await
        .unwrap_or(false);
    let mut res = render(&LoginPage {
        assets: assets::urls(),
        csrf_token: None,
        urls: urls::URLS,
        login_token: form.token,
        error: error.map(str::to_string),
        email: email.to_string(),
        bootstrap_hint,
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

pub(super) async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Ok(Some(_)) = session_from(&headers, &state).await {
        return Redirect::to(urls::CATALOG).into_response();
    }
    login_response(&state, &headers, StatusCode::OK, None, "").await
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let page = async |status: StatusCode, message: &str, email: &str| {
        login_response(&state, &headers, status, Some(message), email).await
    };
    if !same_origin(&headers) {
        return page(
            StatusCode::FORBIDDEN,
            "This sign-in form must be sent from this site.",
            "",
        )
        .await;
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
        cookies::get(&headers, sessions::LOGIN_COOKIE_NAME),
        &form.csrf,
    ) {
        return page(
            StatusCode::FORBIDDEN,
            "This sign-in form has expired or was not sent from this site. Reload the page and sign in again.",
            &email,
        ).await;
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
            let mut res = Redirect::to(urls::CATALOG).into_response();
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
        Err(LoginError::Invalid) => {
            page(
                StatusCode::UNAUTHORIZED,
                "Invalid email or password.",
                &email,
            )
            .await
        }
        Err(LoginError::Throttled) => {
            page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed sign-ins. Wait a few minutes and try again.",
                &email,
            )
            .await
        }
        Err(LoginError::Busy) => {
            let mut res = page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is busy right now. Try again in a moment.",
                &email,
            )
            .await;
            res.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("2"));
            res
        }
        Err(LoginError::Service(e)) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    tenant: String,
}

pub(super) async fn logout(
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
    let mut res = Redirect::to(urls::LOGIN).into_response();
    res.headers_mut().insert(
        SET_COOKIE,
        session_cookie("", 0, state.settings.cookie_secure),
    );
    res
}

pub(super) async fn switch_tenant(
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
        Ok(()) => Redirect::to(urls::CATALOG).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}
