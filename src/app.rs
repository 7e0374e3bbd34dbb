//! Start-up: one function builds the whole application from a
//! configuration — store, migrations, catalog seed, key checks, bootstrap
//! owner, router, listener — so tests boot exactly what production runs.

use crate::config::Config;
use crate::service::checks::Checks;
use crate::service::checks::counts::CheckCounts;
use crate::service::identity::{BootstrapOutcome, bootstrap};
use crate::service::{catalog, keys};
use crate::storage::{self, DatabaseLocation, DynStore};
use crate::web::{self, AppState, Settings};
use anyhow::Context;
use secrecy::ExposeSecret;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct Application {
    state: AppState,
    listener: TcpListener,
    bootstrap: BootstrapOutcome,
}

/// Opens the configured database and applies pending migrations.
pub async fn open_store(config: &Config, migrate: bool) -> anyhow::Result<DynStore> {
    let location = location(config)?;
    let store = storage::open(&location).await?;
    if migrate {
        store.migrate().await.context("applying migrations")?;
    }
    Ok(store)
}

pub fn location(config: &Config) -> anyhow::Result<DatabaseLocation> {
    DatabaseLocation::from_url(
        config.database_url.as_ref().map(|u| u.expose_secret()),
        &config.data_dir,
    )
    .map_err(|e| anyhow::anyhow!("CONNECTORS_DATABASE_URL: {e}"))
}

impl Application {
    /// Builds everything and binds the listener; nothing is served yet.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let location = location(config)?;
        // Refuse a missing or malformed key before touching the database.
        let keyring = keys::load_keyring(config, location.backend())?;
        let store = storage::open(&location).await?;
        store.migrate().await.context("applying migrations")?;
        let load_keys = || keys::load_keyring(config, location.backend());
        catalog::seed_sealing(store.as_ref(), &load_keys)
            .await
            .context("seeding the catalog")?;
        keys::verify_keyring(store.as_ref(), &keyring).await?;
        let bootstrap = bootstrap(store.as_ref(), config.bootstrap_password.as_ref())
            .await
            .context("creating the first owner")?;
        store.follow_changes();
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let mut metrics = crate::web::metrics::Metrics::new(store.following_changes().is_some());
        let counts = CheckCounts::default();
        metrics.register_checks(&counts);
        let checks = Arc::new(Checks::new(&config.checks, counts));
        let state = AppState {
            connectors: crate::service::connectors::Connectors::with_checks(
                store.clone(),
                Arc::new(keyring),
                checks,
            ),
            store,
            metrics: Arc::new(metrics),
            password_checks: Arc::default(),
            settings: Arc::new(Settings {
                max_body_bytes: config.max_body_bytes,
                cookie_secure: config.cookie_secure,
            }),
        };
        Ok(Application {
            state,
            listener,
            bootstrap,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn store(&self) -> DynStore {
        self.state.store.clone()
    }

    /// The key ring the application opens secrets with.
    pub fn keys(&self) -> Arc<crate::domain::secrets::KeyRing> {
        self.state.connectors.keys.clone()
    }

    pub fn bootstrap_outcome(&self) -> &BootstrapOutcome {
        &self.bootstrap
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Rows sealed before secret states were stored beside them get their
        // states in the background; reads show them meanwhile by opening the
        // row (the only reads that do).
        let (store, keys) = (self.state.store.clone(), self.state.connectors.keys.clone());
        tokio::spawn(async move {
            match keys::backfill_secret_states(&store, &keys).await {
                Ok(r) if r.rotated > 0 || r.unreadable > 0 => tracing::info!(
                    stored = r.rotated,
                    unreadable = r.unreadable,
                    "secret states backfill finished"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "secret states backfill stopped; it runs again at the next start")
                }
            }
        });
        // Scheduled re-checks run for as long as the server does.
        let scheduler = self.state.connectors.checks.scheduled.then(|| {
            tokio::spawn(crate::service::checks::schedule::run(
                self.state.connectors.clone(),
            ))
        });
        let app = web::router(self.state);
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        if let Some(s) = scheduler {
            s.abort();
        }
        served
    }
}

/// Installs the SIGINT and SIGTERM handlers now (so a signal that arrives
/// right after start-up is not lost) and returns a future that completes on
/// the first of them.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            tracing::info!("shutdown signal received; finishing in-flight requests");
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutdown signal received; finishing in-flight requests");
        }
    }
}
