//! The benchmark's helper: bulk seeding, the raw SQLite loops, and an
//! open-loop load generator at a fixed request rate. Driven by
//! `bench/run.sh` (`make bench`); every address it talks to is 127.0.0.1.

use clap::{Parser, Subcommand};
use connectors::domain::secrets::{KeyRing, connector_aad};
use connectors::domain::time;
use connectors::service::catalog;
use connectors::storage::bench_internals::{postgres_list_query, sqlite_list_query, sqlite_open};
use connectors::storage::{ConnectorFilter, DatabaseLocation, open};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
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

#[derive(Subcommand)]
enum Cmd {
    /// Insert a deterministic dataset: TENANTS tenants (t00000…) with PER
    /// connectors each, plus growth tenants g10, g100 and g1000
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        keys: String,
        #[arg(long)]
        tenants: usize,
        #[arg(long)]
        per: usize,
    },
    /// The list query straight against SQLite on THREADS threads, optionally
    /// with JSON encoding of the page; prints queries per second
    SqliteRaw {
        #[arg(long)]
        db: String,
        #[arg(long)]
        tenant_slug: String,
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
    /// pgbench (tenant id `:tid`, limit `:lim`)
    PgListSql,
    /// One connector row inserted straight into SQLite, each in its own
    /// transaction with the service's durability settings; prints inserts/s
    SqliteRawInsert {
        #[arg(long)]
        db: String,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// GET requests at a fixed rate (open loop) for SECONDS after WARMUP
    /// seconds at the same rate whose answers are checked but not timed;
    /// prints p50 and p99 in ms, the count of non-2xx answers, and the p99
    /// lag of the generator behind its schedule in ms
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
        } => rt.block_on(seed(&database_url, &keys, tenants, per)),
        Cmd::SqliteRaw {
            db,
            tenant_slug,
            threads,
            seconds,
            json,
        } => sqlite_raw(&db, &tenant_slug, threads, seconds, json),
        Cmd::SqliteRawInsert { db, seconds } => sqlite_raw_insert(&db, seconds),
        Cmd::SqlitePlan { db } => sqlite_plan(&db),
        Cmd::PgListSql => {
            // The store numbers the tenant id $1 and the limit $2; pgbench
            // names its variables instead.
            let (sql, _) = postgres_list_query("", &first_page());
            let sql = sql
                .replace('\n', " ")
                .replace("$1", ":tid")
                .replace("$2", ":lim");
            println!("{sql};");
            Ok(())
        }
        Cmd::Rate {
            url,
            rps,
            seconds,
            warmup,
            headers,
        } => rt.block_on(rate(&url, rps, seconds, warmup, &headers)),
    }
}

struct Row {
    id: String,
    tenant: String,
    name: String,
    config: String,
    auth: String,
    tags: String,
}

async fn seed(url: &str, keys: &str, tenants: usize, per: usize) -> anyhow::Result<()> {
    let location = DatabaseLocation::from_url(Some(url), std::path::Path::new("."))
        .map_err(|e| anyhow::anyhow!(e))?;
    let store = open(&location).await?;
    store.migrate().await?;
    catalog::seed(store.as_ref()).await?;
    let ring = KeyRing::parse(keys)?;
    connectors::service::keys::verify_keyring(store.as_ref(), &ring).await?;
    let wp = store
        .catalog_get("wordpress")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the catalog has no wordpress entry"))?;
    let mut plan: Vec<(String, usize)> = (0..tenants).map(|i| (format!("t{i:05}"), per)).collect();
    for g in [10, 100, 1000] {
        plan.push((format!("g{g}"), g));
    }
    let now_s = time::format(&time::now());
    let secret = serde_json::to_vec(&json!({
        "v": {"application_password": "abcd EFGH ijkl MNOP qrst UVWX"},
        "t": {"application_password": now_s}
    }))?;
    let mut tenant_rows = Vec::new();
    let mut rows = Vec::new();
    for (slug, n) in &plan {
        let tid = uuid::Uuid::new_v4().to_string();
        tenant_rows.push((tid.clone(), slug.clone()));
        for j in 0..*n {
            let id = uuid::Uuid::now_v7().to_string();
            let auth = ring
                .encrypt(&secret, &connector_aad(&tid, &id, None))?
                .to_json();
            rows.push(Row {
                id,
                tenant: tid.clone(),
                name: format!("Blog {j:04}"),
                config: json!({
                    "site_url": format!("https://blog{j}.example.com"),
                    "username": "editor",
                    "default_status": "draft"
                })
                .to_string(),
                auth,
                tags: json!(["bench", if j % 2 == 0 { "even" } else { "odd" }]).to_string(),
            });
        }
    }
    match location {
        DatabaseLocation::Sqlite(path) => {
            let mut conn = rusqlite::Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(30))?;
            let tx = conn.transaction()?;
            {
                let mut t = tx.prepare(
                    "INSERT INTO tenants (id, slug, name, created_at) VALUES (?1, ?2, ?2, ?3)",
                )?;
                for (id, slug) in &tenant_rows {
                    t.execute(rusqlite::params![id, slug, now_s])?;
                }
                let mut c = tx.prepare(
                    "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version,
                        created_at, updated_at, created_by_name, updated_by_name)
                     VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, 1, ?8, ?8, 'bench', 'bench')",
                )?;
                for r in &rows {
                    c.execute(rusqlite::params![
                        r.id, r.tenant, wp.id, r.name, r.config, r.auth, r.tags, now_s
                    ])?;
                }
            }
            tx.commit()?;
            conn.execute_batch("ANALYZE")?;
        }
        DatabaseLocation::Postgres(url) => {
            use secrecy::ExposeSecret;
            let (client, conn) =
                tokio_postgres::connect(url.expose_secret(), tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            let ids: Vec<&str> = tenant_rows.iter().map(|t| t.0.as_str()).collect();
            let slugs: Vec<&str> = tenant_rows.iter().map(|t| t.1.as_str()).collect();
            client
                .execute(
                    "INSERT INTO tenants (id, slug, name, created_at)
                     SELECT i, s, s, NOW() FROM unnest($1::text[], $2::text[]) AS u(i, s)",
                    &[&ids, &slugs],
                )
                .await?;
            for chunk in rows.chunks(5000) {
                let col = |f: fn(&Row) -> &str| chunk.iter().map(f).collect::<Vec<&str>>();
                let (ids, tenants, names) = (col(|r| &r.id), col(|r| &r.tenant), col(|r| &r.name));
                let (configs, auths, tags) =
                    (col(|r| &r.config), col(|r| &r.auth), col(|r| &r.tags));
                client
                    .execute(
                        "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version,
                            created_at, updated_at, created_by_name, updated_by_name)
                         SELECT i, t, $7, n, 'active', c::jsonb, a::jsonb, g::jsonb, 1, NOW(), NOW(), 'bench', 'bench'
                         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                              AS u(i, t, n, c, a, g)",
                        &[&ids, &tenants, &names, &configs, &auths, &tags, &wp.id],
                    )
                    .await?;
            }
            client.batch_execute("ANALYZE").await?;
        }
    }
    Ok(())
}

fn tenant_id(conn: &rusqlite::Connection, slug: &str) -> anyhow::Result<String> {
    Ok(
        conn.query_row("SELECT id FROM tenants WHERE slug = ?1", [slug], |r| {
            r.get(0)
        })?,
    )
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
    slug: &str,
    threads: usize,
    seconds: u64,
    json: bool,
) -> anyhow::Result<()> {
    let tid = tenant_id(&rusqlite::Connection::open(db)?, slug)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (db, tid) = (db.to_string(), tid.clone());
            std::thread::spawn(move || -> anyhow::Result<u64> {
                let conn = sqlite_open(std::path::Path::new(&db), false)?;
                let (sql, args) = sqlite_list_query(&tid, &first_page());
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
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
    let conn = sqlite_open(std::path::Path::new(db), false)?;
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

fn sqlite_raw_insert(db: &str, seconds: u64) -> anyhow::Result<()> {
    // The service's connection settings; the database is already in WAL mode.
    let conn = sqlite_open(std::path::Path::new(db), false)?;
    let (tid, cid): (String, String) = conn.query_row(
        "SELECT t.id, c.id FROM tenants t, connector_catalog c WHERE t.slug = 't00001' AND c.key = 'wordpress'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let now = time::format(&time::now());
    let mut n = 0u64;
    while Instant::now() < deadline {
        let id = uuid::Uuid::now_v7().to_string();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.prepare_cached(
            "INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version,
                created_at, updated_at, created_by_name, updated_by_name)
             VALUES (?1, ?2, ?3, ?4, 'inactive', ?5, ?6, '[]', 1, ?7, ?7, 'bench', 'bench')",
        )?
        .execute(rusqlite::params![
            id,
            tid,
            cid,
            format!("raw {id}"),
            "{\"site_url\":\"https://x.example\",\"username\":\"u\"}",
            "{\"v\":1,\"kid\":\"x\",\"n\":\"AAAA\",\"ct\":\"AAAA\"}",
            now
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
    let first = client.get(url).send().await?;
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
    let url = url.to_string();
    let pacer = std::thread::spawn(move || {
        let start = Instant::now();
        let mut tasks = Vec::with_capacity(total as usize);
        for i in 0..total {
            let due = start + interval * (i as u32);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let (c, u) = (client.clone(), url.clone());
            tasks.push(runtime.spawn(async move {
                // Latency counts from when the request starts; how late that
                // is against the schedule is reported separately, so a
                // generator that falls behind shows instead of hiding slow
                // answers.
                let started = Instant::now();
                let lag = started.saturating_duration_since(due);
                let ok = match c.get(&u).send().await {
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
