//! `connectors migrate [--status]`: the schema, then the backfill of the
//! secret states that the schema's 0005 added.

use crate::app::{location, open_store};
use crate::config::Config;
use crate::domain::time;
use crate::service::keys::{backfill_secret_states, load_keyring, verify_keyring};
use crate::storage::SecretFilter;
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
    // Secrets sealed before their states were stored beside them: open each
    // once and seal it again with its states (needs the key ring).
    let pending = store
        .secrets_page(&SecretFilter::WithoutStates, None, 1)
        .await?;
    if !pending.is_empty() {
        let keys = load_keyring(config, location(config)?.backend())?;
        verify_keyring(store.as_ref(), &keys).await?;
        let report = backfill_secret_states(&store, &keys).await?;
        println!(
            "stored the secret states of {} connector(s)",
            report.rotated
        );
        if report.unreadable > 0 {
            println!(
                "{} connector(s) could not be decrypted with the configured keys; they are now in status error",
                report.unreadable
            );
        }
    }
    Ok(())
}
