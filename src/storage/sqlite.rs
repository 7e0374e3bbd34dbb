//! SQLite store (rusqlite): WAL mode, a busy timeout, one writer connection
//! behind a lock and a small pool of reader connections, all used from
//! blocking threads so the async runtime never waits on disk.

use super::sqlite_writer::{Readers, Writer};
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
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How many reader threads (each with its connection) serve reads; reads
/// beyond this wait in their queue.
const READERS: usize = 4;
/// How many connections serve bounded reads on the caller's own thread:
/// one per async worker of a 2-core machine; callers that find them all
/// taken go to the reader threads.
const INLINE_READERS: usize = 2;
const BUSY_TIMEOUT_MS: u64 = 5_000;

pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    readers: Readers,
    /// For bounded reads run on the caller's thread (see `inline`), one
    /// per async worker thread.
    inline: Vec<Mutex<Connection>>,
}

/// Maps a rusqlite error to a store error: constraint violations become
/// conflicts; busy, locked, read-only, full and I/O errors mean the
/// database is unavailable; a stored value that does not convert is corrupt.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::FromSqlConversionFailure(_, _, why) = &e {
        return StoreError::Corrupt(why.to_string());
    }
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let detail = msg.clone().unwrap_or_else(|| f.to_string());
        match f.code {
            ErrorCode::ConstraintViolation
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                let cols = detail
                    .strip_prefix("UNIQUE constraint failed: ")
                    .unwrap_or(&detail)
                    .to_string();
                return StoreError::Conflict(cols);
            }
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::ReadOnly
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied => return StoreError::Unavailable(detail),
            _ => {}
        }
    }
    StoreError::Database(e.to_string())
}

/// Opens one connection with the service's settings: a busy timeout,
/// foreign keys, `synchronous = NORMAL` (with WAL: durable at checkpoints,
/// never corrupt), temporary tables in memory, and the query planner
/// stability guarantee. Without that guarantee SQLite re-prepares a
/// statement every time a parameter its plan looked at is bound again (a
/// `LIMIT ?` is one), which was a full parse and plan per page listed.
/// The benchmark's raw loops open theirs with it too (`bench-internals`).
pub fn open_conn(path: &Path, create: bool) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(map_err)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;",
    )
    .map_err(map_err)?;
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(map_err)?;
    Ok(conn)
}

fn ts(t: &DateTime<Utc>) -> String {
    time::format(t)
}

fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    time::parse(s).ok_or_else(|| StoreError::Corrupt(format!("bad timestamp '{s}'")))
}

fn parse_role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad role '{s}'")))
}

fn parse_scopes(s: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(s).map_err(|_| StoreError::Corrupt("bad token scopes".into()))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its directory,
    /// both private to the service's user (see [`crate::files`]).
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        // `:memory:` and `file:` URIs are SQLite's names, not file paths.
        let plain_file = path
            .to_str()
            .is_none_or(|p| p != ":memory:" && !p.starts_with("file:"));
        if plain_file {
            crate::files::prepare_private_database(path).map_err(|e| {
                StoreError::Unavailable(format!("cannot open {}: {e}", path.display()))
            })?;
        }
        let writer = open_conn(path, true)?;
        let mode: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(map_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "could not switch {} to WAL mode (got {mode})",
                path.display()
            )));
        }
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Writer::start(writer)?,
                readers: Readers::start(
                    (0..READERS)
                        .map(|_| open_conn(path, false))
                        .collect::<StoreResult<Vec<_>>>()?,
                )?,
                inline: (0..INLINE_READERS)
                    .map(|_| open_conn(path, false).map(Mutex::new))
                    .collect::<StoreResult<Vec<_>>>()?,
            }),
        })
    }

    /// Runs `f` on one of the reader threads.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.inner.readers.run(f).await
    }

    /// Runs a bounded read on the calling thread when one of the inline
    /// connections is free, and on a reader thread otherwise. Bounded means
    /// a unique key or an index range of at most one page (a token, a
    /// session, the catalog fingerprint, one connector, an unfiltered page
    /// of a tenant's connectors): it reads pages that are nearly always in
    /// SQLite's cache and takes microseconds, less than handing it to
    /// another thread and back, and the rows it allocates are freed on the
    /// thread that allocated them.
    async fn inline<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        for slot in &self.inner.inline {
            if let Ok(conn) = slot.try_lock() {
                return f(&conn);
            }
        }
        self.read(f).await
    }

    /// Runs `f` in a transaction on the single writer connection (see
    /// [`Writer`]), committing if it returns `Ok`.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.inner.writer.run(f).await
    }
}

const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

fn applied_migrations(conn: &Connection) -> StoreResult<Vec<(i64, String, String, String)>> {
    let exists: bool = conn
        .query_row(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
            [],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    Ok(rows)
}

fn tenant_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tenant> {
    Ok(Tenant {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
    })
}

fn catalog_from_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_catalog_row(t: (String, String, String, String, String)) -> StoreResult<CatalogRow> {
    Ok(CatalogRow {
        id: t.0,
        key: t.1,
        document: t.2,
        created_at: parse_ts(&t.3)?,
        updated_at: parse_ts(&t.4)?,
    })
}

fn insert_user(
    tx: &Connection,
    email: &str,
    display: &str,
    hash: Option<&str>,
) -> StoreResult<User> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO users (id, email, display_name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, email, display, hash, ts(&time::now())],
    )
    .map_err(map_err)?;
    Ok(User {
        id,
        email: email.to_string(),
        display_name: display.to_string(),
    })
}

fn insert_tenant(tx: &Connection, slug: &str, name: &str) -> StoreResult<Tenant> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO tenants (id, slug, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, slug, name, ts(&time::now())],
    )
    .map_err(map_err)?;
    Ok(Tenant {
        id,
        slug: slug.to_string(),
        name: name.to_string(),
    })
}

/// The columns of a connector row, as every connector read selects them.
const CONNECTOR_SELECT: &str =
    "SELECT c.id, c.tenant_id, c.catalog_id, cat.key, cat.updated_at, c.name, c.status,
    c.status_message, c.config, c.auth, c.tags, c.version, c.created_at, c.updated_at, c.created_by,
    c.updated_by, c.created_by_name, c.updated_by_name
    FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id";

/// A page of a tenant's connectors: the SQL and its parameters, as the
/// store runs it (the benchmark's raw loop runs it too, through
/// `bench-internals`).
pub fn connector_list_query(
    tenant_id: &str,
    f: &ConnectorFilter,
) -> (String, Vec<Box<dyn rusqlite::ToSql + Send>>) {
    let mut sql = format!("{CONNECTOR_SELECT} WHERE c.tenant_id = ?1");
    let mut args: Vec<Box<dyn rusqlite::ToSql + Send>> = vec![Box::new(tenant_id.to_string())];
    let mut add = |cond: &str, v: String, args: &mut Vec<Box<dyn rusqlite::ToSql + Send>>| {
        args.push(Box::new(v));
        sql.push_str(&cond.replace('?', &format!("?{}", args.len())));
    };
    if let Some(v) = f.status.clone() {
        add(" AND c.status = ?", v, &mut args);
    }
    if let Some(v) = f.catalog_key.clone() {
        add(" AND cat.key = ?", v, &mut args);
    }
    if let Some(v) = f.tag.clone() {
        add(
            " AND EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value = ?)",
            v,
            &mut args,
        );
    }
    if let Some(v) = f.name_contains.as_deref() {
        add(
            " AND c.name LIKE ? ESCAPE '\\'",
            format!("%{}%", like_escape(v)),
            &mut args,
        );
    }
    if let Some(v) = f.after_id.clone() {
        add(" AND c.id > ?", v, &mut args);
    }
    args.push(Box::new(f.limit));
    sql.push_str(&format!(" ORDER BY c.id LIMIT ?{}", args.len()));
    (sql, args)
}

/// A timestamp column read in place, without copying its text first.
fn ts_col(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text = r.get_ref(i)?.as_str()?;
    time::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("bad timestamp '{text}'").into(),
        )
    })
}

/// A connector row as [`CONNECTOR_SELECT`] reads it.
fn connector_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConnectorRow> {
    Ok(ConnectorRow {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        catalog_id: r.get(2)?,
        catalog_key: r.get(3)?,
        catalog_updated_at: ts_col(r, 4)?,
        name: r.get(5)?,
        status: r.get(6)?,
        status_message: r.get(7)?,
        config: r.get(8)?,
        auth: r.get(9)?,
        tags: r.get(10)?,
        version: r.get(11)?,
        created_at: ts_col(r, 12)?,
        updated_at: ts_col(r, 13)?,
        created_by: r.get(14)?,
        updated_by: r.get(15)?,
        created_by_name: r.get(16)?,
        updated_by_name: r.get(17)?,
    })
}

fn get_connector(
    conn: &Connection,
    tenant_id: &str,
    id: &str,
) -> StoreResult<Option<ConnectorRow>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "{CONNECTOR_SELECT} WHERE c.tenant_id = ?1 AND c.id = ?2"
        ))
        .map_err(map_err)?;
    stmt.query_row(params![tenant_id, id], connector_row)
        .optional()
        .map_err(map_err)
}

fn insert_audit(tx: &Connection, tenant_id: &str, a: &AuditWrite) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO audit_events (id, tenant_id, connector_id, actor_id, actor_name, action, changes, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(map_err)?
    .execute(params![
        a.id,
        tenant_id,
        a.connector_id,
        a.actor_id,
        a.actor_name,
        a.action,
        a.changes,
        ts(&a.created_at)
    ])
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
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn migrate(&self) -> StoreResult<Vec<MigrationState>> {
        self.write(|tx| {
            tx.execute_batch(MIGRATIONS_TABLE).map_err(map_err)?;
            let applied: Vec<(i64, String)> = applied_migrations(tx)?
                .into_iter()
                .map(|(v, _, c, _)| (v, c))
                .collect();
            let todo = migrations::pending(Backend::Sqlite, &applied)?;
            let mut done = Vec::new();
            for m in todo {
                tx.execute_batch(&m.sql).map_err(|e| {
                    StoreError::Migration(format!("{:04}_{}: {e}", m.version, m.name))
                })?;
                let now = time::now();
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                    params![m.version, m.name, m.checksum, ts(&now)],
                )
                .map_err(map_err)?;
                done.push(MigrationState {
                    version: m.version,
                    name: m.name,
                    applied_at: Some(now),
                });
            }
            Ok(done)
        })
        .await
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>> {
        self.read(|c| {
            let applied = applied_migrations(c)?;
            let mut out = Vec::new();
            for m in migrations::all(Backend::Sqlite) {
                let at = applied
                    .iter()
                    .find(|a| a.0 == m.version)
                    .map(|a| parse_ts(&a.3))
                    .transpose()?;
                out.push(MigrationState {
                    version: m.version,
                    name: m.name,
                    applied_at: at,
                });
            }
            for a in &applied {
                if !out.iter().any(|m| m.version == a.0) {
                    out.push(MigrationState {
                        version: a.0,
                        name: a.1.clone(),
                        applied_at: Some(parse_ts(&a.3)?),
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn catalog_upsert(&self, e: &CatalogWrite) -> StoreResult<UpsertOutcome> {
        let e = e.clone();
        self.write(move |tx| {
            let existing: Option<(String, String)> = tx
                .query_row(
                    "SELECT id, document FROM connector_catalog WHERE key = ?1",
                    [&e.key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(map_err)?;
            let now = ts(&time::now());
            match existing {
                Some((_, doc)) if doc == e.document => Ok(UpsertOutcome::Unchanged),
                Some((id, _)) => {
                    tx.execute(
                        "UPDATE connector_catalog SET name = ?2, description = ?3, category = ?4, icon = ?5,
                            auth_type = ?6, capabilities = ?7, default_config_schema = ?8, auth_schema = ?9,
                            document = ?10, updated_at = ?11 WHERE id = ?1",
                        params![id, e.name, e.description, e.category, e.icon, e.auth_type,
                            e.capabilities, e.default_config_schema, e.auth_schema, e.document, now],
                    )
                    .map_err(map_err)?;
                    Ok(UpsertOutcome::Updated)
                }
                None => {
                    tx.execute(
                        "INSERT INTO connector_catalog (id, key, name, description, category, icon, auth_type,
                            capabilities, default_config_schema, auth_schema, document, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
                        params![Uuid::new_v4().to_string(), e.key, e.name, e.description, e.category, e.icon,
                            e.auth_type, e.capabilities, e.default_config_schema, e.auth_schema, e.document, now],
                    )
                    .map_err(map_err)?;
                    Ok(UpsertOutcome::Created)
                }
            }
        })
        .await
    }

    async fn catalog_list(&self) -> StoreResult<Vec<CatalogRow>> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, key, document, created_at, updated_at FROM connector_catalog ORDER BY name, key",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], catalog_from_row)
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            rows.into_iter().map(to_catalog_row).collect()
        })
        .await
    }

    async fn catalog_get(&self, key: &str) -> StoreResult<Option<CatalogRow>> {
        let key = key.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog WHERE key = ?1",
                [&key],
                catalog_from_row,
            )
            .optional()
            .map_err(map_err)?
            .map(to_catalog_row)
            .transpose()
        })
        .await
    }

    async fn catalog_version(&self) -> StoreResult<(i64, Option<DateTime<Utc>>)> {
        self.inline(|c| {
            let (n, latest): (i64, Option<String>) = c
                .prepare_cached("SELECT COUNT(*), MAX(updated_at) FROM connector_catalog")
                .map_err(map_err)?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(map_err)?;
            Ok((n, latest.as_deref().map(parse_ts).transpose()?))
        })
        .await
    }

    async fn has_users(&self) -> StoreResult<bool> {
        self.read(|c| {
            c.query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))
                .map_err(map_err)
        })
        .await
    }

    async fn bootstrap(&self, b: &Bootstrap) -> StoreResult<bool> {
        let b = b.clone();
        self.write(move |tx| {
            let any: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM users)", [], |r| r.get(0))
                .map_err(map_err)?;
            if any {
                return Ok(false);
            }
            let tenant = match tx
                .query_row(
                    "SELECT id, slug, name FROM tenants WHERE slug = ?1",
                    [&b.tenant_slug],
                    tenant_from_row,
                )
                .optional()
                .map_err(map_err)?
            {
                Some(t) => t,
                None => insert_tenant(tx, &b.tenant_slug, &b.tenant_name)?,
            };
            let user = insert_user(tx, &b.email, &b.display_name, Some(&b.password_hash))?;
            tx.execute(
                "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
                params![tenant.id, user.id, ts(&time::now())],
            )
            .map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn tenant_create(&self, slug: &str, name: &str) -> StoreResult<Tenant> {
        let (slug, name) = (slug.to_string(), name.to_string());
        self.write(move |tx| insert_tenant(tx, &slug, &name)).await
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<Tenant>> {
        let slug = slug.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, slug, name FROM tenants WHERE slug = ?1",
                [&slug],
                tenant_from_row,
            )
            .optional()
            .map_err(map_err)
        })
        .await
    }

    async fn member_upsert(
        &self,
        tenant_id: &str,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        role: Role,
    ) -> StoreResult<MemberWrite> {
        let (tenant_id, email, display) = (
            tenant_id.to_string(),
            email.to_string(),
            display_name.to_string(),
        );
        let hash = password_hash.map(str::to_string);
        self.write(move |tx| {
            let existing: Option<User> = tx
                .query_row(
                    "SELECT id, email, display_name FROM users WHERE email = ?1",
                    [&email],
                    |r| {
                        Ok(User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                            display_name: r.get(2)?,
                        })
                    },
                )
                .optional()
                .map_err(map_err)?;
            let (user, user_created) = match existing {
                Some(u) => {
                    if let Some(h) = &hash {
                        tx.execute(
                            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                            params![u.id, h],
                        )
                        .map_err(map_err)?;
                        tx.execute("DELETE FROM sessions WHERE user_id = ?1", [&u.id])
                            .map_err(map_err)?;
                    }
                    (u, false)
                }
                None => (insert_user(tx, &email, &display, hash.as_deref())?, true),
            };
            let current: Option<String> = tx
                .query_row(
                    "SELECT role FROM memberships WHERE tenant_id = ?1 AND user_id = ?2",
                    params![tenant_id, user.id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            let membership = match current {
                Some(r) if r == role.as_str() => MembershipOutcome::Unchanged,
                Some(_) => {
                    tx.execute(
                        "UPDATE memberships SET role = ?3 WHERE tenant_id = ?1 AND user_id = ?2",
                        params![tenant_id, user.id, role.as_str()],
                    )
                    .map_err(map_err)?;
                    tx.execute(
                        "DELETE FROM sessions WHERE tenant_id = ?1 AND user_id = ?2",
                        params![tenant_id, user.id],
                    )
                    .map_err(map_err)?;
                    MembershipOutcome::RoleChanged
                }
                None => {
                    tx.execute(
                        "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![tenant_id, user.id, role.as_str(), ts(&time::now())],
                    )
                    .map_err(map_err)?;
                    MembershipOutcome::Added
                }
            };
            Ok(MemberWrite {
                user,
                user_created,
                password_set: hash.is_some(),
                membership,
            })
        })
        .await
    }

    async fn member_remove(&self, tenant_id: &str, email: &str) -> StoreResult<bool> {
        let (tenant_id, email) = (tenant_id.to_string(), email.to_string());
        self.write(move |tx| {
            let removed = tx
                .execute(
                    "DELETE FROM memberships WHERE tenant_id = ?1
                     AND user_id = (SELECT id FROM users WHERE email = ?2)",
                    params![tenant_id, email],
                )
                .map_err(map_err)?;
            tx.execute(
                "DELETE FROM sessions WHERE tenant_id = ?1
                 AND user_id = (SELECT id FROM users WHERE email = ?2)",
                params![tenant_id, email],
            )
            .map_err(map_err)?;
            Ok(removed == 1)
        })
        .await
    }

    async fn member_by_email(
        &self,
        tenant_id: &str,
        email: &str,
    ) -> StoreResult<Option<(User, Role)>> {
        let (tenant_id, email) = (tenant_id.to_string(), email.to_string());
        self.read(move |c| {
            let row: Option<(User, String)> = c
                .query_row(
                    "SELECT u.id, u.email, u.display_name, m.role FROM users u
                     JOIN memberships m ON m.user_id = u.id
                     WHERE m.tenant_id = ?1 AND u.email = ?2",
                    params![tenant_id, email],
                    |r| {
                        Ok((
                            User {
                                id: r.get(0)?,
                                email: r.get(1)?,
                                display_name: r.get(2)?,
                            },
                            r.get(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(map_err)?;
            row.map(|(u, r)| Ok((u, parse_role(&r)?))).transpose()
        })
        .await
    }

    async fn token_insert(&self, t: &NewTokenRow) -> StoreResult<()> {
        let t = t.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, scopes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    t.id,
                    t.tenant_id,
                    t.user_id,
                    t.name,
                    t.token_hash,
                    serde_json::to_string(&t.scopes).unwrap_or_else(|_| "[]".into()),
                    ts(&time::now())
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn token_list(&self, tenant_id: &str) -> StoreResult<Vec<TokenRow>> {
        let tenant_id = tenant_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT t.id, t.name, u.email, t.scopes, t.created_at, t.revoked_at
                     FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.tenant_id = ?1 ORDER BY t.created_at, t.id",
                )
                .map_err(map_err)?;
            let raw = stmt
                .query_map([&tenant_id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raw.into_iter()
                .map(|(id, name, email, scopes, created, revoked)| {
                    Ok(TokenRow {
                        id,
                        name,
                        user_email: email,
                        scopes: parse_scopes(&scopes)?,
                        created_at: parse_ts(&created)?,
                        revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn token_revoke(&self, token_id: &str) -> StoreResult<RevokeOutcome> {
        let id = token_id.to_string();
        self.write(move |tx| {
            let revoked: Option<Option<String>> = tx
                .query_row(
                    "SELECT revoked_at FROM api_tokens WHERE id = ?1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            match revoked {
                None => Ok(RevokeOutcome::NotFound),
                Some(Some(_)) => Ok(RevokeOutcome::AlreadyRevoked),
                Some(None) => {
                    tx.execute(
                        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1",
                        params![id, ts(&time::now())],
                    )
                    .map_err(map_err)?;
                    Ok(RevokeOutcome::Revoked)
                }
            }
        })
        .await
    }

    async fn token_principal(&self, token_hash: &str) -> StoreResult<Option<Principal>> {
        let hash = token_hash.to_string();
        self.inline(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, t.scopes
                     FROM api_tokens t
                     JOIN users u ON u.id = t.user_id
                     JOIN memberships m ON m.user_id = t.user_id AND m.tenant_id = t.tenant_id
                     JOIN tenants te ON te.id = t.tenant_id
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
                )
                .map_err(map_err)?;
            let row = stmt
                .query_row([&hash], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .optional()
                .map_err(map_err)?;
            row.map(|(uid, email, display, tid, slug, role, scopes)| {
                Ok(Principal {
                    user_id: uid,
                    email,
                    display_name: display,
                    tenant_id: tid,
                    tenant_slug: slug,
                    role: parse_role(&role)?,
                    scopes: parse_scopes(&scopes)?,
                    via: AuthMethod::Token,
                })
            })
            .transpose()
        })
        .await
    }

    async fn key_checks(&self) -> StoreResult<Vec<(String, String)>> {
        self.read(|c| {
            let mut stmt = c
                .prepare("SELECT key_id, check_value FROM key_checks ORDER BY key_id")
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn key_check_insert(&self, key_id: &str, check_value: &str) -> StoreResult<()> {
        let (k, v) = (key_id.to_string(), check_value.to_string());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO key_checks (key_id, check_value, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key_id) DO NOTHING",
                params![k, v, ts(&time::now())],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn key_usage(&self) -> StoreResult<Vec<(String, i64)>> {
        self.read(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT json_extract(auth, '$.kid') AS kid, COUNT(*) FROM connectors
                     WHERE json_valid(auth) AND json_extract(auth, '$.kid') IS NOT NULL
                     GROUP BY kid ORDER BY kid",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn catalog_get_by_id(&self, id: &str) -> StoreResult<Option<CatalogRow>> {
        let id = id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, key, document, created_at, updated_at FROM connector_catalog WHERE id = ?1",
            )
            .map_err(map_err)?
            .query_row([&id], catalog_from_row)
            .optional()
            .map_err(map_err)?
            .map(to_catalog_row)
            .transpose()
        })
        .await
    }

    async fn connector_insert(
        &self,
        tenant_id: &str,
        row: &ConnectorInsert,
        audit: &AuditWrite,
    ) -> StoreResult<()> {
        let (tenant_id, row, audit) = (tenant_id.to_string(), row.clone(), audit.clone());
        self.write(move |tx| {
            let now = ts(&row.now);
            tx.prepare_cached(
                "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version,
                    created_at, updated_at, created_by, updated_by, created_by_name, updated_by_name)
                 VALUES (?1, ?2, ?3, ?4, 'inactive', ?5, ?6, ?7, 1, ?8, ?8, ?9, ?9, ?10, ?10)",
            )
            .map_err(map_err)?
            .execute(params![
                row.id, tenant_id, row.catalog_id, row.name, row.config, row.auth, row.tags, now,
                row.actor_id, row.actor_name
            ])
            .map_err(map_err)?;
            insert_audit(tx, &tenant_id, &audit)
        })
        .await
    }

    async fn connector_get(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ConnectorRow>> {
        let (tenant_id, id) = (tenant_id.to_string(), id.to_string());
        self.inline(move |c| get_connector(c, &tenant_id, &id))
            .await
    }

    async fn connector_list(
        &self,
        tenant_id: &str,
        filter: &ConnectorFilter,
    ) -> StoreResult<Vec<ConnectorRow>> {
        let (sql, args) = connector_list_query(tenant_id, filter);
        let limit = usize::try_from(filter.limit).unwrap_or(0).min(256);
        let run = move |c: &Connection| {
            let mut stmt = c.prepare_cached(&sql).map_err(map_err)?;
            let mut rows = stmt
                .query(rusqlite::params_from_iter(args.iter()))
                .map_err(map_err)?;
            let mut out = Vec::with_capacity(limit);
            while let Some(r) = rows.next().map_err(map_err)? {
                out.push(connector_row(r).map_err(map_err)?);
            }
            Ok(out)
        };
        // Without a filter that can pass over rows, a page is an index range
        // of at most `limit` rows.
        let bounded = filter.status.is_none()
            && filter.catalog_key.is_none()
            && filter.tag.is_none()
            && filter.name_contains.is_none();
        if bounded {
            self.inline(run).await
        } else {
            self.read(run).await
        }
    }

    async fn publish_targets(
        &self,
        tenant_id: &str,
        catalog_ids: &[String],
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PublishTargetRow>> {
        let tenant_id = tenant_id.to_string();
        let ids = serde_json::to_string(catalog_ids)
            .map_err(|e| StoreError::Database(format!("catalog ids: {e}")))?;
        let after = after_id.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT c.id, c.name, c.catalog_id, cat.key
                     FROM connectors c JOIN connector_catalog cat ON cat.id = c.catalog_id
                     WHERE c.tenant_id = ?1 AND c.status = 'active'
                       AND c.catalog_id IN (SELECT value FROM json_each(?2))
                       AND (?3 IS NULL OR c.id > ?3)
                     ORDER BY c.id LIMIT ?4",
                )
                .map_err(map_err)?;
            stmt.query_map(params![tenant_id, ids, after, limit], |r| {
                Ok(PublishTargetRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    catalog_id: r.get(2)?,
                    catalog_key: r.get(3)?,
                })
            })
            .map_err(map_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)
        })
        .await
    }

    async fn connector_update(
        &self,
        tenant_id: &str,
        u: &ConnectorUpdate,
        audit: &AuditWrite,
    ) -> StoreResult<UpdateOutcome> {
        let (tenant_id, u, audit) = (tenant_id.to_string(), u.clone(), audit.clone());
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE connectors SET name = ?4, status = ?5, status_message = ?6, config = ?7,
                        auth = COALESCE(?8, auth), tags = ?9, version = version + 1, updated_at = ?10,
                        updated_by = ?11, updated_by_name = ?12
                     WHERE tenant_id = ?1 AND id = ?2 AND version = ?3 AND (?13 IS NULL OR auth = ?13)",
                )
                .map_err(map_err)?
                .execute(params![
                    tenant_id, u.id, u.expected_version, u.name, u.status, u.status_message, u.config,
                    u.auth.as_ref().map(|a| &a.sealed), u.tags, ts(&u.now), u.actor_id, u.actor_name,
                    u.auth.as_ref().map(|a| &a.expected)
                ])
                .map_err(map_err)?;
            if n == 0 {
                let exists: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM connectors WHERE tenant_id = ?1 AND id = ?2)",
                        params![tenant_id, u.id],
                        |r| r.get(0),
                    )
                    .map_err(map_err)?;
                return Ok(if exists {
                    UpdateOutcome::VersionMismatch
                } else {
                    UpdateOutcome::NotFound
                });
            }
            insert_audit(tx, &tenant_id, &audit)?;
            match get_connector(tx, &tenant_id, &u.id)? {
                Some(row) => Ok(UpdateOutcome::Updated(Box::new(row))),
                None => Ok(UpdateOutcome::NotFound),
            }
        })
        .await
    }

    async fn connector_delete(
        &self,
        tenant_id: &str,
        id: &str,
        audit: &AuditWrite,
    ) -> StoreResult<bool> {
        let (tenant_id, id, audit) = (tenant_id.to_string(), id.to_string(), audit.clone());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM connectors WHERE tenant_id = ?1 AND id = ?2",
                    params![tenant_id, id],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Ok(false);
            }
            insert_audit(tx, &tenant_id, &audit)?;
            Ok(true)
        })
        .await
    }

    async fn audit_insert(&self, tenant_id: &str, audit: &AuditWrite) -> StoreResult<()> {
        let (tenant_id, audit) = (tenant_id.to_string(), audit.clone());
        self.write(move |tx| insert_audit(tx, &tenant_id, &audit))
            .await
    }

    async fn audit_list(
        &self,
        tenant_id: &str,
        connector_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AuditRow>> {
        let tenant_id = tenant_id.to_string();
        let connector_id = connector_id.map(str::to_string);
        let before_id = before_id.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, connector_id, actor_id, actor_name, action, changes, created_at
                     FROM audit_events
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR connector_id = ?2) AND (?3 IS NULL OR id < ?3)
                     ORDER BY id DESC LIMIT ?4",
                )
                .map_err(map_err)?;
            let raw = stmt
                .query_map(params![tenant_id, connector_id, before_id, limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raw.into_iter()
                .map(|(id, connector_id, actor_id, actor_name, action, changes, created)| {
                    Ok(AuditRow {
                        id,
                        connector_id,
                        actor_id,
                        actor_name,
                        action,
                        changes,
                        created_at: parse_ts(&created)?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn secrets_not_under(
        &self,
        primary_kid: &str,
        after_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<SecretRow>> {
        let (kid, after) = (primary_kid.to_string(), after_id.map(str::to_string));
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, tenant_id, auth FROM connectors
                     WHERE (NOT json_valid(auth) OR json_extract(auth, '$.kid') IS NOT ?1)
                       AND (?2 IS NULL OR id > ?2)
                     ORDER BY id LIMIT ?3",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map(params![kid, after, limit], |r| {
                    Ok(SecretRow {
                        id: r.get(0)?,
                        tenant_id: r.get(1)?,
                        auth: r.get(2)?,
                    })
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            Ok(rows)
        })
        .await
    }

    async fn secret_replace(&self, id: &str, old_auth: &str, new_auth: &str) -> StoreResult<bool> {
        let (id, old, new) = (id.to_string(), old_auth.to_string(), new_auth.to_string());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE connectors SET auth = ?3 WHERE id = ?1 AND auth = ?2",
                    params![id, old, new],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn login_user(&self, email: &str) -> StoreResult<Option<LoginUser>> {
        let email = email.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, email, display_name, password_hash FROM users WHERE email = ?1",
                [&email],
                |r| {
                    Ok(LoginUser {
                        user: User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                            display_name: r.get(2)?,
                        },
                        password_hash: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(map_err)
        })
        .await
    }

    async fn user_tenants(&self, user_id: &str) -> StoreResult<Vec<(Tenant, Role)>> {
        let user_id = user_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT t.id, t.slug, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
                     WHERE m.user_id = ?1 ORDER BY t.slug",
                )
                .map_err(map_err)?;
            let raw = stmt
                .query_map([&user_id], |r| Ok((tenant_from_row(r)?, r.get::<_, String>(3)?)))
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raw.into_iter()
                .map(|(t, role)| Ok((t, parse_role(&role)?)))
                .collect()
        })
        .await
    }

    async fn session_insert(&self, s: &SessionWrite) -> StoreResult<()> {
        let s = s.clone();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                [ts(&s.now)],
            )
            .map_err(map_err)?;
            tx.execute(
                "INSERT INTO sessions (id_hash, user_id, tenant_id, created_at, last_seen_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![s.id_hash, s.user_id, s.tenant_id, ts(&s.now), ts(&s.expires_at)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn session_get(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> StoreResult<Option<SessionRow>> {
        let id_hash = id_hash.to_string();
        self.inline(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT u.id, u.email, u.display_name, te.id, te.slug, m.role, s.last_seen_at
                     FROM sessions s
                     JOIN users u ON u.id = s.user_id
                     JOIN memberships m ON m.user_id = s.user_id AND m.tenant_id = s.tenant_id
                     JOIN tenants te ON te.id = s.tenant_id
                     WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3",
                )
                .map_err(map_err)?;
            let row = stmt
                .query_row(params![id_hash, ts(&now), ts(&idle_cutoff)], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                })
                .optional()
                .map_err(map_err)?;
            row.map(|(uid, email, display, tid, slug, role, seen)| {
                Ok(SessionRow {
                    principal: Principal {
                        user_id: uid,
                        email,
                        display_name: display,
                        tenant_id: tid,
                        tenant_slug: slug,
                        role: parse_role(&role)?,
                        scopes: Vec::new(),
                        via: AuthMethod::Session,
                    },
                    last_seen_at: parse_ts(&seen)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn session_touch(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let id_hash = id_hash.to_string();
        self.write(move |tx| {
            tx.execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
                params![id_hash, ts(&now)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn session_set_tenant(&self, id_hash: &str, tenant_id: &str) -> StoreResult<()> {
        let (id_hash, tenant_id) = (id_hash.to_string(), tenant_id.to_string());
        self.write(move |tx| {
            tx.execute(
                "UPDATE sessions SET tenant_id = ?2 WHERE id_hash = ?1",
                params![id_hash, tenant_id],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn session_delete(&self, id_hash: &str) -> StoreResult<()> {
        let id_hash = id_hash.to_string();
        self.write(move |tx| {
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [&id_hash])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn login_attempt_reserve(
        &self,
        limits: &[LoginLimit],
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Vec<i64>>> {
        let limits = limits.to_vec();
        // The single writer connection runs one transaction at a time, so
        // the counts and the inserts cannot interleave with another
        // reservation's.
        self.write(move |tx| {
            for l in &limits {
                let count: i64 = tx
                    .query_row(
                        "SELECT COUNT(*) FROM login_failures WHERE subject = ?1 AND failed_at > ?2",
                        params![l.subject, ts(&since)],
                        |r| r.get(0),
                    )
                    .map_err(map_err)?;
                if count >= l.max {
                    return Ok(None);
                }
            }
            let mut ids = Vec::with_capacity(limits.len());
            for l in &limits {
                tx.execute(
                    "INSERT INTO login_failures (subject, failed_at) VALUES (?1, ?2)",
                    params![l.subject, ts(&now)],
                )
                .map_err(map_err)?;
                ids.push(tx.last_insert_rowid());
            }
            Ok(Some(ids))
        })
        .await
    }

    async fn login_attempt_release(&self, ids: &[i64]) -> StoreResult<()> {
        let ids = ids.to_vec();
        self.write(move |tx| {
            for id in &ids {
                tx.execute("DELETE FROM login_failures WHERE id = ?1", [id])
                    .map_err(map_err)?;
            }
            Ok(())
        })
        .await
    }

    async fn login_failure_clear(&self, subject: &str, before: DateTime<Utc>) -> StoreResult<()> {
        let subject = subject.to_string();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM login_failures WHERE subject = ?1 OR failed_at < ?2",
                params![subject, ts(&before)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
