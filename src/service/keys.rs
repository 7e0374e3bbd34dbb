//! The encryption key ring: where it comes from at start-up, the checks
//! that stop the service before it writes with a wrong or missing key, the
//! rotation of stored secrets to the primary key, the backfill of their
//! states, and `keys verify`.

use super::{ServiceError, ServiceResult};
use crate::config::Config;
use crate::domain::ids::ConnectorId;
use crate::domain::secrets::{KeyRing, generate_key_line};
use crate::service::connectors::{mark_unreadable, open_secrets, reseal};
use crate::service::oauth_apps::{AppsRotateReport, AppsVerifyReport, rotate_apps, verify_apps};
use crate::storage::{Backend, DynStore, SecretFilter, SecretRow, Store};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const KEY_FILE: &str = "encryption.key";

pub fn key_file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// The key ring from `ENCRYPTION_KEYS`; on SQLite without it, from the key
/// file in the data directory, generated (mode 0600) on first use. On
/// PostgreSQL a configured key is required, since replicas must share it.
pub fn load_keyring(config: &Config, backend: Backend) -> ServiceResult<KeyRing> {
    if let Some(spec) = &config.encryption_keys {
        return Ok(KeyRing::parse(spec.expose_secret())?);
    }
    if backend == Backend::Postgres {
        return Err(ServiceError::Invalid(
            "CONNECTORS_ENCRYPTION_KEYS must be set when using PostgreSQL (every replica needs the same keys); generate one with `connectors keys generate`".into(),
        ));
    }
    let path = key_file_path(&config.data_dir);
    let spec = match std::fs::read_to_string(&path) {
        Ok(text) => SecretString::from(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_new_key_file(&path)?,
        Err(e) => {
            return Err(ServiceError::Invalid(format!(
                "cannot read key file {}: {e}",
                path.display()
            )));
        }
    };
    KeyRing::parse(spec.expose_secret())
        .map_err(|e| ServiceError::Invalid(format!("key file {}: {e}", path.display())))
}

fn write_new_key_file(path: &Path) -> ServiceResult<SecretString> {
    let fail = |e: std::io::Error| {
        ServiceError::Invalid(format!("cannot create key file {}: {e}", path.display()))
    };
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir_all(dir).map_err(fail)?;
    }
    let line = SecretString::from(generate_key_line());
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => {
            f.write_all(line.expose_secret().as_bytes())
                .and_then(|_| f.write_all(b"\n"))
                .and_then(|_| f.sync_all())
                .map_err(fail)?;
            Ok(line)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path)
            .map(SecretString::from)
            .map_err(fail),
        Err(e) => Err(fail(e)),
    }
}

/// Compares the ring with the check values in the database: a key whose id
/// is known must be the same key, and every key id that still protects
/// stored secrets must be present. New key ids get a check value.
pub async fn verify_keyring(store: &dyn Store, ring: &KeyRing) -> ServiceResult<()> {
    let checks = store.key_checks().await?;
    for (kid, value) in &checks {
        if ring.contains(kid) && !ring.verify_check_value(kid, value)? {
            return Err(ServiceError::Invalid(format!(
                "encryption key '{kid}' is not the key this database was set up with; restore the original key for '{kid}'"
            )));
        }
    }
    for (kid, count) in store.key_usage().await? {
        if !ring.contains(&kid) {
            return Err(ServiceError::Invalid(format!(
                "encryption key '{kid}' protects {count} stored secret(s) but is not configured; add it back to CONNECTORS_ENCRYPTION_KEYS (after `connectors keys rotate` it can be removed)"
            )));
        }
    }
    for (kid, count) in store.oauth_app_key_usage().await? {
        if !ring.contains(&kid) {
            return Err(ServiceError::Invalid(format!(
                "encryption key '{kid}' protects the client secret of {count} OAuth app(s) but is not configured; add it back to CONNECTORS_ENCRYPTION_KEYS (after `connectors keys rotate` it can be removed)"
            )));
        }
    }
    for kid in ring.key_ids() {
        if !checks.iter().any(|(k, _)| k == kid) {
            store.key_check_insert(kid, &ring.check_value(kid)?).await?;
        }
    }
    // Re-read: a concurrent replica may have inserted a different key's
    // check value under the same id between our read and insert.
    for (kid, value) in store.key_checks().await? {
        if ring.contains(&kid) && !ring.verify_check_value(&kid, &value)? {
            return Err(ServiceError::Invalid(format!(
                "encryption key '{kid}' is not the key this database was set up with"
            )));
        }
    }
    Ok(())
}

/// What `keys rotate` or the states backfill did.
#[derive(Debug, Default)]
pub struct RotateReport {
    /// Rows sealed again (under the primary key, with their states).
    pub rotated: u64,
    /// Rows whose secrets did not open; each is now `error`.
    pub unreadable: u64,
    /// Rows per key id after the run (`keys rotate` only).
    pub by_key: Vec<(String, i64)>,
    /// The OAuth apps' client secrets (`keys rotate` only).
    pub apps: AppsRotateReport,
}

pub const ROTATE_BATCH: i64 = 100;

/// Seals again under the primary key, with their states, the rows that
/// `filter` selects, in batches. Each row is replaced only if it is
/// unchanged since it was read, so the run is safe to interrupt and re-run,
/// and safe beside a serving replica. A row whose secrets do not open moves
/// to `error` (audited) and is left as it is otherwise.
async fn reseal_all(
    store: &DynStore,
    keys: &KeyRing,
    filter: &SecretFilter,
    during: &str,
) -> ServiceResult<RotateReport> {
    let mut report = RotateReport::default();
    let mut after: Option<ConnectorId> = None;
    loop {
        let batch: Vec<SecretRow> = store
            .secrets_page(filter, after.as_ref(), ROTATE_BATCH)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        for row in batch {
            match reseal(keys, &row) {
                Ok((auth, states)) => {
                    if store
                        .secret_reseal(&row.id, &row.auth, &auth, &states)
                        .await?
                    {
                        report.rotated += 1;
                    }
                }
                Err(e) => {
                    report.unreadable += 1;
                    mark_unreadable(
                        store.as_ref(),
                        None,
                        &row.tenant_id,
                        &row.id,
                        &row.auth,
                        during,
                        &e,
                    )
                    .await?;
                }
            }
        }
    }
    Ok(report)
}

/// Re-encrypts every stored secret under the primary key (and stores the
/// states of rows sealed before states were stored), the OAuth apps'
/// client secrets included.
pub async fn rotate_keys(store: &DynStore, keys: &KeyRing) -> ServiceResult<RotateReport> {
    let filter = SecretFilter::NeedsReseal {
        primary_kid: keys.primary_id().to_string(),
    };
    let mut report = reseal_all(store, keys, &filter, "key rotation").await?;
    report.by_key = store.key_usage().await?;
    report.apps = rotate_apps(store.as_ref(), keys).await?;
    Ok(report)
}

/// Stores the secret states of rows sealed before states were stored
/// beside the ciphertext, opening each once and sealing it again with them.
/// Run by `connectors migrate` and, in the background, by a serving
/// process; safe to interrupt, and a no-op once every row has states.
pub async fn backfill_secret_states(
    store: &DynStore,
    keys: &KeyRing,
) -> ServiceResult<RotateReport> {
    reseal_all(store, keys, &SecretFilter::WithoutStates, "states backfill").await
}

/// What `keys verify` found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    pub checked: u64,
    /// The connectors whose secrets do not open with the configured keys.
    pub unreadable: Vec<ConnectorId>,
    /// The OAuth apps' client secrets.
    pub apps: AppsVerifyReport,
}

/// Opens every stored secret once (the OAuth apps' client secrets too) and
/// reports the ones that fail; changes nothing.
pub async fn verify_secrets(store: &DynStore, keys: &KeyRing) -> ServiceResult<VerifyReport> {
    let mut report = VerifyReport::default();
    let mut after: Option<ConnectorId> = None;
    loop {
        let batch = store
            .secrets_page(&SecretFilter::All, after.as_ref(), ROTATE_BATCH)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        for row in batch {
            report.checked += 1;
            let opened = open_secrets(
                keys,
                row.tenant_id.as_str(),
                row.id.as_str(),
                &row.auth,
                row.states.as_deref(),
            );
            if opened.is_err() {
                report.unreadable.push(row.id);
            }
        }
    }
    report.apps = verify_apps(store.as_ref(), keys).await?;
    Ok(report)
}
