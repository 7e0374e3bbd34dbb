//! `connectors keys generate` and `keys rotate`.

use crate::app::{location, open_store};
use crate::config::Config;
use crate::domain::secrets::generate_key_line;
use crate::service::keys::{load_keyring, rotate_keys, verify_keyring};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key in the CONNECTORS_ENCRYPTION_KEYS format (ID:BASE64)
    Generate,
    /// Re-encrypt every stored secret under the primary (first) key and print
    /// how many rows each key id still protects; safe to interrupt and re-run
    Rotate,
}

pub async fn run(config: &Config, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Generate => println!("{}", generate_key_line()),
        KeysCommand::Rotate => {
            let keys = load_keyring(config, location(config)?.backend())?;
            let store = open_store(config, true).await?;
            verify_keyring(store.as_ref(), &keys).await?;
            let report = rotate_keys(&store, &keys).await?;
            println!(
                "re-encrypted {} connector(s) under key '{}'",
                report.rotated,
                keys.primary_id()
            );
            if report.unreadable > 0 {
                println!(
                    "{} connector(s) could not be decrypted with the configured keys and were left as they are",
                    report.unreadable
                );
            }
            for (kid, count) in &report.by_key {
                println!("key {kid}: {count} connector(s)");
            }
            if report.unreadable > 0 {
                anyhow::bail!(
                    "{} connector(s) still need a key that is not configured",
                    report.unreadable
                );
            }
        }
    }
    Ok(())
}
