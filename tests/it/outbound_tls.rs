//! The guarded client over TLS, against a stand-in on 127.0.0.2 with a
//! certificate made for the test: verified against the roots the client
//! trusts and against the name (here the address) it connected to.

use crate::support::standin_settings;
use bytes::Bytes;
use connectors::service::outbound::{OutboundClient, OutboundError, OutboundRequest};
use http_body_util::Full;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use url::Url;

struct TlsStandin {
    addr: SocketAddr,
    cert: CertificateDer<'static>,
}

/// An HTTPS stand-in on 127.0.0.2 whose certificate names `names`.
async fn tls_standin(names: &[&str]) -> TlsStandin {
    let made =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("certificate");
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.2:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                        Bytes::from_static(b"{\"over\":\"tls\"}"),
                    )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TlsStandin { addr, cert }
}

fn trusting(cert: &CertificateDer<'static>) -> OutboundClient {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).expect("root");
    OutboundClient::with_roots(standin_settings(), roots)
}

fn get(addr: SocketAddr) -> OutboundRequest {
    OutboundRequest::get(Url::parse(&format!("https://{addr}/me")).unwrap())
}

#[tokio::test]
async fn https_works_with_a_trusted_certificate_for_the_address() {
    let s = tls_standin(&["127.0.0.2"]).await;
    let resp = trusting(&s.cert).send(get(s.addr)).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(&resp.body[..], b"{\"over\":\"tls\"}");
}

#[tokio::test]
async fn an_untrusted_or_misnamed_certificate_fails_as_tls() {
    let s = tls_standin(&["127.0.0.2"]).await;
    let err = OutboundClient::with_roots(standin_settings(), rustls::RootCertStore::empty())
        .send(get(s.addr))
        .await
        .unwrap_err();
    assert!(matches!(&err, OutboundError::Tls { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("the TLS handshake with 127.0.0.2:"),
        "{err}"
    );

    let other = tls_standin(&["api.example.test"]).await;
    let err = trusting(&other.cert)
        .send(get(other.addr))
        .await
        .unwrap_err();
    assert!(matches!(&err, OutboundError::Tls { .. }), "{err:?}");
}
