//! `connectors migrate [--status]`.

use crate::app::open_store;
use crate::config::Config;
use crate::domain::time;
use clap::Args;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// List applied and pending migrations instead of applying them
    #[arg(long)]
    pub status: bool,
}

pub async fn run(config: &Config, args: &MigrateArgs) -> anyhow::Result<()> {
    let store = open_store(config, false).await?;
    if args.status {
        for m in store.migration_status().await? {
            match m.applied_at {
                Some(at) => println!(
                    "applied  {:04}_{}  {}",
                    m.version,
                    m.name,
                    time::format(&at)
                ),
                None => println!("pending  {:04}_{}", m.version, m.name),
            }
        }
        return Ok(());
    }
    let applied = store.migrate().await?;
    if applied.is_empty() {
        println!("database is up to date");
    }
    for m in applied {
        println!("applied  {:04}_{}", m.version, m.name);
    }
    Ok(())
}
