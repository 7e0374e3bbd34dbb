//! `connectors seed`, `catalog import PATH…`, `catalog list`.

use crate::app::open_store;
use crate::config::Config;
use crate::domain::airbyte::CatalogFields;
use crate::domain::catalog::{AuthType, Format, read_document};
use crate::service::catalog::{self, CatalogFilter, UpsertReport};
use crate::service::keys::load_keyring;
use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Create or update catalog entries from manifest files (JSON or YAML);
    /// every file is checked before anything is written.
    ///
    /// A file may also be an Airbyte spec: a spec.json or spec.yaml
    /// (`connectionSpecification`, `documentationUrl`, `advancedAuth`) or a
    /// declarative manifest.yaml (its `spec`). A spec does not carry the
    /// catalog fields: give them with --key, --name, --category, --icon and
    /// --auth-type, or in a --fields file (JSON or YAML with the same
    /// names; the command line wins), for one spec at a time. The name
    /// defaults to the spec's title and the auth type to oauth with
    /// `advancedAuth`, api_key with a secret, none otherwise.
    ///
    /// Keywords the forms do not know are ignored and listed as warnings
    /// (file, keyword, JSON pointer); keywords a form cannot render are
    /// refused.
    #[command(verbatim_doc_comment)]
    Import {
        /// Manifest files or Airbyte spec files (.json, .yaml, .yml)
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        fields: FieldArgs,
    },
    /// Print one line per catalog entry: key, category, auth type, name
    List,
}

/// The catalog fields of an Airbyte spec.
#[derive(Debug, Args)]
pub struct FieldArgs {
    /// Catalog key of the connector (lowercase letters, digits, '_' or '-')
    #[arg(long)]
    key: Option<String>,
    /// Display name (default: the spec's title)
    #[arg(long)]
    name: Option<String>,
    /// Category shown in the catalog
    #[arg(long)]
    category: Option<String>,
    /// Icon name
    #[arg(long)]
    icon: Option<String>,
    /// Auth type shown in the catalog
    #[arg(long, value_enum)]
    auth_type: Option<AuthTypeArg>,
    /// A JSON or YAML file with key, name, description, category, icon,
    /// auth_type
    #[arg(long, value_name = "FILE")]
    fields: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthTypeArg {
    Oauth,
    ApiKey,
    Basic,
    None,
}

impl From<AuthTypeArg> for AuthType {
    fn from(a: AuthTypeArg) -> AuthType {
        match a {
            AuthTypeArg::Oauth => AuthType::Oauth,
            AuthTypeArg::ApiKey => AuthType::ApiKey,
            AuthTypeArg::Basic => AuthType::Basic,
            AuthTypeArg::None => AuthType::None,
        }
    }
}

fn side_file(path: &Path) -> anyhow::Result<CatalogFields> {
    let shown = path.display().to_string();
    let format = Format::from_path(path)
        .with_context(|| format!("{shown}: unknown file type (use .json, .yaml or .yml)"))?;
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let doc = read_document(&text, format, &shown)?;
    serde_json::from_value(doc).with_context(|| format!("{shown}: invalid catalog fields"))
}

impl FieldArgs {
    fn resolve(self) -> anyhow::Result<CatalogFields> {
        let given = CatalogFields {
            key: self.key,
            name: self.name,
            description: None,
            category: self.category,
            icon: self.icon,
            auth_type: self.auth_type.map(AuthType::from),
        };
        Ok(match &self.fields {
            Some(path) => given.or(side_file(path)?),
            None => given,
        })
    }
}

fn print_report(report: &UpsertReport) {
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for k in &report.created {
        println!("created    {k}");
    }
    for k in &report.updated {
        println!("updated    {k}");
    }
    for k in &report.unchanged {
        println!("unchanged  {k}");
    }
    for (k, n) in &report.sealed {
        println!(
            "sealed     {k}: values of fields now secret moved out of {n} connector config(s)"
        );
    }
    if report.unreadable > 0 {
        eprintln!(
            "warning: {} connector(s) whose secrets do not open keep values of fields now secret in their config; they are now in error: restore the keys (`connectors keys verify`) and import again",
            report.unreadable
        );
    }
    eprintln!("{}", report.summary());
}

pub async fn seed(config: &Config) -> anyhow::Result<()> {
    let store = open_store(config, true).await?;
    let load_keys = || load_keyring(config, store.backend());
    let report = catalog::seed_sealing(store.as_ref(), &load_keys).await?;
    print_report(&report);
    Ok(())
}

pub async fn run(config: &Config, cmd: CatalogCommand) -> anyhow::Result<()> {
    match cmd {
        CatalogCommand::Import { paths, fields } => {
            let fields = fields.resolve()?;
            let store = open_store(config, true).await?;
            let load_keys = || load_keyring(config, store.backend());
            let report = catalog::import_files(store.as_ref(), &paths, &fields, &load_keys).await?;
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
