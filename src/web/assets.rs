//! Static assets embedded in the binary (htmx, the stylesheet, the script,
//! icons), served under a versioned path so they can be cached forever.
//! No request ever leaves for another host.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Files;

/// A short hash of every asset: changes whenever any of them changes.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut names: Vec<String> = Files::iter().map(|n| n.to_string()).collect();
        names.sort();
        let mut h = Sha256::new();
        for n in names {
            h.update(n.as_bytes());
            if let Some(f) = Files::get(&n) {
                h.update(f.metadata.sha256_hash());
            }
        }
        hex::encode(h.finalize())[..10].to_string()
    })
}

/// The URL of an asset.
pub fn url(path: &str) -> String {
    format!("/assets/{}/{path}", version())
}

/// The URL of a connector icon, or the fallback icon.
pub fn icon_url(icon: Option<&str>) -> String {
    let name = icon
        .filter(|i| {
            i.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .filter(|i| Files::get(&format!("icons/{i}.svg")).is_some())
        .unwrap_or("fallback");
    url(&format!("icons/{name}.svg"))
}

/// URLs the base template needs.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    pub css: String,
    pub app: String,
    /// The cards' and pages' behaviours (`assets/cards.js`).
    pub cards: String,
    /// The Add and Configure dialogs' script.
    pub forms: String,
    pub htmx: String,
    pub logo: String,
    pub favicon: String,
}

pub fn urls() -> AssetUrls {
    AssetUrls {
        css: url("app.css"),
        app: url("app.js"),
        cards: url("cards.js"),
        forms: url("forms.js"),
        htmx: url("vendor/htmx-2.0.11.min.js"),
        logo: url("icons/logo.svg"),
        favicon: url("icons/logo.svg"),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub async fn serve(Path((ver, path)): Path<(String, String)>) -> Response {
    let Some(file) = Files::get(&path) else {
        return super::error::AppError::not_found("no such asset").into_response();
    };
    let cache = if ver == version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = (StatusCode::OK, file.data.into_owned()).into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}
