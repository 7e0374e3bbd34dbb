//! Stand-in servers for outbound requests. They bind only to 127.0.0.2
//! (reached through the allow list `127.0.0.2/32`) and, for the refusals,
//! to 127.0.0.1 (which must see no connection).

use axum::Router;
use connectors::domain::address::AllowList;
use connectors::service::outbound::{OutboundClient, OutboundSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;

/// The address every stand-in listens on.
pub const STANDIN_IP: &str = "127.0.0.2";

/// Serves `router` on 127.0.0.2 (a free port) until the test ends.
pub async fn serve_standin(router: Router) -> SocketAddr {
    let listener = TcpListener::bind((STANDIN_IP, 0))
        .await
        .expect("bind 127.0.0.2");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// A listener that counts the connections it accepts and answers none.
pub struct CountingListener {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl CountingListener {
    pub async fn bind(ip: &str) -> CountingListener {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                // Keep the connection open and silent.
                held.push(stream);
            }
        });
        CountingListener { addr, accepted }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Settings that allow 127.0.0.2 and nothing else beyond public
/// addresses, with short timeouts.
pub fn standin_settings() -> OutboundSettings {
    OutboundSettings {
        allow: AllowList::parse("127.0.0.2/32").expect("allow list"),
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        ..OutboundSettings::default()
    }
}

pub fn standin_client() -> OutboundClient {
    OutboundClient::new(standin_settings())
}
