//! The raw SQLite loops (the store's own list query and connection
//! settings, the row encoded to JSON as the service stores it) and the rows
//! the raw inserts write.

use crate::dataset::{Plan, seal_row};
use crate::first_page;
use crate::seed::read_targets;
use connectors::domain::secrets::KeyRing;
use connectors::domain::time;
use connectors::storage::bench_internals::{sqlite_list_query, sqlite_open};
use serde::Serialize;
use serde_json::value::RawValue;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The columns of one connector row the size of a seeded one.
pub(crate) struct SampleRow {
    pub(crate) config: String,
    pub(crate) auth: String,
    pub(crate) states: String,
    pub(crate) tags: String,
}

pub(crate) fn sample_row(keys: &str) -> anyhow::Result<SampleRow> {
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
pub(crate) struct RawItem {
    id: String,
    tenant_id: String,
    catalog_id: String,
    catalog_key: String,
    name: String,
    status: String,
    status_message: Option<String>,
    config: Box<RawValue>,
    /// The stored secret states, passed through as they are stored.
    secrets: Box<RawValue>,
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
pub(crate) struct RawPage {
    items: Vec<RawItem>,
    next_cursor: Option<String>,
}

pub(crate) fn sqlite_raw(
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
                                secrets: raw(9)?,
                                tags: raw(11)?,
                                version: r.get(12)?,
                                created_at: text(13)?,
                                updated_at: text(14)?,
                                created_by: opt(15)?,
                                updated_by: opt(16)?,
                                created_by_name: opt(17)?,
                                updated_by_name: opt(18)?,
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

pub(crate) fn sqlite_plan(db: &str) -> anyhow::Result<()> {
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

pub(crate) fn sqlite_raw_insert(db: &str, keys: &str, seconds: u64) -> anyhow::Result<()> {
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
