//! `connectors keys generate`, `keys rotate` and `keys verify`.

use crate::app::{location, open_store};
use crate::config::Config;
use crate::domain::secrets::generate_key_line;
use crate::service::keys::{load_keyring, rotate_keys, verify_keyring, verify_secrets};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key in the CONNECTORS_ENCRYPTION_KEYS format (ID:BASE64)
    Generate,
    /// Re-encrypt every stored secret (the OAuth apps' client secrets too)
    /// under the primary (first) key and print how many rows each key id
    /// still protects; safe to interrupt and re-run. A connector whose
    /// secrets do not open is moved to status `error`
    Rotate,
    /// Open every stored secret with the configured keys and list, by id, the
    /// connectors (and, by catalog key, the OAuth apps) whose secrets do not
    /// open (tampered data or a missing key); changes nothing, and exits
    /// non-zero when any fails
    Verify,
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
                    "{} connector(s) could not be decrypted with the configured keys; they are now in status error",
                    report.unreadable
                );
            }
            for (kid, count) in &report.by_key {
                println!("key {kid}: {count} connector(s)");
            }
            let apps = &report.apps;
            if apps.rotated > 0 || !apps.by_key.is_empty() || !apps.unreadable.is_empty() {
                println!(
                    "re-encrypted the client secret of {} OAuth app(s) under key '{}'",
                    apps.rotated,
                    keys.primary_id()
                );
            }
            for key in &apps.unreadable {
                println!("unreadable  oauth app {key}");
            }
            for (kid, count) in &apps.by_key {
                println!("key {kid}: {count} OAuth app(s)");
            }
            if report.unreadable > 0 {
                anyhow::bail!(
                    "{} connector(s) still need a key that is not configured",
                    report.unreadable
                );
            }
            if !apps.unreadable.is_empty() {
                anyhow::bail!(
                    "{} OAuth app(s) have a client secret that does not open; set them again with `connectors oauth set`",
                    apps.unreadable.len()
                );
            }
        }
        KeysCommand::Verify => {
            let keys = load_keyring(config, location(config)?.backend())?;
            let store = open_store(config, true).await?;
            verify_keyring(store.as_ref(), &keys).await?;
            let report = verify_secrets(&store, &keys).await?;
            for id in &report.unreadable {
                println!("unreadable  {id}");
            }
            println!(
                "checked {} connector(s): {} open with the configured keys, {} do not",
                report.checked,
                report.checked - report.unreadable.len() as u64,
                report.unreadable.len()
            );
            let apps = &report.apps;
            for key in &apps.unreadable {
                println!("unreadable  oauth app {key}");
            }
            if apps.checked > 0 {
                println!(
                    "checked {} OAuth app(s): {} open with the configured keys, {} do not",
                    apps.checked,
                    apps.checked - apps.unreadable.len() as u64,
                    apps.unreadable.len()
                );
            }
            if !report.unreadable.is_empty() {
                anyhow::bail!(
                    "{} connector(s) have secrets that do not open",
                    report.unreadable.len()
                );
            }
            if !apps.unreadable.is_empty() {
                anyhow::bail!(
                    "{} OAuth app(s) have a client secret that does not open; set them again with `connectors oauth set`",
                    apps.unreadable.len()
                );
            }
        }
    }
    Ok(())
}
