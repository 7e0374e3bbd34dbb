//! `connectors seed`, `catalog import PATH…`, `catalog list`.

use crate::app::open_store;
use crate::config::Config;
use crate::service::catalog::{self, CatalogFilter, UpsertReport};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Create or update catalog entries from manifest files (JSON or YAML);
    /// every file is checked before anything is written
    Import {
        /// Manifest files (.json, .yaml, .yml)
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Print one line per catalog entry: key, category, auth type, name
    List,
}

fn print_report(report: &UpsertReport) {
    for k in &report.created {
        println!("created    {k}");
    }
    for k in &report.updated {
        println!("updated    {k}");
    }
    for k in &report.unchanged {
        println!("unchanged  {k}");
    }
    eprintln!("{}", report.summary());
}

pub async fn seed(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config, true).await?;
    let report = catalog::seed(store.as_ref()).await?;
    print_report(&report);
    Ok(())
}

pub async fn run(config: &Config, cmd: CatalogCommand) -> anyhow::Result<()> {
    match cmd {
        CatalogCommand::Import { paths } => {
            let store = open_store(config, true).await?;
            let report = catalog::import_files(store.as_ref(), &paths).await?;
            print_report(&report);
        }
        CatalogCommand::List => {
            let store = open_store(config, true).await?;
            for e in catalog::list(store.as_ref(), &CatalogFilter::default()).await? {
                println!("{}\t{}\t{}\t{}", e.key, e.category, e.auth_type, e.name);
            }
        }
    }
    Ok(())
}
