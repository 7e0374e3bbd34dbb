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

/// A stand-in for every built-in provider at once, answering every check
/// with success, for the tests that activate connectors without being
/// about checks. It runs on its own thread for the whole test process, so
/// it outlives each test's runtime.
pub fn accepting_standin() -> SocketAddr {
    static ADDR: std::sync::OnceLock<SocketAddr> = std::sync::OnceLock::new();
    *ADDR.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stand-in runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind((STANDIN_IP, 0))
                    .await
                    .expect("bind 127.0.0.2");
                tx.send(listener.local_addr().expect("local addr"))
                    .expect("hand over the address");
                let app = Router::new().fallback(|| async {
                    axum::Json(serde_json::json!({
                        "data": {"id": "u1", "username": "acme_news", "name": "Acme"},
                        "name": "Acme",
                        "capabilities": {"publish_posts": true}
                    }))
                });
                let _ = axum::serve(listener, app).await;
            });
        });
        rx.recv().expect("stand-in address")
    })
}

/// Check settings that send every built-in's check to
/// [`accepting_standin`].
pub fn accepting_check_settings() -> connectors::config::CheckSettings {
    let base = format!("http://{}", accepting_standin());
    connectors::config::CheckSettings {
        allow_networks: AllowList::parse("127.0.0.2/32").expect("allow list"),
        provider_urls: connectors::domain::provider_urls::ProviderUrls::parse(&format!(
            "wordpress={base},medium={base},twitter={base},linkedin={base}"
        ))
        .expect("provider urls"),
        ..Default::default()
    }
}
