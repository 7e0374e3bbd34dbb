//! The command line: one `Command` enum, one file per task. With no
//! subcommand the binary serves.

mod catalog;
mod identity;
mod keys;
mod migrate;
mod oauth;
mod serve;

use crate::config::{Config, ConfigArgs};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "connectors",
    version,
    about = "Multi-tenant connectors service: a catalog of connector types and per-tenant installed connectors with validated configs and encrypted secrets.",
    long_about = None,
    after_help = "With no command, `connectors` serves (same as `connectors serve`).\nEvery setting can also come from CONNECTORS_<NAME> variables or connectors.toml."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default): migrate, seed, then serve
    Serve,
    /// Apply pending database migrations, or list them with --status
    Migrate(migrate::MigrateArgs),
    /// Seed the built-in catalog; idempotent (serve does it too)
    Seed,
    /// Import or list catalog entries
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Create tenants
    #[command(subcommand)]
    Tenant(identity::TenantCommand),
    /// Create users and add them to tenants
    #[command(subcommand)]
    User(identity::UserCommand),
    /// Create, list and revoke API tokens
    #[command(subcommand)]
    Token(identity::TokenCommand),
    /// Generate encryption keys and re-encrypt secrets under the primary key
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Set, list and remove the OAuth apps (client id and secret) of
    /// catalog entries that connect with OAuth 2.0
    #[command(subcommand)]
    Oauth(oauth::OAuthCommand),
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(&cli.config)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve::run(&config).await,
        Command::Migrate(args) => migrate::run(&config, &args).await,
        Command::Seed => catalog::seed(&config).await,
        Command::Catalog(cmd) => catalog::run(&config, cmd).await,
        Command::Tenant(cmd) => identity::tenant(&config, cmd).await,
        Command::User(cmd) => identity::user(&config, cmd).await,
        Command::Token(cmd) => identity::token(&config, cmd).await,
        Command::Keys(cmd) => keys::run(&config, cmd).await,
        Command::Oauth(cmd) => oauth::run(&config, cmd).await,
    }
}

/// The log filter for administrative commands: quiet unless asked.
pub fn is_serve(cli: &Cli) -> bool {
    matches!(cli.command, None | Some(Command::Serve))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
