//! `connectors keys generate`.

use crate::config::Config;
use crate::domain::secrets::generate_key_line;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Print a new random key in the CONNECTORS_ENCRYPTION_KEYS format (ID:BASE64)
    Generate,
}

pub async fn run(_config: &Config, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Generate => println!("{}", generate_key_line()),
    }
    Ok(())
}
