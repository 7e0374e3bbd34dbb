//! One hop of a guarded request: check the scheme, resolve and classify,
//! connect to a checked address, TLS, one HTTP/1.1 exchange, a capped body.

use super::{Header, OutboundClient, OutboundError, host_text};
use crate::domain::address::{literal_address, verdict};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

pub(super) struct Hop<'a> {
    pub method: &'a Method,
    pub url: &'a Url,
    pub headers: &'a [Header],
    pub body: Option<&'a (HeaderValue, Bytes)>,
    pub allow_http: bool,
}

pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub truncated: bool,
}

/// The system's trusted certificates, loaded once per process.
pub(super) fn system_roots() -> rustls::RootCertStore {
    static ROOTS: OnceLock<rustls::RootCertStore> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::warn!(error = %e, "a system certificate could not be loaded");
            }
            let mut roots = rustls::RootCertStore::empty();
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            if ignored > 0 {
                tracing::warn!(ignored, "system certificates that could not be parsed");
            }
            if added == 0 {
                tracing::warn!("no system certificates found: https requests will fail");
            }
            roots
        })
        .clone()
}

pub(super) fn tls_connector(roots: rustls::RootCertStore) -> tokio_rustls::TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b,
        // The ring provider supports every safe default version.
        Err(_) => rustls::ClientConfig::builder(),
    };
    let mut config = builder.with_root_certificates(roots).with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// The checked addresses of a URL's host: its literal address, or every
/// address the resolver gives, each one allowed.
async fn checked_addresses(
    client: &OutboundClient,
    url: &Url,
) -> Result<Vec<SocketAddr>, OutboundError> {
    let host = host_text(url);
    let port = url
        .port_or_known_default()
        .ok_or_else(|| OutboundError::InvalidUrl("the URL has no port".into()))?;
    let ips: Vec<IpAddr> = match literal_address(url) {
        Some(ip) => vec![ip],
        None => {
            let name = url
                .host_str()
                .ok_or_else(|| OutboundError::InvalidUrl("the URL has no host".into()))?;
            let mut ips: Vec<IpAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| OutboundError::Resolve { host: host.clone() })?
                .map(|a| a.ip())
                .collect();
            ips.dedup();
            ips
        }
    };
    if ips.is_empty() {
        return Err(OutboundError::Resolve { host });
    }
    for ip in &ips {
        verdict(*ip, &client.settings.allow).map_err(|blocked| OutboundError::Blocked {
            host: host.clone(),
            blocked,
        })?;
    }
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

async fn connect_tcp(addrs: &[SocketAddr], host: &str) -> Result<TcpStream, OutboundError> {
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = e.kind().to_string(),
        }
    }
    Err(OutboundError::Connect {
        host: host.to_string(),
        reason: last,
    })
}

pub(super) async fn exchange(
    client: &OutboundClient,
    hop: &Hop<'_>,
) -> Result<Answer, OutboundError> {
    let url = hop.url;
    match url.scheme() {
        "https" => {}
        "http" if hop.allow_http => {}
        other => return Err(OutboundError::SchemeNotAllowed(other.to_string())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OutboundError::InvalidUrl(
            "a user name or password in the URL is not sent".into(),
        ));
    }
    let host = host_text(url);
    let connect_limit = client.settings.connect_timeout;
    let connected = tokio::time::timeout(connect_limit, async {
        let addrs = checked_addresses(client, url).await?;
        let tcp = connect_tcp(&addrs, &host).await?;
        if url.scheme() == "http" {
            return Ok(Stream::Plain(tcp));
        }
        let name = match literal_address(url) {
            Some(ip) => ServerName::IpAddress(ip.into()),
            None => ServerName::try_from(url.host_str().unwrap_or_default().to_string())
                .map_err(|_| OutboundError::InvalidUrl("the host is not a valid name".into()))?,
        };
        let tls = client
            .tls
            .connect(name, tcp)
            .await
            .map_err(|e| OutboundError::Tls {
                host: host.clone(),
                reason: e.to_string(),
            })?;
        Ok(Stream::Tls(Box::new(tls)))
    })
    .await
    .map_err(|_| OutboundError::Timeout {
        host: host.clone(),
        after: connect_limit,
    })??;
    let request = build_request(hop)?;
    match connected {
        Stream::Plain(s) => over(s, request, client.settings.max_body_bytes, &host).await,
        Stream::Tls(s) => over(*s, request, client.settings.max_body_bytes, &host).await,
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

fn build_request(hop: &Hop<'_>) -> Result<Request<Full<Bytes>>, OutboundError> {
    let url = hop.url;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let host_header = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return Err(OutboundError::InvalidUrl("the URL has no host".into())),
    };
    let mut builder = Request::builder()
        .method(hop.method.clone())
        .uri(target)
        .header(header::HOST, host_header)
        .header(
            header::USER_AGENT,
            concat!("connectors/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::CONNECTION, "close");
    let has_accept = hop.headers.iter().any(|h| h.name == header::ACCEPT);
    if !has_accept {
        builder = builder.header(header::ACCEPT, "application/json");
    }
    for h in hop.headers {
        builder = builder.header(h.name.clone(), h.value.clone());
    }
    let body = match hop.body {
        Some((content_type, bytes)) => {
            builder = builder.header(header::CONTENT_TYPE, content_type.clone());
            Full::new(bytes.clone())
        }
        None => Full::new(Bytes::new()),
    };
    builder
        .body(body)
        .map_err(|e| OutboundError::InvalidUrl(e.to_string()))
}

/// Aborts the connection's driver task when the exchange ends, however it
/// ends.
struct Driver(tokio::task::JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn over<S>(
    stream: S,
    request: Request<Full<Bytes>>,
    cap: usize,
    host: &str,
) -> Result<Answer, OutboundError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let protocol = |e: hyper::Error| OutboundError::Protocol {
        host: host.to_string(),
        reason: e.to_string(),
    };
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(protocol)?;
    let _driver = Driver(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let response = sender.send_request(request).await.map_err(protocol)?;
    let (parts, mut body) = response.into_parts();
    let mut buf = BytesMut::new();
    let mut truncated = false;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(protocol)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let room = cap - buf.len();
        if data.len() > room {
            buf.extend_from_slice(&data[..room]);
            truncated = true;
            break;
        }
        buf.extend_from_slice(&data);
    }
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body: buf.freeze(),
        truncated,
    })
}
