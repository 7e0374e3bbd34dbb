//! The JSON API under `/features/connectors/api`.
//!
//! Handlers are thin: extract the caller (the tenant comes only from the
//! token or session), call the service, shape the response. Each handler
//! carries its OpenAPI operation; the bodies are the service's typed
//! requests and responses, and the error answers the document's shared
//! responses (`web::openapi`).

mod audit;
mod broadcaster;
mod catalog;
mod checks;
mod connectors;
mod examples;

use super::AppState;
use crate::service::catalog::CatalogEntry;
use crate::service::connectors::{AuditView, ConnectorView, PublishTarget};
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use serde::Serialize;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const PREFIX: &str = "/features/connectors/api";

/// The API's routes, each registered together with its OpenAPI operation
/// so the published document cannot drift from the router.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalog::list_catalog))
        .routes(routes!(catalog::get_catalog))
        .routes(routes!(connectors::list_installed))
        .routes(routes!(connectors::create_connector))
        .routes(routes!(
            connectors::get_connector,
            connectors::replace_connector,
            connectors::update_connector,
            connectors::delete_connector
        ))
        .routes(routes!(broadcaster::read_credentials))
        .routes(routes!(checks::check_connector))
        .routes(routes!(checks::check_unsaved))
        .routes(routes!(connectors::validate_config))
        .routes(routes!(broadcaster::publish_targets))
        .routes(routes!(audit::list_audit))
        // Connector data and credentials are never cached.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// Every list answers `{"items": [...], "next_cursor": …}`; one type per
/// list, so each names its item type.
macro_rules! page {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// The `cursor` of the next page; null on the last page
            #[schema(required = true)]
            pub next_cursor: Option<String>,
        }
    };
}

page!(
    CatalogPage,
    CatalogEntry,
    "The catalog's entries (one page holds them all)."
);
page!(
    ConnectorPage,
    ConnectorView,
    "A page of installed connectors."
);
page!(
    PublishTargetPage,
    PublishTarget,
    "A page of publish targets."
);
page!(
    AuditPage,
    AuditView,
    "A page of audit events, newest first."
);

/// Answer of a successful `POST /validate-config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Validity {
    /// Always true: an invalid config answers 422
    pub valid: bool,
}
