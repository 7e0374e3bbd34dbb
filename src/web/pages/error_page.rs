//! Errors of page routes as pages: a browser that asks for a page and
//! meets a refusal (403), a missing connector or route (404), an expired
//! form (CSRF) or a failure gets an HTML page with a way back instead of
//! the API's JSON envelope, and an htmx request gets an error toast with
//! nothing swapped. The API's own routes keep the envelope.

use super::page::{capitalize_sentence, render};
use crate::web::api;
use crate::web::assets::{self, AssetUrls};
use crate::web::htmx::{self, Trigger};
use crate::web::urls::{self, Urls};
use askama::Template;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    assets: AssetUrls,
    csrf_token: Option<String>,
    urls: Urls,
    status: u16,
    title: &'static str,
    message: String,
    /// The id of the request's log line, on a server-side failure.
    request_id: Option<String>,
    /// Whether signing in again is the way back.
    sign_in: bool,
}

/// The routes whose errors stay JSON whatever the client accepts.
fn machine_route(path: &str) -> bool {
    path.starts_with(api::PREFIX)
        || [
            "/openapi.json",
            "/metrics",
            "/healthz",
            "/readyz",
            "/assets/",
        ]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Whether the request is a browser's asking for a page (or htmx's).
fn wants_page(headers: &HeaderMap) -> bool {
    htmx::is_request(headers)
        || headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
}

fn title_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "Sign in again",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::PAYLOAD_TOO_LARGE => "Too much to send",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        s if s.is_server_error() => "Something went wrong",
        _ => "This did not work",
    }
}

/// Answers the JSON error envelope of a page route as a page (or, to
/// htmx, as an error toast).
pub async fn html_errors(req: Request, next: Next) -> Response {
    let page_request = !machine_route(req.uri().path()) && wants_page(req.headers());
    let from_htmx = htmx::is_request(req.headers());
    let res = next.run(req).await;
    let status = res.status();
    let json = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !page_request || !json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let envelope: Value = axum::body::to_bytes(body, 64 * 1024)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let message = envelope["message"]
        .as_str()
        .map(capitalize_sentence)
        .unwrap_or_else(|| format!("{}.", title_of(status)));
    let request_id = envelope["request_id"].as_str().map(str::to_string);
    parts.headers.remove(CONTENT_TYPE);
    parts.headers.remove(CONTENT_LENGTH);
    if from_htmx {
        let mut res = Response::from_parts(parts, Body::empty());
        htmx::reswap_none(&mut res);
        Trigger::new().toast_at(&message, "error").apply(&mut res);
        return res;
    }
    let page = render(&ErrorPage {
        assets: assets::urls(),
        csrf_token: None,
        urls: urls::URLS,
        status: status.as_u16(),
        title: title_of(status),
        sign_in: status == StatusCode::UNAUTHORIZED
            || (status == StatusCode::FORBIDDEN && message.contains("CSRF")),
        message,
        request_id,
    });
    let (page_parts, page_body) = page.into_parts();
    parts.headers.extend(page_parts.headers);
    Response::from_parts(parts, page_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_page_requests_get_pages() {
        assert!(machine_route("/features/connectors/api/connectors"));
        assert!(machine_route("/openapi.json"));
        assert!(!machine_route("/features/connectors/forms/x/edit"));
        assert!(!machine_route("/features/connectors/nowhere"));
        let mut h = HeaderMap::new();
        assert!(!wants_page(&h));
        h.insert(ACCEPT, "text/html,application/xhtml+xml".parse().unwrap());
        assert!(wants_page(&h));
    }
}
