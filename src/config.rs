//! Layered configuration: command-line flags, then `CONNECTORS_*`
//! environment variables (clap reads both), then an optional
//! `connectors.toml`, then defaults.
//!
//! Values that can hold credentials (database URL, encryption keys,
//! bootstrap password) are [`SecretString`]s, so a stray `{:?}` prints
//! `[REDACTED]` instead of them.

use clap::Args;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_CONFIG_FILE: &str = "connectors.toml";
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

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
        })
    }
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
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn flags_win_over_file_over_defaults() {
        let file: FileConfig = toml::from_str(
            "bind = \"127.0.0.1:9000\"\ndata_dir = \"/srv/c\"\nlog_format = \"json\"\nmax_body_bytes = 10",
        )
        .unwrap();
        let args = ConfigArgs {
            bind: Some("127.0.0.1:9100".into()),
            log_level: Some("debug".into()),
            ..Default::default()
        };
        let c = Config::merge(args, file).unwrap();
        assert_eq!(c.bind.port(), 9100);
        assert_eq!(c.data_dir, PathBuf::from("/srv/c"));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.log_filter, "debug");
        assert_eq!(c.max_body_bytes, 10);
        assert!(!c.cookie_secure);

        let d = Config::merge(ConfigArgs::default(), FileConfig::default()).unwrap();
        assert_eq!(d.bind.to_string(), DEFAULT_BIND);
        assert_eq!(d.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        assert!(d.database_url.is_none());
    }

    #[test]
    fn secrets_do_not_debug_print_and_bad_values_are_refused() {
        let args = ConfigArgs {
            encryption_keys: Some("k:c2VjcmV0".into()),
            bootstrap_password: Some("hunter22hunter".into()),
            ..Default::default()
        };
        let c = Config::merge(args, FileConfig::default()).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("c2VjcmV0") && !dbg.contains("hunter22"));
        assert_eq!(c.encryption_keys.unwrap().expose_secret(), "k:c2VjcmV0");
        for bad in [
            ConfigArgs {
                bind: Some("nowhere".into()),
                ..Default::default()
            },
            ConfigArgs {
                log_format: Some("xml".into()),
                ..Default::default()
            },
            ConfigArgs {
                max_body_bytes: Some(0),
                ..Default::default()
            },
        ] {
            assert!(Config::merge(bad, FileConfig::default()).is_err());
        }
        assert!(toml::from_str::<FileConfig>("unknown = 1").is_err());
    }
}
