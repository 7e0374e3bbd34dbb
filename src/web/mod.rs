//! The HTTP edge: routing, middleware (request ids, one log line per
//! request, body limits, panics) and the handlers in submodules.

pub mod api;
pub mod assets;
pub mod auth;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod form;
pub mod htmx;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod urls;

use crate::service::connectors::Connectors;
use crate::storage::DynStore;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use error::AppError;
use std::sync::Arc;
use std::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub connectors: Connectors,
    pub settings: Arc<Settings>,
    pub metrics: Arc<metrics::Metrics>,
    /// Bounds the sign-in password checks this process runs at once.
    pub password_checks: Arc<crate::service::sessions::PasswordChecks>,
}

/// The parts of the configuration the web edge uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_body_bytes: usize,
    pub cookie_secure: bool,
}

/// The API router and its OpenAPI document, built together.
pub fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    utoipa_axum::router::OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(api::PREFIX, api::routes())
        .split_for_parts()
}

/// The complete application router, as served in production and in tests.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let metrics = state.metrics.clone();
    let (api, doc) = api_router();
    let doc = Arc::new(doc.to_json().unwrap_or_else(|_| "{}".to_string()));
    api.route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    doc.as_ref().clone(),
                )
            }
        }),
    )
    .merge(pages::routes())
    .route("/assets/{version}/{*path}", get(assets::serve))
    .route("/metrics", get(ops::metrics))
    .route("/healthz", get(ops::healthz))
    .route("/readyz", get(ops::readyz))
    .fallback(not_found)
    .method_not_allowed_fallback(method_not_allowed)
    .route_layer(middleware::from_fn(remember_route))
    .with_state(state)
    .layer(CatchPanicLayer::custom(|_panic| {
        tracing::error!("a request handler panicked");
        AppError::internal().into_response()
    }))
    .layer(middleware::from_fn(pages::html_errors))
    .layer(DefaultBodyLimit::max(max_body))
    .layer(middleware::from_fn_with_state(
        max_body,
        reject_large_bodies,
    ))
    .layer(middleware::from_fn(security_headers))
    .layer(middleware::from_fn_with_state(metrics, request_log))
}

/// Headers every response carries: a strict Content-Security-Policy (no
/// inline scripts or styles, nothing from other hosts), no sniffing, no
/// framing, no referrer to other sites.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        axum::http::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        axum::http::header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}

async fn not_found() -> AppError {
    AppError::not_found("no such route")
}

async fn method_not_allowed() -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

/// Refuses a declared body over the limit with 413 before reading it;
/// bodies without a length are cut off at the limit by the extractors.
async fn reject_large_bodies(
    axum::extract::State(max): axum::extract::State<usize>,
    req: Request,
    next: Next,
) -> Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {max} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// The matched route template, carried out to the logging layer.
#[derive(Clone)]
struct RouteName(metrics::Route);

async fn remember_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| metrics::Route::matched(m.as_str()));
    let mut res = next.run(req).await;
    if let Some(r) = route {
        res.extensions_mut().insert(RouteName(r));
    }
    res
}

/// A usable incoming request id: short and made of safe characters.
fn incoming_request_id(req: &Request) -> Option<String> {
    let v = req.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    ok.then(|| v.to_string())
}

/// Gives every request an id (kept from `X-Request-Id` when well-formed),
/// echoes it, and writes one log line per request: method, route, status,
/// duration. Never headers, bodies, query strings, cookies or tokens.
async fn request_log(
    axum::extract::State(metrics): axum::extract::State<Arc<metrics::Metrics>>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = incoming_request_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    // Inside this scope, a 5xx envelope (a panic included) names the id.
    let mut res = error::REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let route = res
        .extensions_mut()
        .remove::<RouteName>()
        .map(|r| r.0)
        .unwrap_or_else(metrics::Route::unmatched);
    let status = res.status().as_u16();
    let elapsed = start.elapsed();
    let micros = elapsed.as_micros() as u64;
    metrics.observe(&method, route.clone(), status, elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    tracing::info!(
        target: "connectors::http",
        request_id = %id,
        method = %method,
        route = %route,
        status,
        duration_ms = micros as f64 / 1000.0,
        "request"
    );
    res
}
