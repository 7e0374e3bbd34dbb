//! htmx's headers, read and written in one place: whether a request comes
//! from htmx and which element it will swap (`HX-Request`, `HX-Target`),
//! and the answers that steer the page (`HX-Trigger` events and toasts,
//! `HX-Reswap`, `HX-Redirect`).

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

const HX_REQUEST: HeaderName = HeaderName::from_static("hx-request");
const HX_TARGET: HeaderName = HeaderName::from_static("hx-target");
const HX_REDIRECT: HeaderName = HeaderName::from_static("hx-redirect");
const HX_RESWAP: HeaderName = HeaderName::from_static("hx-reswap");
const HX_TRIGGER: HeaderName = HeaderName::from_static("hx-trigger");

/// The request was made by htmx.
pub fn is_request(headers: &HeaderMap) -> bool {
    headers.contains_key(HX_REQUEST)
}

/// The request was made by htmx to swap the element with this id.
pub fn targets(headers: &HeaderMap, id: &str) -> bool {
    is_request(headers)
        && headers
            .get(HX_TARGET)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t == id)
}

/// An answer that makes htmx load `location` as a whole page.
pub fn redirect(location: &'static str) -> Response {
    let mut res = StatusCode::OK.into_response();
    res.headers_mut()
        .insert(HX_REDIRECT, HeaderValue::from_static(location));
    res
}

/// Tells htmx to swap nothing: the answer only carries events.
pub fn reswap_none(res: &mut Response) {
    res.headers_mut()
        .insert(HX_RESWAP, HeaderValue::from_static("none"));
}

/// The events an answer triggers on the page (`HX-Trigger`), in order.
#[derive(Default)]
pub struct Trigger(Map<String, Value>);

impl Trigger {
    pub fn new() -> Trigger {
        Trigger::default()
    }

    /// A toast (`assets/app.js` shows it in the `role="status"` region).
    pub fn toast(self, message: &str) -> Trigger {
        self.event("toast", json!({"message": message}))
    }

    /// A toast at a level other than the ordinary one (`"error"`).
    pub fn toast_at(self, message: &str, level: &str) -> Trigger {
        self.event("toast", json!({"message": message, "level": level}))
    }

    /// Any event, with its detail.
    pub fn event(mut self, name: &str, detail: Value) -> Trigger {
        self.0.insert(name.to_string(), detail);
        self
    }

    /// Sets the `HX-Trigger` header of `res`.
    pub fn apply(self, res: &mut Response) {
        res.headers_mut()
            .insert(HX_TRIGGER, header_value(&Value::Object(self.0)));
    }
}

/// An `HX-Trigger` header value: JSON with every non-ASCII character
/// escaped, since header values are not UTF-8.
fn header_value(events: &Value) -> HeaderValue {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_keep_their_order_and_escape_non_ascii() {
        let mut res = StatusCode::OK.into_response();
        Trigger::new()
            .toast("Deleted “x”.")
            .event("connectors:changed", Value::Bool(true))
            .apply(&mut res);
        assert_eq!(
            res.headers()[HX_TRIGGER],
            r#"{"toast":{"message":"Deleted \u201cx\u201d."},"connectors:changed":true}"#
        );
    }

    #[test]
    fn a_target_counts_only_on_htmx_requests() {
        let mut headers = HeaderMap::new();
        headers.insert(HX_TARGET, HeaderValue::from_static("catalog-grid"));
        assert!(!targets(&headers, "catalog-grid"));
        headers.insert(HX_REQUEST, HeaderValue::from_static("true"));
        assert!(targets(&headers, "catalog-grid"));
        assert!(!targets(&headers, "installed-grid"));
    }
}
