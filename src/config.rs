//! Layered configuration: command-line flags, then `CONNECTORS_*`
//! environment variables (clap reads both), then an optional
//! `connectors.toml`, then defaults.
//!
//! Values that can hold credentials (database URL, encryption keys,
//! bootstrap password) are [`SecretString`]s, so a stray `{:?}` prints
//! `[REDACTED]` instead of them.

use crate::domain::address::AllowList;
use crate::domain::provider_urls::{ProviderUrls, parse_origin};
use clap::Args;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_CONFIG_FILE: &str = "connectors.toml";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_CHECK_CONNECT_TIMEOUT_SECS: u64 = 5;
pub const DEFAULT_CHECK_TIMEOUT_SECS: u64 = 15;
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(6 * 3600);
pub const DEFAULT_CHECK_RATE_LIMIT: u32 = 30;
pub const DEFAULT_CHECK_CONCURRENCY: usize = 4;

/// Settings every command accepts, as flags or `CONNECTORS_*` variables.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Configuration file [default: ./connectors.toml, if present]
    #[arg(long, global = true, env = "CONNECTORS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "CONNECTORS_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// postgres://… or sqlite://PATH [default: SQLite in the data directory]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Directory for the SQLite file and the generated key [default: ./data]
    #[arg(long, global = true, env = "CONNECTORS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Encryption key ring "id1:BASE64,id2:BASE64" (first is primary)
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_ENCRYPTION_KEYS",
        value_name = "KEYS",
        hide_env_values = true
    )]
    pub encryption_keys: Option<String>,
    /// Log filter, e.g. info or connectors=debug [default: info; RUST_LOG also works]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_LOG_LEVEL",
        value_name = "FILTER"
    )]
    pub log_level: Option<String>,
    /// Log line format: text or json [default: text]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: Option<String>,
    /// Mark cookies Secure (set when served over HTTPS) [default: false]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_COOKIE_SECURE",
        value_name = "BOOL"
    )]
    pub cookie_secure: Option<bool>,
    /// Password for the first owner on an empty database [default: random, printed once]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_BOOTSTRAP_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub bootstrap_password: Option<String>,
    /// Largest request body accepted, in bytes [default: 1048576]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_MAX_BODY_BYTES",
        value_name = "BYTES"
    )]
    pub max_body_bytes: Option<usize>,
    /// Networks connection checks may reach despite the address rules, e.g. "10.0.0.0/8,fd00::/8" [default: none]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_ALLOW_NETWORKS",
        value_name = "CIDRS"
    )]
    pub check_allow_networks: Option<String>,
    /// Let checks use http:// where the catalog entry allows it for a field [default: true]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_ALLOW_HTTP",
        value_name = "BOOL"
    )]
    pub check_allow_http: Option<bool>,
    /// Seconds to resolve, connect and finish TLS with a provider [default: 5]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_CONNECT_TIMEOUT",
        value_name = "SECONDS"
    )]
    pub check_connect_timeout: Option<u64>,
    /// Seconds a whole check request may take, redirects included [default: 15]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_TIMEOUT",
        value_name = "SECONDS"
    )]
    pub check_timeout: Option<u64>,
    /// Per-catalog-key base URLs, e.g. "medium=https://medium-proxy.internal" [default: none]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_PROVIDER_URLS",
        value_name = "KEY=URL,..."
    )]
    pub provider_urls: Option<String>,
    /// How often active connectors are re-checked, e.g. 6h, 30m, 90s (jittered by up to a tenth), or off [default: 6h]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_INTERVAL",
        value_name = "DURATION"
    )]
    pub check_interval: Option<String>,
    /// Manual checks a tenant may run per minute on this replica; 0 turns the limit off [default: 30]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_RATE_LIMIT",
        value_name = "PER_MINUTE"
    )]
    pub check_rate_limit: Option<u32>,
    /// Scheduled checks one replica runs at once [default: 4]
    #[arg(
        long,
        global = true,
        env = "CONNECTORS_CHECK_CONCURRENCY",
        value_name = "N"
    )]
    pub check_concurrency: Option<usize>,
    /// The address people and providers reach this service at, e.g. "https://connectors.example.com"; OAuth redirect URIs are built from it [default: none]
    #[arg(long, global = true, env = "CONNECTORS_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

/// The optional `connectors.toml`; keys as in the flags, with `_`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    encryption_keys: Option<String>,
    log_level: Option<String>,
    log_format: Option<String>,
    cookie_secure: Option<bool>,
    bootstrap_password: Option<String>,
    max_body_bytes: Option<usize>,
    check_allow_networks: Option<String>,
    check_allow_http: Option<bool>,
    check_connect_timeout: Option<u64>,
    check_timeout: Option<u64>,
    provider_urls: Option<String>,
    check_interval: Option<String>,
    check_rate_limit: Option<u32>,
    check_concurrency: Option<usize>,
    public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: Option<SecretString>,
    pub data_dir: PathBuf,
    pub encryption_keys: Option<SecretString>,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub cookie_secure: bool,
    pub bootstrap_password: Option<SecretString>,
    pub max_body_bytes: usize,
    pub checks: CheckSettings,
    /// The service's public origin (`PUBLIC_URL`), from which the OAuth
    /// redirect URI is made; `None` when not set.
    pub public_url: Option<Url>,
}

/// How connection checks reach providers (the outbound guard's settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSettings {
    pub allow_networks: AllowList,
    pub allow_http: bool,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub provider_urls: ProviderUrls,
    /// Time between scheduled checks of an active connector (before jitter).
    pub interval: Duration,
    /// Whether this process runs scheduled checks (`CHECK_INTERVAL=off`
    /// turns them off).
    pub scheduled: bool,
    /// Manual checks per tenant per minute in one process; 0 is no limit.
    pub rate_limit: u32,
    /// Scheduled checks one process runs at once.
    pub concurrency: usize,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            allow_networks: AllowList::default(),
            allow_http: true,
            connect_timeout: Duration::from_secs(DEFAULT_CHECK_CONNECT_TIMEOUT_SECS),
            timeout: Duration::from_secs(DEFAULT_CHECK_TIMEOUT_SECS),
            provider_urls: ProviderUrls::default(),
            interval: DEFAULT_CHECK_INTERVAL,
            scheduled: true,
            rate_limit: DEFAULT_CHECK_RATE_LIMIT,
            concurrency: DEFAULT_CHECK_CONCURRENCY,
        }
    }
}

/// Reads a duration such as `6h`, `30m`, `90s`, `1d` or a bare number of
/// seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale).map(Duration::from_secs)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Resolves flags and environment (already merged by clap) over the
    /// config file over defaults.
    pub fn load(args: &ConfigArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileConfig::default(),
        };
        Self::merge(args.clone(), file)
    }

    fn merge(a: ConfigArgs, f: FileConfig) -> Result<Config, ConfigError> {
        let checks = Self::merge_checks(&a, &f)?;
        let bind_text = a
            .bind
            .or(f.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_string());
        let bind: SocketAddr = bind_text.parse().map_err(|_| ConfigError::Invalid {
            name: "BIND",
            reason: format!("'{bind_text}' is not an address like 127.0.0.1:8080"),
        })?;
        let log_format = match a
            .log_format
            .or(f.log_format)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "LOG_FORMAT",
                    reason: format!("'{other}' is not text or json"),
                });
            }
        };
        let log_filter = a
            .log_level
            .or(f.log_level)
            .or_else(|| std::env::var("RUST_LOG").ok())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "info".to_string());
        let max_body_bytes = a
            .max_body_bytes
            .or(f.max_body_bytes)
            .unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes == 0 {
            return Err(ConfigError::Invalid {
                name: "MAX_BODY_BYTES",
                reason: "must be greater than 0".into(),
            });
        }
        let non_empty = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
        let public_url = non_empty(a.public_url.clone().or(f.public_url))
            .map(|text| parse_public_url(text.trim()))
            .transpose()?;
        Ok(Config {
            bind,
            database_url: non_empty(a.database_url.or(f.database_url)).map(SecretString::from),
            data_dir: a
                .data_dir
                .or(f.data_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            encryption_keys: non_empty(a.encryption_keys.or(f.encryption_keys))
                .map(SecretString::from),
            log_filter,
            log_format,
            cookie_secure: a.cookie_secure.or(f.cookie_secure).unwrap_or(false),
            bootstrap_password: non_empty(a.bootstrap_password.or(f.bootstrap_password))
                .map(SecretString::from),
            max_body_bytes,
            checks,
            public_url,
        })
    }

    fn merge_checks(a: &ConfigArgs, f: &FileConfig) -> Result<CheckSettings, ConfigError> {
        let allow_text = a
            .check_allow_networks
            .clone()
            .or_else(|| f.check_allow_networks.clone())
            .unwrap_or_default();
        let allow_networks = AllowList::parse(&allow_text).map_err(|e| ConfigError::Invalid {
            name: "CHECK_ALLOW_NETWORKS",
            reason: e.to_string(),
        })?;
        let urls_text = a
            .provider_urls
            .clone()
            .or_else(|| f.provider_urls.clone())
            .unwrap_or_default();
        let provider_urls = ProviderUrls::parse(&urls_text).map_err(|e| ConfigError::Invalid {
            name: "PROVIDER_URLS",
            reason: e.to_string(),
        })?;
        let seconds = |name: &'static str, value: Option<u64>, default: u64| match value {
            None => Ok(Duration::from_secs(default)),
            Some(0) => Err(ConfigError::Invalid {
                name,
                reason: "must be at least 1 second".into(),
            }),
            Some(s) if s > 600 => Err(ConfigError::Invalid {
                name,
                reason: format!("{s} seconds is more than the 600 allowed"),
            }),
            Some(s) => Ok(Duration::from_secs(s)),
        };
        let connect_timeout = seconds(
            "CHECK_CONNECT_TIMEOUT",
            a.check_connect_timeout.or(f.check_connect_timeout),
            DEFAULT_CHECK_CONNECT_TIMEOUT_SECS,
        )?;
        let timeout = seconds(
            "CHECK_TIMEOUT",
            a.check_timeout.or(f.check_timeout),
            DEFAULT_CHECK_TIMEOUT_SECS,
        )?;
        if connect_timeout > timeout {
            return Err(ConfigError::Invalid {
                name: "CHECK_CONNECT_TIMEOUT",
                reason: format!(
                    "{} seconds is longer than CHECK_TIMEOUT ({} seconds)",
                    connect_timeout.as_secs(),
                    timeout.as_secs()
                ),
            });
        }
        let interval_text = a.check_interval.as_deref().or(f.check_interval.as_deref());
        let scheduled = interval_text.is_none_or(|t| t.trim() != "off");
        let interval = match interval_text.filter(|_| scheduled) {
            None => DEFAULT_CHECK_INTERVAL,
            Some(text) => match parse_duration(text) {
                Some(d) if d.as_secs() >= 1 => d,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "CHECK_INTERVAL",
                        reason: format!(
                            "'{}' is not a duration of at least one second like 6h, 30m or 90s",
                            text.trim()
                        ),
                    });
                }
            },
        };
        let concurrency = a
            .check_concurrency
            .or(f.check_concurrency)
            .unwrap_or(DEFAULT_CHECK_CONCURRENCY);
        if !(1..=256).contains(&concurrency) {
            return Err(ConfigError::Invalid {
                name: "CHECK_CONCURRENCY",
                reason: format!("{concurrency} is not between 1 and 256"),
            });
        }
        Ok(CheckSettings {
            allow_networks,
            allow_http: a.check_allow_http.or(f.check_allow_http).unwrap_or(true),
            connect_timeout,
            timeout,
            provider_urls,
            interval,
            scheduled,
            rate_limit: a
                .check_rate_limit
                .or(f.check_rate_limit)
                .unwrap_or(DEFAULT_CHECK_RATE_LIMIT),
            concurrency,
        })
    }
}

/// The public URL is an origin: `http(s)://host[:port]`, with no user
/// name, path, query or fragment (the routes sit at the root).
fn parse_public_url(text: &str) -> Result<Url, ConfigError> {
    parse_origin(text, "like https://connectors.example.com").map_err(|why| ConfigError::Invalid {
        name: "PUBLIC_URL",
        reason: format!("'{text}' {why}"),
    })
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        reason: e.message().to_string(),
    })
}

#[cfg(test)]
mod tests;
