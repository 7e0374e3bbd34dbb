//! Test harness: fresh databases, a running application, typed actors.

use connectors::app::Application;
use connectors::config::{Config, LogFormat};
use connectors::domain::identity::Role;
use connectors::domain::secrets::generate_key_line;
use connectors::service::identity as svc;
use connectors::storage::{self, DatabaseLocation, DynStore};
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use tempfile::TempDir;
use tokio::sync::oneshot;

mod browser;
mod cli;
mod parallel;
mod requests;
pub mod samples;
mod server;
mod standin;

pub use browser::{
    SignedIn, csrf_at, csrf_of, login_form, no_redirects, session_cookie, sign_in, sign_in_at,
    sign_in_via, without_login_form_token,
};
pub use cli::{OutputExt, bare_command};
pub use parallel::{assert_counts, at_once, count_of, settled_status, statuses_at_once};
pub use requests::{APP_PASSWORD, id_of, send_json, twitter, wordpress};
pub use server::{
    kill, serve_command, start_server, start_server_logging, stderr_lines, terminate, wait_until_up,
};
pub use standin::{
    CountingListener, accepting_check_settings, serve_standin, standin_client, standin_settings,
};

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::support::TestDb::sqlite();
                ($body)(db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::support::TestDb::postgres().await;
                ($body)(db).await;
            }
        }
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("CONNECTORS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh, empty database: a SQLite file in a temp dir, or a PostgreSQL
/// database created for this test and dropped afterwards.
pub struct TestDb {
    pub dir: TempDir,
    pub pg_name: Option<String>,
    pub keys: String,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        TestDb {
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: None,
            keys: generate_key_line(),
        }
    }

    /// Fails (never skips) when PostgreSQL cannot be reached.
    pub async fn postgres() -> TestDb {
        let name = format!("ct_{}", uuid::Uuid::new_v4().simple());
        let (client, conn) = tokio_postgres::connect(&pg_admin_url(), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for these tests ({}): {e}",
                    pg_admin_url()
                )
            });
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        TestDb {
            dir: tempfile::tempdir().expect("temp dir"),
            pg_name: Some(name),
            keys: generate_key_line(),
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The database URL to pass on the command line.
    pub fn url(&self) -> String {
        match &self.pg_name {
            Some(name) => {
                let admin = pg_admin_url();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                format!("{base}/{name}")
            }
            None => format!(
                "sqlite://{}",
                self.data_dir().join("connectors.db").display()
            ),
        }
    }

    pub fn config(&self) -> Config {
        Config {
            bind: "127.0.0.1:0".parse().expect("addr"),
            database_url: Some(SecretString::from(self.url())),
            data_dir: self.data_dir().to_path_buf(),
            encryption_keys: Some(SecretString::from(self.keys.clone())),
            log_filter: "warn".into(),
            log_format: LogFormat::Text,
            cookie_secure: false,
            bootstrap_password: Some(SecretString::from("bootstrap-password-1".to_string())),
            max_body_bytes: 64 * 1024,
            checks: accepting_check_settings(),
            public_url: None,
        }
    }

    /// This database's store, opened through `storage::open` (not
    /// migrated).
    pub async fn open_store(&self) -> DynStore {
        let location = DatabaseLocation::from_url(Some(&self.url()), self.data_dir())
            .expect("a database location");
        storage::open(&location).await.expect("open the store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async context: use a private runtime on a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let (client, conn) =
                    tokio_postgres::connect(&pg_admin_url(), tokio_postgres::NoTls)
                        .await
                        .ok()?;
                tokio::spawn(conn);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// The application running on a loopback port.
pub struct TestApp {
    pub base: String,
    pub store: DynStore,
    /// The running application's key ring (not for an attached server).
    pub keys: Option<std::sync::Arc<connectors::domain::secrets::KeyRing>>,
    pub http: reqwest::Client,
    /// Kept alive (temp dir, PostgreSQL database) for as long as the app runs.
    _db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// A caller with a bearer token.
#[derive(Clone)]
pub struct Actor {
    pub token: String,
}

impl TestApp {
    pub async fn spawn(db: TestDb) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = db.config();
        tweak(&mut config);
        let app = Application::build(&config)
            .await
            .expect("build application");
        let addr = app.local_addr().expect("local addr");
        let store = app.store();
        let keys = Some(app.keys());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        TestApp {
            base: format!("http://{addr}"),
            store,
            keys,
            http: reqwest::Client::new(),
            _db: db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// A handle on a server that runs elsewhere (e.g. the real binary at
    /// `base`), with its own store on the same database, so that the
    /// helpers taking a [`TestApp`] work against it.
    pub async fn attach(db: TestDb, base: String) -> TestApp {
        let store = connectors::app::open_store(&db.config(), false)
            .await
            .expect("open store");
        TestApp {
            base,
            store,
            keys: None,
            http: reqwest::Client::new(),
            _db: db,
            shutdown: None,
            server: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The database this application runs on (for the command line or
    /// reading it directly).
    pub fn db(&self) -> &TestDb {
        &self._db
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/features/connectors/api{}", self.base, path)
    }

    /// Creates (if needed) a tenant and a member with `role`, and a token.
    pub async fn actor(&self, tenant: &str, email: &str, role: Role) -> Actor {
        self.actor_with_scopes(tenant, email, role, &[]).await
    }

    pub async fn actor_with_scopes(
        &self,
        tenant: &str,
        email: &str,
        role: Role,
        scopes: &[&str],
    ) -> Actor {
        let store = self.store.as_ref();
        if store
            .tenant_by_slug(tenant)
            .await
            .expect("tenant lookup")
            .is_none()
        {
            svc::create_tenant(store, tenant, None)
                .await
                .expect("create tenant");
        }
        svc::add_member(store, tenant, email, role, None)
            .await
            .expect("add member");
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        let token = svc::create_token(store, tenant, email, Some("test"), &scopes)
            .await
            .expect("create token");
        Actor {
            token: token.value.expose_secret().to_string(),
        }
    }

    pub async fn admin(&self) -> Actor {
        self.actor("acme", "admin@acme.test", Role::Admin).await
    }

    pub async fn member(&self) -> Actor {
        self.actor("acme", "member@acme.test", Role::Member).await
    }

    pub async fn other_admin(&self) -> Actor {
        self.actor("globex", "admin@globex.test", Role::Admin).await
    }

    pub fn get(&self, who: &Actor, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.api(path)).bearer_auth(&who.token)
    }

    /// Stops the server and hands back its database for another start.
    pub async fn into_db(mut self) -> TestDb {
        self.shutdown_now().await;
        // Take the database out; the TempDir moves with it.
        let placeholder = TestDb::sqlite();
        std::mem::replace(&mut self._db, placeholder)
    }

    async fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }
}

/// Asserts a response is the JSON error envelope with this status and code.
pub async fn assert_envelope(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let body: serde_json::Value = res.json().await.expect("json body");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p
}

/// A free port on 127.0.0.1 (for a server process to bind).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
