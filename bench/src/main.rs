//! The benchmark's helper: seeding the mixed dataset, the principals that
//! read it, a check of the dataset against the service's own validation,
//! the raw SQLite loops, the SQL that pgbench runs, and an open-loop load
//! generator at a fixed request rate, and the stand-in provider of the
//! scheduled-checks figure. Driven by `bench/run.sh` (`make bench`);
//! every address it talks to is 127.0.0.1, and the stand-in listens on
//! 127.0.0.2.

mod check;
mod checks;
mod dataset;
mod rate;
mod raw;
mod seed;

use check::{check_dataset, install_bodies};
use raw::{sample_row, sqlite_plan, sqlite_raw, sqlite_raw_insert};
use seed::{principals, seed};

use clap::{Parser, Subcommand};
use connectors::storage::ConnectorFilter;
use connectors::storage::bench_internals::postgres_list_query;
use std::path::PathBuf;

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
pub(crate) const EMAIL: &str = "bench@localhost";

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
    /// A stand-in provider for the scheduled-checks figure: listens on
    /// 127.0.0.2 (its port printed on the first line) and answers every
    /// request 200, with what each built-in's check reads as a success,
    /// after DELAY_MS milliseconds; runs until stopped
    Standin {
        #[arg(long, default_value_t = 50)]
        delay_ms: u64,
    },
    /// Make COUNT connectors (the first by id) active and due for a
    /// scheduled check, with no result yet, and every other one inactive;
    /// prints how many are due
    MakeDue {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        count: usize,
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
pub(crate) fn first_page() -> ConnectorFilter {
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
        Cmd::Standin { delay_ms } => {
            rt.block_on(checks::standin(std::time::Duration::from_millis(delay_ms)))
        }
        Cmd::MakeDue {
            database_url,
            count,
        } => rt.block_on(checks::make_due(&database_url, count)),
        Cmd::Rate {
            url,
            rps,
            seconds,
            warmup,
            headers,
            targets,
        } => rt.block_on(rate::rate(
            &url,
            rps,
            seconds,
            warmup,
            &headers,
            targets.as_deref(),
        )),
    }
}
