//! The guarded outbound client against stand-ins on 127.0.0.2, and its
//! refusals against a listener on 127.0.0.1 that must see no connection.
//! No request here leaves 127.0.0.0/8.

use crate::support::{CountingListener, serve_standin, standin_client, standin_settings};
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use connectors::domain::address::Range;
use connectors::service::outbound::{OutboundClient, OutboundError, OutboundRequest};
use hyper::header::{AUTHORIZATION, HeaderValue};
use std::time::Duration;
use url::Url;

fn url(text: &str) -> Url {
    Url::parse(text).expect("url")
}

fn http(u: Url) -> OutboundRequest {
    OutboundRequest {
        allow_http: true,
        ..OutboundRequest::get(u)
    }
}

async fn echo_auth(headers: HeaderMap) -> String {
    match headers.get(header::AUTHORIZATION) {
        Some(v) => format!("auth:{}", v.to_str().unwrap_or("?")),
        None => "no auth".to_string(),
    }
}

fn app(other: Option<std::net::SocketAddr>) -> Router {
    Router::new()
        .route("/ok", get(|| async { "hello" }))
        .route("/auth", get(echo_auth))
        .route("/big", get(|| async { "x".repeat(100 * 1024) }))
        .route(
            "/hops/{n}",
            get(|Path(n): Path<u32>| async move {
                if n == 0 {
                    "arrived".into_response()
                } else {
                    Redirect::temporary(&format!("/hops/{}", n - 1)).into_response()
                }
            }),
        )
        .route(
            "/to-other",
            get(move || async move {
                let to = other
                    .map(|a| format!("http://{a}/auth"))
                    .unwrap_or_default();
                Redirect::temporary(&to)
            }),
        )
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::OK
            }),
        )
}

#[tokio::test]
async fn reaches_an_allowed_standin_over_http_when_the_request_allows_it() {
    let addr = serve_standin(app(None)).await;
    let client = standin_client();
    let resp = client
        .send(http(url(&format!("http://{addr}/ok"))))
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(&resp.body[..], b"hello");
    assert!(!resp.truncated);
    assert_eq!(resp.redirects, 0);

    // The same URL without the permission for http is refused up front.
    let err = client
        .send(OutboundRequest::get(url(&format!("http://{addr}/ok"))))
        .await
        .unwrap_err();
    assert_eq!(err, OutboundError::SchemeNotAllowed("http".into()));
    assert!(err.to_string().contains("only https:// may be reached"));
}

#[tokio::test]
async fn loopback_in_every_spelling_is_refused_before_any_connection() {
    let target = CountingListener::bind("127.0.0.1").await;
    let port = target.addr.port();
    let client = standin_client();
    for spelling in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://017700000001:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://localhost:{port}/"),
        format!("https://localhost:{port}/"),
    ] {
        let err = client.send(http(url(&spelling))).await.unwrap_err();
        match &err {
            OutboundError::Blocked { blocked, .. } => {
                assert_eq!(blocked.range, Range::Loopback, "{spelling}");
            }
            other => panic!("{spelling}: {other:?}"),
        }
        assert!(
            err.to_string()
                .contains("is not reachable from this service"),
            "{err}"
        );
    }
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn a_redirect_to_a_blocked_address_is_refused() {
    let target = CountingListener::bind("127.0.0.1").await;
    let redirect = Router::new().route(
        "/",
        get(move || async move { Redirect::to(&format!("http://{}/meta", target.addr)) }),
    );
    let addr = serve_standin(redirect).await;
    let client = standin_client();
    let err = client
        .send(http(url(&format!("http://{addr}/"))))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OutboundError::Blocked { blocked, .. } if blocked.range == Range::Loopback),
        "{err:?}"
    );
    assert_eq!(target.accepted(), 0);
}

#[tokio::test]
async fn follows_at_most_three_redirects() {
    let addr = serve_standin(app(None)).await;
    let client = standin_client();
    let resp = client
        .send(http(url(&format!("http://{addr}/hops/3"))))
        .await
        .unwrap();
    assert_eq!(&resp.body[..], b"arrived");
    assert_eq!(resp.redirects, 3);
    assert_eq!(resp.url.path(), "/hops/0");
    let err = client
        .send(http(url(&format!("http://{addr}/hops/4"))))
        .await
        .unwrap_err();
    assert!(
        matches!(err, OutboundError::TooManyRedirects { limit: 3, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn credentials_stay_with_their_origin() {
    let other = serve_standin(app(None)).await;
    let addr = serve_standin(app(Some(other))).await;
    let client = standin_client();
    let with_auth = |path: &str| {
        http(url(&format!("http://{addr}{path}"))).header(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
            true,
        )
    };
    let same = client.send(with_auth("/auth")).await.unwrap();
    assert_eq!(&same.body[..], b"auth:Bearer abc");
    let moved = client.send(with_auth("/to-other")).await.unwrap();
    assert_eq!(moved.url.port(), Some(other.port()));
    assert_eq!(&moved.body[..], b"no auth");
}

#[tokio::test]
async fn bodies_are_capped() {
    let addr = serve_standin(app(None)).await;
    let resp = standin_client()
        .send(http(url(&format!("http://{addr}/big"))))
        .await
        .unwrap();
    assert_eq!(resp.body.len(), 64 * 1024);
    assert!(resp.truncated);
}

#[tokio::test]
async fn a_silent_server_times_out_and_a_closed_port_is_unreachable() {
    let addr = serve_standin(app(None)).await;
    let client = OutboundClient::new(connectors::service::outbound::OutboundSettings {
        timeout: Duration::from_millis(300),
        connect_timeout: Duration::from_millis(300),
        ..standin_settings()
    });
    let err = client
        .send(http(url(&format!("http://{addr}/hang"))))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Timeout { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("{addr} did not answer within 300 ms")
    );

    // A listener that accepts and never answers: the TLS handshake cannot
    // finish, so the connect timeout ends it.
    let silent = CountingListener::bind("127.0.0.2").await;
    let err = client
        .send(OutboundRequest::get(url(&format!(
            "https://{}/",
            silent.addr
        ))))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Timeout { .. }), "{err:?}");
    assert_eq!(silent.accepted(), 1);

    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let err = client
        .send(http(url(&format!("http://{closed}/"))))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn tls_to_a_plain_http_server_fails_as_tls() {
    let addr = serve_standin(app(None)).await;
    let err = standin_client()
        .send(OutboundRequest::get(url(&format!("https://{addr}/ok"))))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Tls { .. }), "{err:?}");
}
