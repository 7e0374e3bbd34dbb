//! The one outbound HTTP client: every request the service sends to a
//! provider (connection checks, and later OAuth) goes through
//! [`OutboundClient::send`], so none can skip the guard.
//!
//! The guard, per hop (the first request and each redirect):
//! - the scheme is `https`, or `http` when the request allows it;
//! - the host is resolved once (an IP literal is taken as is: the URL
//!   parser has already turned numeric spellings into addresses), every
//!   address is classified ([`crate::domain::address`]) and the hop is
//!   refused if any of them is neither public nor in the operator's allow
//!   list;
//! - the TCP connection goes to one of those checked addresses, so there is
//!   no second resolution; TLS uses the host name for SNI and verification;
//! - at most [`MAX_REDIRECTS`] redirects, each checked the same way;
//!   headers marked sensitive are dropped when a redirect leaves the
//!   origin;
//! - a connect timeout per hop and a total timeout per request; response
//!   bodies are read up to [`MAX_BODY_BYTES`] and the rest left unread;
//! - no proxy: nothing is read from `HTTP_PROXY` and friends.

mod connect;

use crate::config::CheckSettings;
use crate::domain::address::{AllowList, Blocked};
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Redirects followed per request.
pub const MAX_REDIRECTS: usize = 3;
/// Bytes of a response body read at most.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How the client reaches the network.
#[derive(Debug, Clone)]
pub struct OutboundSettings {
    pub allow: AllowList,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
}

impl OutboundSettings {
    pub fn from_checks(c: &CheckSettings) -> OutboundSettings {
        OutboundSettings {
            allow: c.allow_networks.clone(),
            connect_timeout: c.connect_timeout,
            timeout: c.timeout,
            max_body_bytes: MAX_BODY_BYTES,
            max_redirects: MAX_REDIRECTS,
        }
    }
}

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings::from_checks(&CheckSettings::default())
    }
}

/// One request header. A sensitive one (credentials) is never sent to
/// another origin than the request's own.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: HeaderName,
    pub value: HeaderValue,
    pub sensitive: bool,
}

#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<Header>,
    /// Content type and bytes.
    pub body: Option<(HeaderValue, Bytes)>,
    /// Whether `http://` may be used (for this request and its redirects).
    pub allow_http: bool,
}

impl OutboundRequest {
    pub fn get(url: Url) -> OutboundRequest {
        OutboundRequest {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: None,
            allow_http: false,
        }
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue, sensitive: bool) -> Self {
        self.headers.push(Header {
            name,
            value,
            sensitive,
        });
        self
    }
}

#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body was longer than the cap and is cut there.
    pub truncated: bool,
    /// The URL that answered (after redirects).
    pub url: Url,
    pub redirects: usize,
}

/// Why a request got no answer. Messages name hosts, never full URLs
/// (whose query may hold a credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("the URL cannot be used: {0}")]
    InvalidUrl(String),
    #[error("{0}:// is not allowed here; only https:// may be reached")]
    SchemeNotAllowed(String),
    #[error("{host} is not reachable from this service: {blocked}")]
    Blocked { host: String, blocked: Blocked },
    #[error("{host} could not be resolved")]
    Resolve { host: String },
    #[error("could not connect to {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("{host} did not answer within {seconds_text}", seconds_text = seconds(.after))]
    Timeout { host: String, after: Duration },
    #[error("the TLS handshake with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("{host} did not answer in HTTP/1.1: {reason}")]
    Protocol { host: String, reason: String },
    #[error("{host} redirected more than {limit} times")]
    TooManyRedirects { host: String, limit: usize },
    #[error("{host} answered a redirect without a usable Location")]
    BadRedirect { host: String },
}

fn seconds(d: &Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// The guarded client. Cheap to clone; build it once and share it.
#[derive(Clone)]
pub struct OutboundClient {
    settings: Arc<OutboundSettings>,
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for OutboundClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OutboundClient {
    /// A client that trusts the system's certificate store.
    pub fn new(settings: OutboundSettings) -> OutboundClient {
        OutboundClient::with_roots(settings, connect::system_roots())
    }

    /// A client that trusts exactly `roots`.
    pub fn with_roots(settings: OutboundSettings, roots: rustls::RootCertStore) -> OutboundClient {
        OutboundClient {
            settings: Arc::new(settings),
            tls: connect::tls_connector(roots),
        }
    }

    pub fn settings(&self) -> &OutboundSettings {
        &self.settings
    }

    /// Sends `req` through the guard, following redirects.
    pub async fn send(&self, req: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let host = host_text(&req.url);
        let limit = self.settings.timeout;
        match tokio::time::timeout(limit, self.follow(req)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout { host, after: limit }),
        }
    }

    async fn follow(&self, req: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let OutboundRequest {
            mut method,
            mut url,
            mut headers,
            mut body,
            allow_http,
        } = req;
        let mut redirects = 0;
        loop {
            let answer = connect::exchange(
                self,
                &connect::Hop {
                    method: &method,
                    url: &url,
                    headers: &headers,
                    body: body.as_ref(),
                    allow_http,
                },
            )
            .await?;
            let location = answer
                .status
                .is_redirection()
                .then(|| answer.headers.get(hyper::header::LOCATION).cloned())
                .flatten();
            let Some(location) = location.filter(|_| is_followed(answer.status)) else {
                return Ok(OutboundResponse {
                    status: answer.status,
                    headers: answer.headers,
                    body: answer.body,
                    truncated: answer.truncated,
                    url,
                    redirects,
                });
            };
            if redirects >= self.settings.max_redirects {
                return Err(OutboundError::TooManyRedirects {
                    host: host_text(&url),
                    limit: self.settings.max_redirects,
                });
            }
            let next = location
                .to_str()
                .ok()
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| OutboundError::BadRedirect {
                    host: host_text(&url),
                })?;
            if next.origin() != url.origin() {
                headers.retain(|h| !h.sensitive);
            }
            let to_get = answer.status == StatusCode::SEE_OTHER
                || (matches!(
                    answer.status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND
                ) && method == Method::POST);
            if to_get {
                method = Method::GET;
                body = None;
            }
            url = next;
            redirects += 1;
        }
    }
}

fn is_followed(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// The host of a URL as messages show it.
pub fn host_text(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => "the host".to_string(),
    }
}
