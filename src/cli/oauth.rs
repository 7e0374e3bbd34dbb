//! `connectors oauth set|list|remove`: the operator's OAuth apps.

use crate::app::{location, open_store};
use crate::config::Config;
use crate::domain::time;
use crate::service::catalog;
use crate::service::keys::{load_keyring, verify_keyring};
use crate::service::oauth_apps::{self, redirect_uri};
use anyhow::Context;
use clap::Subcommand;
use secrecy::SecretString;
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub enum OAuthCommand {
    /// Set the OAuth app (client id and secret) of a catalog entry with an
    /// `oauth` block, replacing the one set before; the client secret is
    /// read from standard input and stored encrypted with the key ring
    Set {
        /// Catalog key of the entry, e.g. linkedin
        key: String,
        /// The client id the provider issued
        #[arg(long, value_name = "ID")]
        client_id: String,
        /// Read the client secret from the first line of standard input
        #[arg(long, required = true)]
        client_secret_stdin: bool,
    },
    /// One line per OAuth app: catalog key, client id, when it was set and
    /// the redirect URI to register with the provider (from
    /// CONNECTORS_PUBLIC_URL); never the client secret
    List,
    /// Remove the OAuth app of a catalog entry; its connectors keep their
    /// tokens, but new connections need an app again
    Remove {
        /// Catalog key of the entry
        key: String,
    },
}

fn read_secret_line() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the client secret from standard input")?;
    let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
    line.clear();
    if trimmed.is_empty() {
        anyhow::bail!("no client secret on standard input");
    }
    Ok(SecretString::from(trimmed))
}

pub async fn run(config: &Config, cmd: OAuthCommand) -> anyhow::Result<()> {
    match cmd {
        OAuthCommand::Set {
            key,
            client_id,
            client_secret_stdin: _,
        } => {
            let secret = read_secret_line()?;
            let keys = load_keyring(config, location(config)?.backend())?;
            let store = open_store(config, true).await?;
            verify_keyring(store.as_ref(), &keys).await?;
            // The built-in entries exist even before the first `serve`.
            catalog::seed(store.as_ref()).await?;
            let created =
                oauth_apps::set_app(store.as_ref(), &keys, &key, &client_id, &secret).await?;
            println!(
                "{} the OAuth app of '{key}' (client id {client_id})",
                if created { "set" } else { "replaced" }
            );
            match &config.public_url {
                Some(url) => eprintln!(
                    "register this redirect URI with the provider: {}",
                    redirect_uri(url)
                ),
                None => eprintln!(
                    "note: set CONNECTORS_PUBLIC_URL to the service's public address; the redirect URI to register is that address followed by {}",
                    crate::domain::oauth::CALLBACK_PATH
                ),
            }
        }
        OAuthCommand::List => {
            let store = open_store(config, true).await?;
            let redirect = config
                .public_url
                .as_ref()
                .map(redirect_uri)
                .unwrap_or_else(|| "-".to_string());
            let apps = oauth_apps::list_apps(store.as_ref()).await?;
            for app in &apps {
                println!(
                    "{}\t{}\t{}\t{}",
                    app.catalog_key,
                    app.client_id,
                    time::format(&app.updated_at),
                    redirect
                );
            }
            if config.public_url.is_none() && !apps.is_empty() {
                eprintln!(
                    "note: set CONNECTORS_PUBLIC_URL to see the redirect URI to register with each provider"
                );
            }
        }
        OAuthCommand::Remove { key } => {
            let store = open_store(config, true).await?;
            oauth_apps::remove_app(store.as_ref(), &key).await?;
            println!("removed the OAuth app of '{key}'");
        }
    }
    Ok(())
}
