//! The web UI: sign-in, the Catalog and Installed pages, and the modal
//! forms. Server-rendered with askama (auto-escaping), driven by htmx.
//! Form submissions go through the same service calls as the JSON API.
//!
//! One module per surface: [`signin`] (sign-in, sign-out, tenant switch),
//! [`catalog`], [`installed`] (the grid and its card actions, the cards
//! themselves in [`cards`], their times in words in [`when`]) and
//! [`connector_form`] (the "Add" and "Configure" dialogs); [`page`] holds
//! what they share. Every URL comes from [`urls`], htmx's headers from
//! [`htmx`](crate::web::htmx).

mod cards;
mod catalog;
mod connector_form;
mod error_page;
mod installed;
mod page;
mod signin;
mod when;

pub use cards::InstalledCard;
pub use error_page::html_errors;
pub use page::{Layout, PageAdmin, PageUser};

use super::AppState;
use super::urls;
use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::response::Redirect;
use axum::routing::{delete, get, post};
use tower_http::set_header::SetResponseHeaderLayer;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::ROOT, get(|| async { Redirect::to(urls::CATALOG) }))
        .route(
            urls::LOGIN,
            get(signin::login_page).post(signin::login_submit),
        )
        .route(urls::LOGOUT, post(signin::logout))
        .route(urls::SWITCH_TENANT, post(signin::switch_tenant))
        .route(urls::CATALOG, get(catalog::catalog_page))
        .route(urls::INSTALLED, get(installed::installed_page))
        .route(
            urls::FORM_NEW,
            get(connector_form::new_form).post(connector_form::create_submit),
        )
        .route(
            urls::FORM_EDIT,
            get(connector_form::edit_form).post(connector_form::edit_submit),
        )
        .route(urls::FORM_NEW_CHECK, post(connector_form::new_check))
        .route(urls::FORM_EDIT_CHECK, post(connector_form::edit_check))
        .route(urls::FORM_STATUS, post(installed::status_submit))
        .route(urls::FORM_CHECK, post(installed::check_submit))
        .route(urls::FORM, delete(installed::delete_submit))
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::appending(
            VARY,
            HeaderValue::from_static("HX-Request"),
        ))
}
