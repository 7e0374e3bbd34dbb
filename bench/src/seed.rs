//! Seeding the mixed dataset in bulk, straight into the tables, and the
//! principals (tokens) that read it.

use crate::EMAIL;
use crate::dataset::{AuditEvent, Connector, MIX, Plan, seal_row};
use anyhow::Context;
use connectors::domain::identity::Role;
use connectors::domain::secrets::KeyRing;
use connectors::domain::time;
use connectors::service::{catalog, identity};
use connectors::storage::{ConnectorFilter, DatabaseLocation, DynStore, open};
use secrecy::ExposeSecret;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// A row as it is written: every value as text (JSON as its text).
pub(crate) struct Row {
    id: String,
    tenant: String,
    catalog: String,
    name: String,
    status: &'static str,
    status_message: Option<String>,
    config: String,
    auth: String,
    states: String,
    tags: String,
    version: i64,
    created_at: String,
    updated_at: String,
    created_by_name: String,
    updated_by_name: String,
}

/// An audit event as it is written.
pub(crate) struct AuditRow {
    id: String,
    tenant: String,
    connector: String,
    actor_name: String,
    action: &'static str,
    changes: String,
    at: String,
}

/// The row and audit events of one generated connector.
pub(crate) fn written(
    c: &Connector,
    plan: &Plan,
    ring: &KeyRing,
    catalog_ids: &HashMap<&str, String>,
) -> anyhow::Result<(Row, Vec<AuditRow>)> {
    let tenant = plan.tenants[c.tenant].id.clone();
    let sealed = seal_row(ring, &tenant, &c.id, &c.secrets)?;
    let mut rng = crate::dataset::Rng::new(c.created_at.timestamp_millis() as u64);
    let audit = c
        .audit_events(&mut rng)
        .into_iter()
        .map(|e: AuditEvent| AuditRow {
            id: e.id,
            tenant: tenant.clone(),
            connector: e.connector_id,
            actor_name: e.actor_name,
            action: e.action,
            changes: e.changes,
            at: time::format(&e.at),
        })
        .collect();
    let row = Row {
        id: c.id.clone(),
        tenant,
        catalog: catalog_ids[c.catalog_key].clone(),
        name: c.name.clone(),
        status: c.status,
        status_message: c.status_message.clone(),
        config: c.config.to_string(),
        auth: sealed.auth,
        states: sealed.states,
        tags: serde_json::to_string(&c.tags)?,
        version: c.version,
        created_at: time::format(&c.created_at),
        updated_at: time::format(&c.updated_at),
        created_by_name: c.created_by_name.clone(),
        updated_by_name: c.updated_by_name.clone(),
    };
    Ok((row, audit))
}

pub(crate) async fn open_store(url: &str) -> anyhow::Result<(DatabaseLocation, DynStore)> {
    let location =
        DatabaseLocation::from_url(Some(url), Path::new(".")).map_err(|e| anyhow::anyhow!(e))?;
    let store = open(&location).await?;
    Ok((location, store))
}

/// Rows generated and written per batch.
pub(crate) const BATCH: usize = 5000;

pub(crate) async fn seed(
    url: &str,
    keys: &str,
    tenants: usize,
    per: usize,
    growth: bool,
) -> anyhow::Result<()> {
    let (location, store) = open_store(url).await?;
    store.migrate().await?;
    catalog::seed(store.as_ref()).await?;
    let ring = KeyRing::parse(keys)?;
    connectors::service::keys::verify_keyring(store.as_ref(), &ring).await?;
    let mut catalog_ids = HashMap::new();
    for (key, _) in MIX {
        let entry = store
            .catalog_get(key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the catalog has no {key} entry"))?;
        catalog_ids.insert(key, entry.id);
    }
    let extra: Vec<(String, usize)> = if growth {
        [10, 100, 1000]
            .iter()
            .map(|g| (format!("g{g}"), *g))
            .collect()
    } else {
        Vec::new()
    };
    let plan = Plan::new(tenants, per, &extra, time::now());
    let tenant_at = time::format(&(plan.start() - chrono::Duration::days(30)));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let batches = (0..plan.len()).step_by(BATCH).map(|from| {
        let mut rows = Vec::with_capacity(BATCH);
        let mut audit = Vec::with_capacity(BATCH * 2);
        for k in from..(from + BATCH).min(plan.len()) {
            let c = plan.connector(k);
            let (row, events) = written(&c, &plan, &ring, &catalog_ids)?;
            rows.push((c.catalog_key, row));
            audit.extend(events);
        }
        anyhow::Ok((rows, audit))
    });
    match location {
        DatabaseLocation::Sqlite(path) => {
            let mut conn = rusqlite::Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(30))?;
            let tx = conn.transaction()?;
            {
                let mut t = tx.prepare(
                    "INSERT INTO tenants (id, slug, name, created_at) VALUES (?1, ?2, ?2, ?3)",
                )?;
                for tenant in &plan.tenants {
                    t.execute(rusqlite::params![tenant.id, tenant.slug, tenant_at])?;
                }
                let mut c = tx.prepare(
                    "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, status_message, config,
                        auth, tags, version, created_at, updated_at, created_by_name, updated_by_name,
                        secret_states)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )?;
                let mut a = tx.prepare(
                    "INSERT INTO audit_events (id, tenant_id, connector_id, actor_name, action, changes, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for batch in batches {
                    let (rows, audit) = batch?;
                    for (key, r) in &rows {
                        *counts.entry(key).or_default() += 1;
                        c.execute(rusqlite::params![
                            r.id,
                            r.tenant,
                            r.catalog,
                            r.name,
                            r.status,
                            r.status_message,
                            r.config,
                            r.auth,
                            r.tags,
                            r.version,
                            r.created_at,
                            r.updated_at,
                            r.created_by_name,
                            r.updated_by_name,
                            r.states
                        ])?;
                    }
                    for e in &audit {
                        a.execute(rusqlite::params![
                            e.id,
                            e.tenant,
                            e.connector,
                            e.actor_name,
                            e.action,
                            e.changes,
                            e.at
                        ])?;
                    }
                }
            }
            tx.commit()?;
            conn.execute_batch("ANALYZE")?;
        }
        DatabaseLocation::Postgres(url) => {
            let (client, conn) =
                tokio_postgres::connect(url.expose_secret(), tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            let ids: Vec<&str> = plan.tenants.iter().map(|t| t.id.as_str()).collect();
            let slugs: Vec<&str> = plan.tenants.iter().map(|t| t.slug.as_str()).collect();
            client
                .execute(
                    "INSERT INTO tenants (id, slug, name, created_at)
                     SELECT i, s, s, $3::text::timestamptz FROM unnest($1::text[], $2::text[]) AS u(i, s)",
                    &[&ids, &slugs, &tenant_at],
                )
                .await?;
            for batch in batches {
                let (rows, audit) = batch?;
                for (key, _) in &rows {
                    *counts.entry(key).or_default() += 1;
                }
                let col =
                    |f: fn(&Row) -> &str| rows.iter().map(|(_, r)| f(r)).collect::<Vec<&str>>();
                let messages: Vec<Option<&str>> = rows
                    .iter()
                    .map(|(_, r)| r.status_message.as_deref())
                    .collect();
                let versions: Vec<i64> = rows.iter().map(|(_, r)| r.version).collect();
                client
                    .execute(
                        "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, status_message, config,
                            auth, tags, version, created_at, updated_at, created_by_name, updated_by_name,
                            secret_states)
                         SELECT i, t, k, n, s, m, c::jsonb, a::jsonb, g::jsonb, v, ca::timestamptz,
                            ua::timestamptz, cb, ub, st
                         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::text[], $10::int8[], $11::text[], $12::text[],
                            $13::text[], $14::text[], $15::text[])
                            AS u(i, t, k, n, s, m, c, a, g, v, ca, ua, cb, ub, st)",
                        &[
                            &col(|r| &r.id),
                            &col(|r| &r.tenant),
                            &col(|r| &r.catalog),
                            &col(|r| &r.name),
                            &col(|r| r.status),
                            &messages,
                            &col(|r| &r.config),
                            &col(|r| &r.auth),
                            &col(|r| &r.tags),
                            &versions,
                            &col(|r| &r.created_at),
                            &col(|r| &r.updated_at),
                            &col(|r| &r.created_by_name),
                            &col(|r| &r.updated_by_name),
                            &col(|r| &r.states),
                        ],
                    )
                    .await?;
                let acol = |f: fn(&AuditRow) -> &str| audit.iter().map(f).collect::<Vec<&str>>();
                client
                    .execute(
                        "INSERT INTO audit_events (id, tenant_id, connector_id, actor_name, action, changes, created_at)
                         SELECT i, t, c, n, a, g::jsonb, at::timestamptz
                         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::text[]) AS u(i, t, c, n, a, g, at)",
                        &[
                            &acol(|e| &e.id),
                            &acol(|e| &e.tenant),
                            &acol(|e| &e.connector),
                            &acol(|e| &e.actor_name),
                            &acol(|e| e.action),
                            &acol(|e| &e.changes),
                            &acol(|e| &e.at),
                        ],
                    )
                    .await?;
            }
            client.batch_execute("ANALYZE").await?;
        }
    }
    let total: usize = counts.values().sum();
    let mix: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{k} {:.1}%", *n as f64 * 100.0 / total.max(1) as f64))
        .collect();
    eprintln!(
        "seeded {} tenants, {total} connectors: {}",
        plan.tenants.len(),
        mix.join(", ")
    );
    Ok(())
}

pub(crate) async fn principals(
    url: &str,
    tenants: usize,
    slugs: &[String],
    out: &Path,
) -> anyhow::Result<()> {
    let (_, store) = open_store(url).await?;
    let all: Vec<String> = (0..tenants)
        .map(|i| format!("t{i:05}"))
        .chain(slugs.iter().cloned())
        .collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for slug in &all {
        identity::add_member(store.as_ref(), slug, EMAIL, Role::Owner, None).await?;
        let token = identity::create_token(store.as_ref(), slug, EMAIL, Some("bench"), &[]).await?;
        let tenant = identity::tenant_by_slug(store.as_ref(), slug).await?;
        let first = store
            .connector_list(
                &tenant.id,
                &ConnectorFilter {
                    limit: 1,
                    ..ConnectorFilter::default()
                },
            )
            .await?;
        let one = first.first().map(|r| r.id.as_str()).unwrap_or("-");
        writeln!(
            file,
            "{slug}\t{}\t{}\t{one}",
            tenant.id,
            token.value.expose_secret()
        )?;
    }
    file.flush()?;
    Ok(())
}

/// One line of a `principals` file.
pub(crate) struct Target {
    pub(crate) tenant_id: String,
    pub(crate) token: String,
    pub(crate) connector_id: String,
}

pub(crate) fn read_targets(path: &Path) -> anyhow::Result<Vec<Target>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    let targets: Vec<Target> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            anyhow::ensure!(f.len() == 4, "a target line has four fields");
            Ok(Target {
                tenant_id: f[1].to_string(),
                token: f[2].to_string(),
                connector_id: f[3].to_string(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!targets.is_empty(), "{path:?} names no tenant");
    Ok(targets)
}
