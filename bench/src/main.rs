//! The benchmark's helper: seeding the mixed dataset, the principals that
//! read it, a check of the dataset against the service's own validation,
//! the raw SQLite loops, the SQL that pgbench runs, and an open-loop load
//! generator at a fixed request rate. Driven by `bench/run.sh`
//! (`make bench`); every address it talks to is 127.0.0.1.

mod dataset;

use anyhow::Context;
use clap::{Parser, Subcommand};
use connectors::domain::identity::Role;
use connectors::domain::secrets::{Envelope, KeyRing, connector_aad};
use connectors::domain::time;
use connectors::service::connectors::{Connectors, ListQuery};
use connectors::service::{catalog, identity};
use connectors::storage::bench_internals::{postgres_list_query, sqlite_list_query, sqlite_open};
use connectors::storage::{ConnectorFilter, DatabaseLocation, DynStore, open};
use dataset::{AuditEvent, Connector, MIX, Plan, seal_row};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "connectors-bench",
    about = "Benchmark helper for connectors (driven by bench/run.sh)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// The user every principal of the benchmark is.
const EMAIL: &str = "bench@localhost";

#[derive(Subcommand)]
enum Cmd {
    /// Insert the mixed dataset: TENANTS tenants (t00000…) with PER
    /// connectors each, with --growth also tenants g10, g100 and g1000
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        keys: String,
        #[arg(long)]
        tenants: usize,
        #[arg(long)]
        per: usize,
        #[arg(long)]
        growth: bool,
    },
    /// Make bench@localhost an owner of tenants t00000… (TENANTS of them)
    /// and of each SLUG, with one API token per tenant; writes one line per
    /// tenant to OUT: slug, tenant id, token, id of its first connector
    Principals {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 0)]
        tenants: usize,
        #[arg(long = "slug")]
        slugs: Vec<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the seeded rows of SAMPLE tenants of TARGETS (a file written
    /// by `principals`): each row's secrets open with the key ring, the row
    /// passes the service's install validation for its catalog type, and
    /// the service's list shows each stored secret as set
    CheckDataset {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        keys: String,
        #[arg(long)]
        targets: PathBuf,
        #[arg(long, default_value_t = 20)]
        sample: usize,
    },
    /// Install bodies (without a name) that the service accepts, one JSON
    /// object a line, following the dataset's mix
    InstallBodies {
        #[arg(long, default_value_t = 20)]
        count: usize,
    },
    /// The list query straight against SQLite on THREADS threads, each
    /// going round the tenants of TARGETS, optionally with JSON encoding of
    /// the page; prints pages per second
    SqliteRaw {
        #[arg(long)]
        db: String,
        #[arg(long)]
        targets: PathBuf,
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
    /// Prints SQLite's plan for the list query as the SQLite store sends it
    /// (EXPLAIN QUERY PLAN), its steps separated by "; "
    SqlitePlan {
        #[arg(long)]
        db: String,
    },
    /// Prints the list query as the PostgreSQL store sends it, written for
    /// pgbench (tenant id `:tid`, limit `:lim`); with --tenant-lookup the
    /// tenant id is read from TABLE (columns i, tenant_id) by index `:i`
    PgListSql {
        #[arg(long, value_name = "TABLE")]
        tenant_lookup: Option<String>,
    },
    /// Prints an INSERT of one connector row the size of a seeded one, for
    /// pgbench (tenant id `:tid`, catalog id `:cid`)
    PgInsertSql {
        #[arg(long)]
        keys: String,
    },
    /// One connector row the size of a seeded one inserted straight into
    /// SQLite, each in its own transaction with the service's durability
    /// settings; prints inserts/s
    SqliteRawInsert {
        #[arg(long)]
        db: String,
        #[arg(long)]
        keys: String,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// GET requests at a fixed rate (open loop) for SECONDS after WARMUP
    /// seconds at the same rate whose answers are checked but not timed;
    /// with TARGETS, request i goes as the token of line i of that file and
    /// `{id}` in the URL is that line's connector id. Prints p50 and p99 in
    /// ms, the count of non-2xx answers, and the p99 lag of the generator
    /// behind its schedule in ms
    Rate {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 1000)]
        rps: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 1)]
        warmup: u64,
        #[arg(long = "header")]
        headers: Vec<String>,
        #[arg(long)]
        targets: Option<PathBuf>,
    },
}

/// The first page of 50 of a tenant's connectors (limit + 1 rows), with
/// no filter: what the list endpoint asks of the store.
fn first_page() -> ConnectorFilter {
    ConnectorFilter {
        limit: 51,
        ..ConnectorFilter::default()
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Cmd::Seed {
            database_url,
            keys,
            tenants,
            per,
            growth,
        } => rt.block_on(seed(&database_url, &keys, tenants, per, growth)),
        Cmd::Principals {
            database_url,
            tenants,
            slugs,
            out,
        } => rt.block_on(principals(&database_url, tenants, &slugs, &out)),
        Cmd::CheckDataset {
            database_url,
            keys,
            targets,
            sample,
        } => rt.block_on(check_dataset(&database_url, &keys, &targets, sample)),
        Cmd::InstallBodies { count } => install_bodies(count),
        Cmd::SqliteRaw {
            db,
            targets,
            threads,
            seconds,
            json,
        } => sqlite_raw(&db, &targets, threads, seconds, json),
        Cmd::SqliteRawInsert { db, keys, seconds } => sqlite_raw_insert(&db, &keys, seconds),
        Cmd::SqlitePlan { db } => sqlite_plan(&db),
        Cmd::PgListSql { tenant_lookup } => {
            // The store numbers the tenant id $1 and the limit $2; pgbench
            // names its variables instead.
            let (sql, _) = postgres_list_query("", &first_page());
            let tenant = match tenant_lookup {
                Some(table) => format!("(SELECT tenant_id FROM {table} WHERE i = :i)"),
                None => ":tid".to_string(),
            };
            let sql = sql
                .replace('\n', " ")
                .replace("$1", &tenant)
                .replace("$2", ":lim");
            println!("{sql};");
            Ok(())
        }
        Cmd::PgInsertSql { keys } => {
            let row = sample_row(&keys)?;
            let q = |s: &str| s.replace('\'', "''");
            println!(
                "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version, \
                 created_at, updated_at, created_by_name, updated_by_name, secret_states) VALUES \
                 (gen_random_uuid()::text, :tid, :cid, 'raw ' || gen_random_uuid()::text, 'inactive', '{}', \
                 '{}', '{}', 1, NOW(), NOW(), 'bench', 'bench', '{}');",
                q(&row.config),
                q(&row.auth),
                q(&row.tags),
                q(&row.states)
            );
            Ok(())
        }
        Cmd::Rate {
            url,
            rps,
            seconds,
            warmup,
            headers,
            targets,
        } => rt.block_on(rate(
            &url,
            rps,
            seconds,
            warmup,
            &headers,
            targets.as_deref(),
        )),
    }
}

/// A row as it is written: every value as text (JSON as its text).
struct Row {
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
struct AuditRow {
    id: String,
    tenant: String,
    connector: String,
    actor_name: String,
    action: &'static str,
    changes: String,
    at: String,
}

/// The row and audit events of one generated connector.
fn written(
    c: &Connector,
    plan: &Plan,
    ring: &KeyRing,
    catalog_ids: &HashMap<&str, String>,
) -> anyhow::Result<(Row, Vec<AuditRow>)> {
    let tenant = plan.tenants[c.tenant].id.clone();
    let sealed = seal_row(ring, &tenant, &c.id, &c.secrets)?;
    let mut rng = dataset::Rng::new(c.created_at.timestamp_millis() as u64);
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

async fn open_store(url: &str) -> anyhow::Result<(DatabaseLocation, DynStore)> {
    let location =
        DatabaseLocation::from_url(Some(url), Path::new(".")).map_err(|e| anyhow::anyhow!(e))?;
    let store = open(&location).await?;
    Ok((location, store))
}

/// Rows generated and written per batch.
const BATCH: usize = 5000;

async fn seed(
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

async fn principals(url: &str, tenants: usize, slugs: &[String], out: &Path) -> anyhow::Result<()> {
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
struct Target {
    tenant_id: String,
    token: String,
    connector_id: String,
}

fn read_targets(path: &Path) -> anyhow::Result<Vec<Target>> {
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

async fn check_dataset(url: &str, keys: &str, targets: &Path, sample: usize) -> anyhow::Result<()> {
    let (_, store) = open_store(url).await?;
    let ring = Arc::new(KeyRing::parse(keys)?);
    let service = Connectors::new(store.clone(), ring.clone());
    let targets = read_targets(targets)?;
    let stride = (targets.len() / sample.max(1)).max(1);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut tenants = 0;
    for t in targets.iter().step_by(stride).take(sample) {
        tenants += 1;
        let principal = identity::authenticate_token(store.as_ref(), &t.token)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a token of tenant {} is refused", t.tenant_id))?;
        let rows = store
            .connector_list(
                &principal.tenant_id,
                &ConnectorFilter {
                    limit: 200,
                    ..ConnectorFilter::default()
                },
            )
            .await?;
        let page = service
            .list(
                &principal,
                &ListQuery {
                    limit: Some(200),
                    ..ListQuery::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("the service's list failed: {e:?}"))?;
        let shown: HashMap<&str, _> = page
            .items
            .iter()
            .map(|v| (v.id.as_str(), v.secrets.as_map()))
            .collect();
        anyhow::ensure!(
            shown.len() == rows.len(),
            "the service lists {} connectors of tenant {}, the store {}",
            shown.len(),
            t.tenant_id,
            rows.len()
        );
        for row in &rows {
            anyhow::ensure!(
                row.secret_states.is_some() && row.legacy_auth.is_none(),
                "connector {}: the row has its secret states, and reads do not see its envelope",
                row.id
            );
            let sealed = store
                .connector_sealed(&principal.tenant_id, &row.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("connector {} has no secrets", row.id))?;
            let env = Envelope::parse(&sealed.auth)
                .map_err(|e| anyhow::anyhow!("connector {}: {e}", row.id))?;
            let aad = connector_aad(
                row.tenant_id.as_str(),
                row.id.as_str(),
                sealed.states.as_deref(),
            );
            let plain = ring
                .decrypt(&env, &aad)
                .map_err(|e| anyhow::anyhow!("connector {}: {e}", row.id))?;
            let payload: Value = serde_json::from_slice(&plain)?;
            let (Some(values), Some(times)) = (payload["v"].as_object(), payload["t"].as_object())
            else {
                anyhow::bail!("connector {}: the payload is not {{v, t}}", row.id);
            };
            anyhow::ensure!(
                values.keys().eq(times.keys()),
                "connector {}: every secret has a time",
                row.id
            );
            let body = json!({
                "catalog_key": row.catalog_key,
                "name": row.name,
                "config": serde_json::from_str::<Value>(&row.config)?,
                "auth": values,
                "tags": serde_json::from_str::<Value>(&row.tags)?,
            });
            service.read_install(&body).await.map_err(|e| {
                anyhow::anyhow!(
                    "connector {} ({}) is refused: {e:?}",
                    row.id,
                    row.catalog_key
                )
            })?;
            let states = shown
                .get(row.id.as_str())
                .ok_or_else(|| anyhow::anyhow!("connector {} is not listed", row.id))?;
            for (name, state) in states.iter() {
                let expected = match times.get(name) {
                    Some(at) => json!({"set": true, "updated_at": at}),
                    None => json!({"set": false}),
                };
                anyhow::ensure!(
                    *state == expected,
                    "connector {}: the service shows secret {name} as {state}",
                    row.id
                );
            }
            *counts.entry(row.catalog_key.clone()).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    anyhow::ensure!(total > 0, "no connector was checked");
    let mix: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{k} {:.0}%", *n as f64 * 100.0 / total as f64))
        .collect();
    println!(
        "{total} connectors of {tenants} tenants valid for their catalog type, their secrets open and listed as set ({})",
        mix.join(", ")
    );
    Ok(())
}

fn install_bodies(count: usize) -> anyhow::Result<()> {
    let plan = Plan::new(count, 1, &[], time::now());
    for k in 0..plan.len() {
        let mut body = plan.connector(k).install_body();
        if let Some(o) = body.as_object_mut() {
            o.remove("name");
        }
        println!("{body}");
    }
    Ok(())
}

/// The columns of one connector row the size of a seeded one.
struct SampleRow {
    config: String,
    auth: String,
    states: String,
    tags: String,
}

fn sample_row(keys: &str) -> anyhow::Result<SampleRow> {
    let ring = KeyRing::parse(keys)?;
    let plan = Plan::new(1, 1, &[], time::now());
    let c = plan.connector(0);
    let sealed = seal_row(&ring, &plan.tenants[0].id, &c.id, &c.secrets)?;
    Ok(SampleRow {
        config: c.config.to_string(),
        auth: sealed.auth,
        states: sealed.states,
        tags: serde_json::to_string(&c.tags)?,
    })
}

/// A row of the list as the raw loop encodes it: the stored text as it is,
/// config and tags passed through as JSON.
#[derive(Serialize)]
struct RawItem {
    id: String,
    tenant_id: String,
    catalog_id: String,
    catalog_key: String,
    name: String,
    status: String,
    status_message: Option<String>,
    config: Box<RawValue>,
    tags: Box<RawValue>,
    version: i64,
    created_at: String,
    updated_at: String,
    created_by: Option<String>,
    updated_by: Option<String>,
    created_by_name: Option<String>,
    updated_by_name: Option<String>,
}

#[derive(Serialize)]
struct RawPage {
    items: Vec<RawItem>,
    next_cursor: Option<String>,
}

fn sqlite_raw(
    db: &str,
    targets: &Path,
    threads: usize,
    seconds: u64,
    json: bool,
) -> anyhow::Result<()> {
    let tenants: Arc<Vec<String>> = Arc::new(
        read_targets(targets)?
            .into_iter()
            .map(|t| t.tenant_id)
            .collect(),
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|th| {
            let (db, tenants) = (db.to_string(), tenants.clone());
            std::thread::spawn(move || -> anyhow::Result<u64> {
                let conn = sqlite_open(Path::new(&db), false)?;
                // The store's query; the tenant id is its first parameter
                // and the limit its second.
                let (sql, _) = sqlite_list_query("", &first_page());
                let mut stmt = conn.prepare_cached(&sql)?;
                let limit = first_page().limit;
                // Each thread goes round every tenant, from its own start.
                let mut next = th * tenants.len() / threads.max(1);
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let tid = &tenants[next % tenants.len()];
                    next += 1;
                    let mut rows = stmt.query(rusqlite::params![tid, limit])?;
                    let mut items: Vec<RawItem> = Vec::with_capacity(51);
                    while let Some(r) = rows.next()? {
                        if json {
                            let text = |i| r.get::<_, String>(i);
                            let opt = |i| r.get::<_, Option<String>>(i);
                            let raw = |i| -> anyhow::Result<Box<RawValue>> {
                                Ok(RawValue::from_string(text(i)?)?)
                            };
                            items.push(RawItem {
                                id: text(0)?,
                                tenant_id: text(1)?,
                                catalog_id: text(2)?,
                                catalog_key: text(3)?,
                                name: text(5)?,
                                status: text(6)?,
                                status_message: opt(7)?,
                                config: raw(8)?,
                                tags: raw(10)?,
                                version: r.get(11)?,
                                created_at: text(12)?,
                                updated_at: text(13)?,
                                created_by: opt(14)?,
                                updated_by: opt(15)?,
                                created_by_name: opt(16)?,
                                updated_by_name: opt(17)?,
                            });
                        } else {
                            std::hint::black_box(r.get::<_, String>(0)?);
                        }
                    }
                    if json {
                        let body = serde_json::to_vec(&RawPage {
                            items,
                            next_cursor: None,
                        })?;
                        std::hint::black_box(body);
                    }
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h
            .join()
            .map_err(|_| anyhow::anyhow!("a thread panicked"))??;
    }
    println!("{:.0}", total as f64 / seconds as f64);
    Ok(())
}

fn sqlite_plan(db: &str) -> anyhow::Result<()> {
    let conn = sqlite_open(Path::new(db), false)?;
    let (sql, args) = sqlite_list_query("x", &first_page());
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let steps = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, String>(3)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    println!("{}", steps.join("; "));
    Ok(())
}

fn sqlite_raw_insert(db: &str, keys: &str, seconds: u64) -> anyhow::Result<()> {
    // The service's connection settings; the database is already in WAL mode.
    let conn = sqlite_open(Path::new(db), false)?;
    let (tid, cid): (String, String) = conn.query_row(
        "SELECT t.id, c.id FROM tenants t, connector_catalog c WHERE t.slug = 't00001' AND c.key = 'wordpress'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let row = sample_row(keys)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let now = time::format(&time::now());
    let mut n = 0u64;
    while Instant::now() < deadline {
        let id = uuid::Uuid::now_v7().to_string();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.prepare_cached(
            "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version,
                created_at, updated_at, created_by_name, updated_by_name, secret_states)
             VALUES (?1, ?2, ?3, ?4, 'inactive', ?5, ?6, ?7, 1, ?8, ?8, 'bench', 'bench', ?9)",
        )?
        .execute(rusqlite::params![
            id,
            tid,
            cid,
            format!("raw {id}"),
            row.config,
            row.auth,
            row.tags,
            now,
            row.states
        ])?;
        conn.execute_batch("COMMIT")?;
        n += 1;
    }
    println!("{:.0}", n as f64 / seconds as f64);
    Ok(())
}

async fn rate(
    url: &str,
    rps: u64,
    seconds: u64,
    warmup: u64,
    headers: &[String],
    targets: Option<&Path>,
) -> anyhow::Result<()> {
    let mut map = reqwest::header::HeaderMap::new();
    for h in headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("a header must be NAME: VALUE"))?;
        map.insert(
            reqwest::header::HeaderName::from_bytes(k.trim().as_bytes())?,
            v.trim().parse()?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(map)
        .pool_max_idle_per_host(256)
        .build()?;
    // Request i goes to requests[i % len]: one URL, or one per target.
    let requests: Vec<(String, Option<reqwest::header::HeaderValue>)> = match targets {
        Some(path) => read_targets(path)?
            .into_iter()
            .map(|t| {
                let mut auth: reqwest::header::HeaderValue =
                    format!("Bearer {}", t.token).parse()?;
                auth.set_sensitive(true);
                Ok((url.replace("{id}", &t.connector_id), Some(auth)))
            })
            .collect::<anyhow::Result<_>>()?,
        None => vec![(url.to_string(), None)],
    };
    let requests = Arc::new(requests);
    let send = |c: &reqwest::Client, (u, auth): &(String, Option<reqwest::header::HeaderValue>)| {
        let mut req = c.get(u);
        if let Some(a) = auth {
            req = req.header(reqwest::header::AUTHORIZATION, a.clone());
        }
        req
    };
    let first = send(&client, &requests[0]).send().await?;
    anyhow::ensure!(
        first.status().is_success(),
        "the first response was {}",
        first.status()
    );
    // The first `skipped` requests warm the server's caches, connections
    // and the client's pool; they are checked for their status but their
    // times are not counted.
    let skipped = (rps * warmup) as usize;
    let total = rps * (seconds + warmup);
    let interval = Duration::from_nanos(1_000_000_000 / rps.max(1));
    // Requests are paced by a thread of their own with the OS's fine-grained
    // sleep: the async runtime's timer ticks in whole milliseconds, which
    // would send requests in bursts instead of at an even rate.
    let runtime = tokio::runtime::Handle::current();
    let pacer = std::thread::spawn(move || {
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(total as usize);
        for i in 0..total {
            let due = start + interval * (i as u32);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let req = send(&client, &requests[i as usize % requests.len()]);
            tasks.push(runtime.spawn(async move {
                // Latency counts from when the request starts; how late that
                // is against the schedule is reported separately, so a
                // generator that falls behind shows instead of hiding slow
                // answers.
                let started = Instant::now();
                let lag = started.saturating_duration_since(due);
                let ok = match req.send().await {
                    Ok(r) => {
                        let s = r.status().is_success();
                        let _ = r.bytes().await;
                        s
                    }
                    Err(_) => false,
                };
                (started.elapsed(), lag, ok)
            }));
        }
        tasks
    });
    let tasks = tokio::task::spawn_blocking(move || pacer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the pacing thread failed"))?;
    let mut lat = Vec::with_capacity(tasks.len());
    let mut lags = Vec::with_capacity(tasks.len());
    let mut bad = 0u64;
    for (i, t) in tasks.into_iter().enumerate() {
        let (d, lag, ok) = t.await?;
        if !ok {
            bad += 1;
        }
        if i >= skipped {
            lat.push(d.as_secs_f64() * 1000.0);
            lags.push(lag.as_secs_f64() * 1000.0);
        }
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    let (p50, p99) = (pct(&mut lat, 0.50), pct(&mut lat, 0.99));
    println!("{p50:.3} {p99:.3} {bad} {:.3}", pct(&mut lags, 0.99));
    Ok(())
}
