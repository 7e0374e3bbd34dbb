//! PostgreSQL store (tokio-postgres behind a deadpool connection pool).
//!
//! Hot read paths use prepared statements cached per pooled connection;
//! writes that read before they write run in one transaction and lock the
//! rows they read (`SELECT … FOR UPDATE`). Migrations and the bootstrap of an
//! empty database take transaction-scoped advisory locks, so several
//! replicas starting at once apply each migration, and create the first
//! owner, exactly once.

use super::change_feed::{self, ChangeFeed, Changed};
use super::{
    AuditRow, AuditWrite, Backend, Bootstrap, CatalogRow, CatalogWrite, ConnectorFilter,
    ConnectorInsert, ConnectorRow, ConnectorUpdate, LoginLimit, LoginUser, MemberWrite,
    MembershipOutcome, MigrationState, NewTokenRow, PublishTargetRow, RevokeOutcome, SecretRow,
    SessionRow, SessionWrite, Store, StoreError, StoreResult, TokenRow, UpdateOutcome,
    UpsertOutcome, migrations,
};
use crate::domain::identity::{AuthMethod, Principal, Role, Tenant, User};
use crate::domain::time;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Transaction,
};
use serde_json::value::RawValue;
use std::error::Error as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, Json, ToSql};
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

/// Most connections the pool opens.
const POOL_MAX_SIZE: usize = 16;
/// Used when the URL sets no `connect_timeout`, so that an unreachable
/// server fails start-up instead of hanging it.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Advisory lock key serialising `migrate` across replicas.
const MIGRATION_LOCK: i64 = 7_261_001;
/// Advisory lock key serialising `bootstrap` across replicas.
const BOOTSTRAP_LOCK: i64 = 7_261_002;

pub struct PgStore {
    pool: Pool,
    /// Where the change-feed listener connects.
    config: tokio_postgres::Config,
    feed: Arc<ChangeFeed>,
    listener: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(task) = self.listener.lock().ok().and_then(|mut l| l.take()) {
            task.abort();
        }
    }
}

/// Wait before connecting the listener again after losing it.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// Keeps one connection listening on the change channel for as long as the
/// store lives, reconnecting when it is lost; the feed remembers nothing
/// while it is not listening.
async fn listen_for_changes(config: tokio_postgres::Config, feed: Arc<ChangeFeed>) {
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut notes) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    while let Some(Ok(message)) =
                        std::future::poll_fn(|cx| connection.poll_message(cx)).await
                    {
                        if let tokio_postgres::AsyncMessage::Notification(n) = message {
                            if tx.send(Changed::from_payload(n.payload())).is_err() {
                                break;
                            }
                        }
                    }
                });
                match client
                    .batch_execute(&format!("LISTEN {}", change_feed::CHANNEL))
                    .await
                {
                    Ok(()) => {
                        feed.set_live(true);
                        while let Some(changed) = notes.recv().await {
                            feed.forget(changed);
                        }
                        tracing::warn!("lost the PostgreSQL change listener; reconnecting");
                    }
                    Err(e) => tracing::warn!(error = %describe(&e), "cannot listen for changes"),
                }
                feed.set_live(false);
                driver.abort();
            }
            Err(e) => {
                tracing::warn!(error = %describe(&e), "cannot connect the change listener")
            }
        }
        tokio::time::sleep(LISTEN_RETRY).await;
    }
}

/// A readable description of a driver error. The driver's own `Display`
/// says only "db error" for server errors, so those are described by their
/// severity, message and SQLSTATE (not their detail, which can quote row
/// values); other errors get their cause appended. Neither ever contains
/// the connection password.
fn describe(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
    }
    match e.source() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Maps a tokio-postgres error to a store error: unique violations become
/// conflicts naming the constraint; text the server cannot store (NUL in
/// `text`, `\u0000` in JSONB) is invalid input; a lost connection, a server
/// shutting down, out of resources or read-only means the database is
/// unavailable.
pub(crate) fn map_err(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            return StoreError::Conflict(
                db.constraint().unwrap_or("unique constraint").to_string(),
            );
        }
        if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
            || *code == SqlState::UNTRANSLATABLE_CHARACTER
        {
            return StoreError::InvalidText;
        }
        let class = code.code();
        let unavailable = class.starts_with("08")
            || class.starts_with("53")
            || [
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CRASH_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::READ_ONLY_SQL_TRANSACTION,
            ]
            .contains(code);
        return if unavailable {
            StoreError::Unavailable(describe(&e))
        } else {
            StoreError::Database(describe(&e))
        };
    }
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) {
        return StoreError::Unavailable(describe(&e));
    }
    StoreError::Database(describe(&e))
}

/// A connection could not be had from the pool: the database is unavailable.
fn pool_err(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => StoreError::Unavailable(describe(&e)),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Reads one column, turning a type mismatch into an error, not a panic.
fn col<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).map_err(map_err)
}

fn parse_role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad role '{s}'")))
}

fn parse_scopes(v: serde_json::Value) -> StoreResult<Vec<String>> {
    serde_json::from_value(v).map_err(|_| StoreError::Corrupt("bad token scopes".into()))
}

/// One JSON column of a catalog write, parsed for binding as JSONB.
fn catalog_json(key: &str, field: &str, text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        StoreError::Database(format!(
            "catalog entry '{key}': {field} is not valid JSON: {e}"
        ))
    })
}

impl PgStore {
    /// Parses the URL, builds the pool and opens one connection to prove the
    /// server is reachable. Errors never quote the URL (it may hold a
    /// password).
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", describe(&e)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        let config_for_listener = config.clone();
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_MAX_SIZE)
            .build()
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot build the PostgreSQL pool: {e}"))
            })?;
        let store = PgStore {
            pool,
            config: config_for_listener,
            feed: Arc::new(ChangeFeed::default()),
            listener: std::sync::Mutex::new(None),
        };
        let probe = store.client().await.map_err(|e| match e {
            StoreError::Unavailable(m) => {
                StoreError::Unavailable(format!("cannot connect to PostgreSQL: {m}"))
            }
            other => other,
        })?;
        drop(probe);
        Ok(store)
    }

    async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn read_token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, t.scopes
                 FROM api_tokens t
                 JOIN users u ON u.id = t.user_id
                 JOIN memberships m ON m.user_id = t.user_id AND m.tenant_id = t.tenant_id
                 JOIN tenants te ON te.id = t.tenant_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            )
            .await
            .map_err(map_err)?;
        let row = c.query_opt(&stmt, &[&token_hash]).await.map_err(map_err)?;
        row.map(|r| {
            Ok(Principal {
                user_id: col(&r, 0)?,
                email: col(&r, 1)?,
                display_name: col(&r, 2)?,
                tenant_id: col(&r, 3)?,
                tenant_slug: col(&r, 4)?,
                role: parse_role(&col::<String>(&r, 5)?)?,
                scopes: parse_scopes(col(&r, 6)?)?,
                via: AuthMethod::Token,
            })
        })
        .transpose()
    }

    async fn read_catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT COUNT(*), MAX(updated_at) FROM connector_catalog")
            .await
            .map_err(map_err)?;
        let row = c.query_one(&stmt, &[]).await.map_err(map_err)?;
        Ok((row.get(0), row.get(1)))
    }
}

const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)";

/// One applied migration as recorded in `schema_migrations`.
struct AppliedMigration {
    version: i64,
    name: String,
    checksum: String,
    applied_at: DateTime<Utc>,
}

/// The applied migrations, or none when `schema_migrations` does not exist.
async fn applied_migrations(c: &tokio_postgres::Client) -> StoreResult<Vec<AppliedMigration>> {
    let row = c
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(map_err)?;
    if !col::<bool>(&row, 0)? {
        return Ok(Vec::new());
    }
    let rows = c
        .query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(map_err)?;
    rows.iter()
        .map(|r| {
            Ok(AppliedMigration {
                version: col(r, 0)?,
                name: col(r, 1)?,
                checksum: col(r, 2)?,
                applied_at: col(r, 3)?,
            })
        })
        .collect()
}

fn tenant_from_row(r: &Row) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: col(r, 0)?,
        slug: col(r, 1)?,
        name: col(r, 2)?,
    })
}

fn user_from_row(r: &Row) -> StoreResult<User> {
    Ok(User {
        id: col(r, 0)?,
        email: col(r, 1)?,
        display_name: col(r, 2)?,
    })
}

fn catalog_from_row(r: &Row) -> StoreResult<CatalogRow> {
    Ok(CatalogRow {
        id: col(r, 0)?,
        key: col(r, 1)?,
        document: col(r, 2)?,
        created_at: col(r, 3)?,
        updated_at: col(r, 4)?,
    })
}

async fn insert_user(
    tx: &Transaction<'_>,
    email: &str,
    display: &str,
    hash: Option<&str>,
) -> StoreResult<User> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO users (id, email, display_name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id, &email, &display, &hash, &time::now()],
    )
    .await
    .map_err(map_err)?;
    Ok(User {
        id,
        email: email.to_string(),
        display_name: display.to_string(),
    })
}

async fn insert_tenant(tx: &Transaction<'_>, slug: &str, name: &str) -> StoreResult<Tenant> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)",
        &[&id, &slug, &name, &time::now()],
    )
    .await
    .map_err(map_err)?;
    Ok(Tenant {
        id,
        slug: slug.to_string(),
        name: name.to_string(),
    })
}

/// The JSON columns of a catalog write, parsed for binding as JSONB.
struct CatalogJson {
    capabilities: serde_json::Value,
    default_config_schema: serde_json::Value,
    auth_schema: serde_json::Value,
}

impl CatalogJson {
    fn parse(e: &CatalogWrite) -> StoreResult<CatalogJson> {
        Ok(CatalogJson {
            capabilities: catalog_json(&e.key, "capabilities", &e.capabilities)?,
            default_config_schema: catalog_json(
                &e.key,
                "default_config_schema",
                &e.default_config_schema,
            )?,
            auth_schema: catalog_json(&e.key, "auth_schema", &e.auth_schema)?,
        })
    }
}

/// Brings an existing (locked) catalog row up to date: unchanged when the
/// document text is the same, otherwise updated in place, keeping its id.
async fn catalog_update_existing(
    tx: &Transaction<'_>,
    row: &Row,
    e: &CatalogWrite,
    j: &CatalogJson,
) -> StoreResult<UpsertOutcome> {
    let id: String = col(row, 0)?;
    let doc: String = col(row, 1)?;
    if doc == e.document {
        return Ok(UpsertOutcome::Unchanged);
    }
    tx.execute(
        "UPDATE connector_catalog SET name = $2, description = $3, category = $4, icon = $5,
            auth_type = $6, capabilities = $7, default_config_schema = $8, auth_schema = $9,
            document = $10, updated_at = $11 WHERE id = $1",
        &[
            &id,
            &e.name,
            &e.description,
            &e.category,
            &e.icon,
            &e.auth_type,
            &j.capabilities,
            &j.default_config_schema,
            &j.auth_schema,
            &e.document,
            &time::now(),
        ],
    )
    .await
    .map_err(map_err)?;
    Ok(UpsertOutcome::Updated)
}

const CATALOG_LOCK_ROW: &str =
    "SELECT id, document FROM connector_catalog WHERE key = $1 FOR UPDATE";

/// The order of a tenant's connectors: by id, in the "C" collation, which
/// only the index on `(tenant_id, id COLLATE "C")` gives (see migration
/// 0003), so the planner never walks the primary key instead.
const PAGE_ORDER: &str = r#"c.id COLLATE "C""#;

/// The columns of a connector row, as every connector read selects them.
const CONNECTOR_SELECT: &str =
    "SELECT c.id, c.tenant_id, c.catalog_id, cat.key, cat.updated_at, c.name, c.status,
    c.status_message, c.config::text, c.auth::text, c.tags::text, c.version, c.created_at,
    c.updated_at, c.created_by, c.updated_by, c.created_by_name, c.updated_by_name
    FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id";

fn connector_from_row(r: &Row) -> StoreResult<ConnectorRow> {
    Ok(ConnectorRow {
        id: col(r, 0)?,
        tenant_id: col(r, 1)?,
        catalog_id: col(r, 2)?,
        catalog_key: col(r, 3)?,
        catalog_updated_at: col(r, 4)?,
        name: col(r, 5)?,
        status: col(r, 6)?,
        status_message: col(r, 7)?,
        config: col(r, 8)?,
        auth: col(r, 9)?,
        tags: col(r, 10)?,
        version: col(r, 11)?,
        created_at: col(r, 12)?,
        updated_at: col(r, 13)?,
        created_by: col(r, 14)?,
        updated_by: col(r, 15)?,
        created_by_name: col(r, 16)?,
        updated_by_name: col(r, 17)?,
    })
}

/// A page of a tenant's connectors: the SQL and its text parameters, as
/// the store runs it; the limit is the one parameter after those (pgbench
/// runs it too, through `bench-internals`).
pub fn connector_list_query(tenant_id: &str, f: &ConnectorFilter) -> (String, Vec<String>) {
    let mut sql = format!("{CONNECTOR_SELECT} WHERE c.tenant_id = $1");
    let mut args: Vec<String> = vec![tenant_id.to_owned()];
    let conditions = [
        (" AND c.status = $?", f.status.clone()),
        (" AND cat.key = $?", f.catalog_key.clone()),
        (" AND jsonb_exists(c.tags, $?)", f.tag.clone()),
        (
            " AND c.name ILIKE $? ESCAPE '\\'",
            f.name_contains
                .as_deref()
                .map(|v| format!("%{}%", like_escape(v))),
        ),
        (r#" AND c.id COLLATE "C" > $?"#, f.after_id.clone()),
    ];
    for (cond, value) in conditions {
        if let Some(v) = value {
            args.push(v);
            sql.push_str(&cond.replace("$?", &format!("${}", args.len())));
        }
    }
    sql.push_str(&format!(" ORDER BY {PAGE_ORDER} LIMIT ${}", args.len() + 1));
    (sql, args)
}

/// A JSON text value checked and bound as JSONB as written: the server
/// parses the text itself, so numbers keep their exact value (as in SQLite,
/// which stores the text).
fn json_param(what: &str, text: &str) -> StoreResult<Json<Box<RawValue>>> {
    RawValue::from_string(text.to_owned())
        .map(Json)
        .map_err(|e| StoreError::Database(format!("{what} is not valid JSON: {e}")))
}

async fn get_connector<C: GenericClient>(
    c: &C,
    tenant_id: &str,
    id: &str,
) -> StoreResult<Option<ConnectorRow>> {
    let stmt = c
        .prepare_cached(&format!(
            "{CONNECTOR_SELECT} WHERE c.tenant_id = $1 AND c.id = $2"
        ))
        .await
        .map_err(map_err)?;
    c.query_opt(&stmt, &[&tenant_id, &id])
        .await
        .map_err(map_err)?
        .as_ref()
        .map(connector_from_row)
        .transpose()
}

async fn insert_audit<C: GenericClient>(c: &C, tenant_id: &str, a: &AuditWrite) -> StoreResult<()> {
    let changes = json_param("audit changes", &a.changes)?;
    let stmt = c
        .prepare_cached(
            "INSERT INTO audit_events (id, tenant_id, connector_id, actor_id, actor_name, action,
                changes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await
        .map_err(map_err)?;
    c.execute(
        &stmt,
        &[
            &a.id,
            &tenant_id,
            &a.connector_id,
            &a.actor_id,
            &a.actor_name,
            &a.action,
            &changes,
            &a.created_at,
        ],
    )
    .await
    .map_err(map_err)?;
    Ok(())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        let c = self.client().await?;
        c.batch_execute("SELECT 1").await.map_err(map_err)
    }

    fn following_changes(&self) -> Option<bool> {
        Some(self.feed.is_live())
    }

    fn follow_changes(&self) {
        if let Ok(mut listener) = self.listener.lock() {
            if listener.is_none() {
                *listener = Some(tokio::spawn(listen_for_changes(
                    self.config.clone(),
                    self.feed.clone(),
                )));
            }
        }
    }

    async fn migrate(&self) -> StoreResult<Vec<MigrationState>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(map_err)?;
        tx.batch_execute(MIGRATIONS_TABLE).await.map_err(map_err)?;
        let applied: Vec<(i64, String)> = applied_migrations(tx.client())
            .await?
            .into_iter()
            .map(|a| (a.version, a.checksum))
            .collect();
        let todo = migrations::pending(Backend::Postgres, &applied)?;
        let mut done = Vec::new();
        for m in todo {
            tx.batch_execute(&m.sql).await.map_err(|e| {
                StoreError::Migration(format!("{:04}_{}: {}", m.version, m.name, describe(&e)))
            })?;
            let now = time::now();
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)
                 VALUES ($1, $2, $3, $4)",
                &[&m.version, &m.name, &m.checksum, &now],
            )
            .await
            .map_err(map_err)?;
            done.push(MigrationState {
                version: m.version,
                name: m.name,
                applied_at: Some(now),
            });
        }
        tx.commit().await.map_err(map_err)?;
        Ok(done)
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>> {
        let c = self.client().await?;
        let applied = applied_migrations(&c).await?;
        let mut out: Vec<MigrationState> = migrations::all(Backend::Postgres)
            .into_iter()
            .map(|m| MigrationState {
                version: m.version,
                applied_at: applied
                    .iter()
                    .find(|a| a.version == m.version)
                    .map(|a| a.applied_at),
                name: m.name,
            })
            .collect();
        for a in applied {
            if !out.iter().any(|m| m.version == a.version) {
                out.push(MigrationState {
                    version: a.version,
                    name: a.name,
                    applied_at: Some(a.applied_at),
                });
            }
        }
        Ok(out)
    }

    async fn catalog_upsert(&self, e: &CatalogWrite) -> StoreResult<UpsertOutcome> {
        let j = CatalogJson::parse(e)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let outcome = match tx
            .query_opt(CATALOG_LOCK_ROW, &[&e.key])
            .await
            .map_err(map_err)?
        {
            Some(row) => catalog_update_existing(&tx, &row, e, &j).await?,
            None => {
                let now = time::now();
                let inserted = tx
                    .execute(
                        "INSERT INTO connector_catalog (id, key, name, description, category, icon,
                            auth_type, capabilities, default_config_schema, auth_schema, document,
                            created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                         ON CONFLICT (key) DO NOTHING",
                        &[
                            &Uuid::new_v4().to_string(),
                            &e.key,
                            &e.name,
                            &e.description,
                            &e.category,
                            &e.icon,
                            &e.auth_type,
                            &j.capabilities,
                            &j.default_config_schema,
                            &j.auth_schema,
                            &e.document,
                            &now,
                        ],
                    )
                    .await
                    .map_err(map_err)?;
                if inserted == 1 {
                    UpsertOutcome::Created
                } else {
                    // A concurrent upsert inserted the key first and has
                    // committed (ON CONFLICT waited for it): treat this one
                    // as a later write of the same entry.
                    let row = tx
                        .query_opt(CATALOG_LOCK_ROW, &[&e.key])
                        .await
                        .map_err(map_err)?
                        .ok_or_else(|| {
                            StoreError::Database(format!(
                                "catalog entry '{}' conflicted on insert but cannot be read",
                                e.key
                            ))
                        })?;
                    catalog_update_existing(&tx, &row, e, &j).await?
                }
            }
        };
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Catalog));
        Ok(outcome)
    }

    async fn catalog_list(&self) -> StoreResult<Vec<CatalogRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog
                 ORDER BY name COLLATE \"C\", key COLLATE \"C\"",
            )
            .await
            .map_err(map_err)?;
        let rows = c.query(&stmt, &[]).await.map_err(map_err)?;
        rows.iter().map(catalog_from_row).collect()
    }

    async fn catalog_get(&self, key: &str) -> StoreResult<Option<CatalogRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog
                 WHERE key = $1",
            )
            .await
            .map_err(map_err)?;
        c.query_opt(&stmt, &[&key])
            .await
            .map_err(map_err)?
            .as_ref()
            .map(catalog_from_row)
            .transpose()
    }

    async fn catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        if let Some(v) = self.feed.catalog_version() {
            return Ok(v);
        }
        let ticket = self.feed.ticket();
        let v = self.read_catalog_version().await?;
        self.feed.remember_catalog_version(ticket, v);
        Ok(v)
    }

    async fn has_users(&self) -> StoreResult<bool> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT EXISTS (SELECT 1 FROM users)", &[])
            .await
            .map_err(map_err)?;
        col(&row, 0)
    }

    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])
            .await
            .map_err(map_err)?;
        let row = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM users)", &[])
            .await
            .map_err(map_err)?;
        if col::<bool>(&row, 0)? {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        let existing = tx
            .query_opt(
                "SELECT id, slug, name FROM tenants WHERE slug = $1",
                &[&b.tenant_slug],
            )
            .await
            .map_err(map_err)?;
        let tenant = match existing {
            Some(r) => tenant_from_row(&r)?,
            None => insert_tenant(&tx, &b.tenant_slug, &b.tenant_name).await?,
        };
        let user = insert_user(&tx, &b.email, &b.display_name, Some(&b.password_hash)).await?;
        tx.execute(
            "INSERT INTO memberships (tenant_id, user_id, role, created_at)
             VALUES ($1, $2, 'owner', $3)",
            &[&tenant.id, &user.id, &time::now()],
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn tenant_create(&self, slug: &str, name: &str) -> StoreResult<Tenant> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let tenant = insert_tenant(&tx, slug, name).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(tenant)
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>> {
        let c = self.client().await?;
        c.query_opt(
            "SELECT id, slug, name FROM tenants WHERE slug = $1",
            &[&slug],
        )
        .await
        .map_err(map_err)?
        .as_ref()
        .map(tenant_from_row)
        .transpose()
    }

    async fn member_upsert(
        &self,
        tenant_id: &str,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
    ) -> StoreResult<MemberWrite> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let existing = tx
            .query_opt(
                "SELECT id, email, display_name FROM users WHERE email = $1 FOR UPDATE",
                &[&email],
            )
            .await
            .map_err(map_err)?;
        let (user, user_created) = match existing {
            Some(r) => {
                let u = user_from_row(&r)?;
                if let Some(h) = password_hash {
                    tx.execute(
                        "UPDATE users SET password_hash = $2 WHERE id = $1",
                        &[&u.id, &h],
                    )
                    .await
                    .map_err(map_err)?;
                    tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&u.id])
                        .await
                        .map_err(map_err)?;
                }
                (u, false)
            }
            None => (
                insert_user(&tx, email, display_name, password_hash).await?,
                true,
            ),
        };
        let current = tx
            .query_opt(
                "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE",
                &[&tenant_id, &user.id],
            )
            .await
            .map_err(map_err)?;
        let membership = match current {
            Some(r) if col::<String>(&r, 0)? == role.as_str() => MembershipOutcome::Unchanged,
            Some(_) => {
                tx.execute(
                    "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
                    &[&tenant_id, &user.id, &role.as_str()],
                )
                .await
                .map_err(map_err)?;
                tx.execute(
                    "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
                    &[&tenant_id, &user.id],
                )
                .await
                .map_err(map_err)?;
                MembershipOutcome::RoleChanged
            }
            None => {
                tx.execute(
                    "INSERT INTO memberships (tenant_id, user_id, role, created_at)
                     VALUES ($1, $2, $3, $4)",
                    &[&tenant_id, &user.id, &role.as_str(), &time::now()],
                )
                .await
                .map_err(map_err)?;
                MembershipOutcome::Added
            }
        };
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Auth));
        Ok(MemberWrite {
            user,
            user_created,
            password_set: password_hash.is_some(),
            membership,
        })
    }

    async fn member_remove(&self, tenant_id: &str, email: &str) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let removed = tx
            .execute(
                "DELETE FROM memberships WHERE tenant_id = $1
                 AND user_id = (SELECT id FROM users WHERE email = $2)",
                &[&tenant_id, &email],
            )
            .await
            .map_err(map_err)?;
        tx.execute(
            "DELETE FROM sessions WHERE tenant_id = $1
             AND user_id = (SELECT id FROM users WHERE email = $2)",
            &[&tenant_id, &email],
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Auth));
        Ok(removed == 1)
    }

    async fn member_by_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> StoreResult<Option<(User, Role)>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT u.id, u.email, u.display_name, m.role FROM users u
                 JOIN memberships m ON m.user_id = u.id
                 WHERE m.tenant_id = $1 AND u.email = $2",
                &[&tenant_id, &email],
            )
            .await
            .map_err(map_err)?;
        row.map(|r| Ok((user_from_row(&r)?, parse_role(&col::<String>(&r, 3)?)?)))
            .transpose()
    }

    async fn token_insert(&self, t: &NewTokenRow) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, scopes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &t.id,
                &t.tenant_id,
                &t.user_id,
                &t.name,
                &t.token_hash,
                &Json(&t.scopes),
                &time::now(),
            ],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn token_list(&self, tenant_id: &str) -> StoreResult<Vec<TokenRow>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT t.id, t.name, u.email, t.scopes, t.created_at, t.revoked_at
                 FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.tenant_id = $1 ORDER BY t.created_at, t.id COLLATE \"C\"",
                &[&tenant_id],
            )
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    id: col(r, 0)?,
                    name: col(r, 1)?,
                    user_email: col(r, 2)?,
                    scopes: parse_scopes(col(r, 3)?)?,
                    created_at: col(r, 4)?,
                    revoked_at: col(r, 5)?,
                })
            })
            .collect()
    }

    async fn token_revoke(&self, token_id: &str) -> StoreResult<RevokeOutcome> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let row = tx
            .query_opt(
                "SELECT revoked_at FROM api_tokens WHERE id = $1 FOR UPDATE",
                &[&token_id],
            )
            .await
            .map_err(map_err)?;
        let revoked: Option<Option<DateTime<Utc>>> = row.map(|r| col(&r, 0)).transpose()?;
        let outcome = match revoked {
            None => RevokeOutcome::NotFound,
            Some(Some(_)) => RevokeOutcome::AlreadyRevoked,
            Some(None) => {
                tx.execute(
                    "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1",
                    &[&token_id, &time::now()],
                )
                .await
                .map_err(map_err)?;
                RevokeOutcome::Revoked
            }
        };
        tx.commit().await.map_err(map_err)?;
        self.feed.forget(Some(Changed::Auth));
        Ok(outcome)
    }

    async fn token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        if let Some(p) = self.feed.principal(token_hash) {
            return Ok(Some(p));
        }
        let ticket = self.feed.ticket();
        let found = self.read_token_principal(token_hash).await?;
        if let Some(p) = &found {
            self.feed.remember_principal(ticket, token_hash, p);
        }
        Ok(found)
    }

    async fn key_checks(&self) -> StoreResult<Vec<(String, String)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT key_id, check_value FROM key_checks ORDER BY key_id COLLATE \"C\"",
                &[],
            )
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    async fn key_check_insert(&self, key_id: &str, check_value: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO key_checks (key_id, check_value, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key_id) DO NOTHING",
            &[&key_id, &check_value, &time::now()],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn key_usage(&self) -> StoreResult<Vec<(String, i64)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT auth ->> 'kid' AS kid, COUNT(*) FROM connectors
                 WHERE auth ->> 'kid' IS NOT NULL
                 GROUP BY 1 ORDER BY (auth ->> 'kid') COLLATE \"C\"",
                &[],
            )
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    async fn catalog_get_by_id(&self, id: &str) -> StoreResult<Option<CatalogRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog
                 WHERE id = $1",
            )
            .await
            .map_err(map_err)?;
        c.query_opt(&stmt, &[&id])
            .await
            .map_err(map_err)?
            .as_ref()
            .map(catalog_from_row)
            .transpose()
    }

    async fn connector_insert(
        &self,
        tenant_id: &str,
        row: &ConnectorInsert,
        audit: &AuditWrite,
    ) -> StoreResult<()> {
        let config = json_param("connector config", &row.config)?;
        let auth = json_param("connector auth", &row.auth)?;
        let tags = json_param("connector tags", &row.tags)?;
        let changes = json_param("audit changes", &audit.changes)?;
        let c = self.client().await?;
        // One statement, so one round trip and one implicit transaction:
        // the audit event is written only if the connector row is.
        let stmt = c
            .prepare_cached(
                "WITH inserted AS (
                    INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth,
                        tags, version, created_at, updated_at, created_by, updated_by,
                        created_by_name, updated_by_name)
                    VALUES ($1, $2, $3, $4, 'inactive', $5, $6, $7, 1, $8, $8, $9, $9, $10, $10)
                    RETURNING id)
                 INSERT INTO audit_events (id, tenant_id, connector_id, actor_id, actor_name,
                    action, changes, created_at)
                 SELECT $11, $2, inserted.id, $12, $13, $14, $15, $16 FROM inserted",
            )
            .await
            .map_err(map_err)?;
        c.execute(
            &stmt,
            &[
                &row.id,
                &tenant_id,
                &row.catalog_id,
                &row.name,
                &config,
                &auth,
                &tags,
                &row.now,
                &row.actor_id,
                &row.actor_name,
                &audit.id,
                &audit.actor_id,
                &audit.actor_name,
                &audit.action,
                &changes,
                &audit.created_at,
            ],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn connector_get(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ConnectorRow>> {
        let c = self.client().await?;
        get_connector(&c, tenant_id, id).await
    }

    async fn connector_list(
        &self,
        tenant_id: &str,
        filter: &ConnectorFilter,
    ) -> StoreResult<Vec<ConnectorRow>> {
        let (sql, args) = connector_list_query(tenant_id, filter);
        let params: Vec<&(dyn ToSql + Sync)> = args
            .iter()
            .map(|a| a as &(dyn ToSql + Sync))
            .chain(std::iter::once(&filter.limit as &(dyn ToSql + Sync)))
            .collect();
        let c = self.client().await?;
        let stmt = c.prepare_cached(&sql).await.map_err(map_err)?;
        let rows = c.query(&stmt, &params).await.map_err(map_err)?;
        rows.iter().map(connector_from_row).collect()
    }

    async fn publish_targets(
        &self,
        tenant_id: &str,
        catalog_ids: &[String],
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PublishTargetRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(&format!(
                "SELECT c.id, c.name, c.catalog_id, cat.key
                 FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id
                 WHERE c.tenant_id = $1 AND c.status = 'active'
                   AND c.catalog_id = ANY($2::text[])
                   AND ($3::text IS NULL OR {PAGE_ORDER} > $3)
                 ORDER BY {PAGE_ORDER} LIMIT $4"
            ))
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&tenant_id, &catalog_ids, &after_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(PublishTargetRow {
                    id: col(r, 0)?,
                    name: col(r, 1)?,
                    catalog_id: col(r, 2)?,
                    catalog_key: col(r, 3)?,
                })
            })
            .collect()
    }

    async fn connector_update(
        &self,
        tenant_id: &str,
        u: &ConnectorUpdate,
        audit: &AuditWrite,
    ) -> StoreResult<UpdateOutcome> {
        let config = json_param("connector config", &u.config)?;
        let (auth, expected_auth) = match &u.auth {
            Some(a) => (
                Some(json_param("connector auth", &a.sealed)?),
                Some(json_param("connector auth", &a.expected)?),
            ),
            None => (None, None),
        };
        let tags = json_param("connector tags", &u.tags)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let stmt = tx
            .prepare_cached(
                "UPDATE connectors SET name = $4, status = $5, status_message = $6, config = $7,
                    auth = COALESCE($8::jsonb, auth), tags = $9, version = version + 1,
                    updated_at = $10, updated_by = $11, updated_by_name = $12
                 WHERE tenant_id = $1 AND id = $2 AND version = $3
                   AND ($13::jsonb IS NULL OR auth = $13::jsonb)",
            )
            .await
            .map_err(map_err)?;
        let n = tx
            .execute(
                &stmt,
                &[
                    &tenant_id,
                    &u.id,
                    &u.expected_version,
                    &u.name,
                    &u.status,
                    &u.status_message,
                    &config,
                    &auth,
                    &tags,
                    &u.now,
                    &u.actor_id,
                    &u.actor_name,
                    &expected_auth,
                ],
            )
            .await
            .map_err(map_err)?;
        if n == 0 {
            let row = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM connectors WHERE tenant_id = $1 AND id = $2)",
                    &[&tenant_id, &u.id],
                )
                .await
                .map_err(map_err)?;
            let exists: bool = col(&row, 0)?;
            tx.rollback().await.map_err(map_err)?;
            return Ok(if exists {
                UpdateOutcome::VersionMismatch
            } else {
                UpdateOutcome::NotFound
            });
        }
        insert_audit(&tx, tenant_id, audit).await?;
        let updated = get_connector(&tx, tenant_id, &u.id).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(match updated {
            Some(row) => UpdateOutcome::Updated(Box::new(row)),
            None => UpdateOutcome::NotFound,
        })
    }

    async fn connector_delete(
        &self,
        tenant_id: &str,
        id: &str,
        audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        let n = tx
            .execute(
                "DELETE FROM connectors WHERE tenant_id = $1 AND id = $2",
                &[&tenant_id, &id],
            )
            .await
            .map_err(map_err)?;
        if n == 0 {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        }
        insert_audit(&tx, tenant_id, audit).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn audit_insert(&self, tenant_id: &str, audit: &AuditWrite) -> StoreResult<()> {
        let c = self.client().await?;
        insert_audit(&c, tenant_id, audit).await
    }

    async fn audit_list(
        &self,
        tenant_id: &str,
        connector_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, connector_id, actor_id, actor_name, action, changes::text, created_at
                 FROM audit_events
                 WHERE tenant_id = $1 AND ($2::text IS NULL OR connector_id = $2)
                   AND ($3::text IS NULL OR id COLLATE \"C\" < $3)
                 ORDER BY id COLLATE \"C\" DESC LIMIT $4",
            )
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&tenant_id, &connector_id, &before_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: col(r, 0)?,
                    connector_id: col(r, 1)?,
                    actor_id: col(r, 2)?,
                    actor_name: col(r, 3)?,
                    action: col(r, 4)?,
                    changes: col(r, 5)?,
                    created_at: col(r, 6)?,
                })
            })
            .collect()
    }

    async fn secrets_not_under(
        &self,
        primary_kid: &str,
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<SecretRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, tenant_id, auth::text FROM connectors
                 WHERE (auth ->> 'kid') IS DISTINCT FROM $1
                   AND ($2::text IS NULL OR id > $2)
                 ORDER BY id LIMIT $3",
            )
            .await
            .map_err(map_err)?;
        let rows = c
            .query(&stmt, &[&primary_kid, &after_id, &limit])
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(SecretRow {
                    id: col(r, 0)?,
                    tenant_id: col(r, 1)?,
                    auth: col(r, 2)?,
                })
            })
            .collect()
    }

    async fn secret_replace(&self, id: &str, old_auth: &str, new_auth: &str) -> StoreResult<bool> {
        let old = json_param("old secrets envelope", old_auth)?;
        let new = json_param("new secrets envelope", new_auth)?;
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE connectors SET auth = $3::jsonb WHERE id = $1 AND auth = $2::jsonb",
                &[&id, &old, &new],
            )
            .await
            .map_err(map_err)?;
        Ok(n == 1)
    }

    async fn login_user(&self, email: &str) -> StoreResult<Option<LoginUser>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, email, display_name, password_hash FROM users WHERE email = $1",
            )
            .await
            .map_err(map_err)?;
        let row = c.query_opt(&stmt, &[&email]).await.map_err(map_err)?;
        row.map(|r| {
            Ok(LoginUser {
                user: user_from_row(&r)?,
                password_hash: col(&r, 3)?,
            })
        })
        .transpose()
    }

    async fn user_tenants(&self, user_id: &str) -> StoreResult<Vec<(Tenant, Role)>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT t.id, t.slug, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
                 WHERE m.user_id = $1 ORDER BY t.slug COLLATE \"C\"",
            )
            .await
            .map_err(map_err)?;
        let rows = c.query(&stmt, &[&user_id]).await.map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((tenant_from_row(r)?, parse_role(&col::<String>(r, 3)?)?)))
            .collect()
    }

    async fn session_insert(&self, s: &SessionWrite) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        tx.execute("DELETE FROM sessions WHERE expires_at < $1", &[&s.now])
            .await
            .map_err(map_err)?;
        tx.execute(
            "INSERT INTO sessions (id_hash, user_id, tenant_id, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $4, $5)",
            &[&s.id_hash, &s.user_id, &s.tenant_id, &s.now, &s.expires_at],
        )
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    async fn session_get(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, s.last_seen_at
                 FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 JOIN memberships m ON m.user_id = s.user_id AND m.tenant_id = s.tenant_id
                 JOIN tenants te ON te.id = s.tenant_id
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
            )
            .await
            .map_err(map_err)?;
        let row = c
            .query_opt(&stmt, &[&id_hash, &now, &idle_cutoff])
            .await
            .map_err(map_err)?;
        row.map(|r| {
            Ok(SessionRow {
                principal: Principal {
                    user_id: col(&r, 0)?,
                    email: col(&r, 1)?,
                    display_name: col(&r, 2)?,
                    tenant_id: col(&r, 3)?,
                    tenant_slug: col(&r, 4)?,
                    role: parse_role(&col::<String>(&r, 5)?)?,
                    scopes: Vec::new(),
                    via: AuthMethod::Session,
                },
                last_seen_at: col(&r, 6)?,
            })
        })
        .transpose()
    }

    async fn session_touch(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .await
            .map_err(map_err)?;
        c.execute(&stmt, &[&id_hash, &now]).await.map_err(map_err)?;
        Ok(())
    }

    async fn session_set_tenant(&self, id_hash: &str, tenant_id: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "UPDATE sessions SET tenant_id = $2 WHERE id_hash = $1",
            &[&id_hash, &tenant_id],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn session_delete(&self, id_hash: &str) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn login_attempt_reserve(
        &self,
        limits: &[LoginLimit],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<i64>>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(map_err)?;
        // A transaction-scoped advisory lock per subject, taken in one
        // order, serialises reservations for the same account or address
        // across every replica; the count then sees every earlier one.
        let mut subjects: Vec<&str> = limits.iter().map(|l| l.subject.as_str()).collect();
        subjects.sort_unstable();
        subjects.dedup();
        let lock = tx
            .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1, 7401))")
            .await
            .map_err(map_err)?;
        for subject in subjects {
            tx.execute(&lock, &[&subject]).await.map_err(map_err)?;
        }
        let count = tx
            .prepare_cached(
                "SELECT COUNT(*) FROM login_failures WHERE subject = $1 AND failed_at > $2",
            )
            .await
            .map_err(map_err)?;
        for l in limits {
            let row = tx
                .query_one(&count, &[&l.subject, &since])
                .await
                .map_err(map_err)?;
            if col::<i64>(&row, 0)? >= l.max {
                tx.rollback().await.map_err(map_err)?;
                return Ok(None);
            }
        }
        let insert = tx
            .prepare_cached(
                "INSERT INTO login_failures (subject, failed_at) VALUES ($1, $2) RETURNING id",
            )
            .await
            .map_err(map_err)?;
        let mut ids = Vec::with_capacity(limits.len());
        for l in limits {
            let row = tx
                .query_one(&insert, &[&l.subject, &now])
                .await
                .map_err(map_err)?;
            ids.push(col::<i64>(&row, 0)?);
        }
        tx.commit().await.map_err(map_err)?;
        Ok(Some(ids))
    }

    async fn login_attempt_release(&self, ids: &[i64]) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM login_failures WHERE id = ANY($1)",
            &[&ids.to_vec()],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn login_failure_clear(&self, subject: &str, before: DateTime<Utc>) -> StoreResult<()> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM login_failures WHERE subject = $1 OR failed_at < $2",
            &[&subject, &before],
        )
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
