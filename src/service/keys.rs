//! The encryption key ring: where it comes from at start-up, the checks
//! that stop the service before it writes with a wrong or missing key, and
//! the rotation of stored secrets to the primary key.

use super::{ServiceError, ServiceResult};
use crate::config::Config;
use crate::domain::ids::ConnectorId;
use crate::domain::secrets::{Envelope, KeyRing, connector_aad, generate_key_line};
use crate::storage::{Backend, DynStore, SecretRow, Store};
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

/// What `keys rotate` did.
#[derive(Debug, Default)]
pub struct RotateReport {
    pub rotated: u64,
    pub unreadable: u64,
    /// Rows per key id after the run.
    pub by_key: Vec<(String, i64)>,
}

pub const ROTATE_BATCH: i64 = 100;

/// Re-encrypts every stored secret under the primary key, in batches. Each
/// row is replaced only if it is unchanged since it was read, so the run is
/// safe to interrupt and re-run, and safe beside a serving replica.
pub async fn rotate_keys(store: &DynStore, keys: &KeyRing) -> ServiceResult<RotateReport> {
    let mut report = RotateReport::default();
    let mut after: Option<ConnectorId> = None;
    loop {
        let batch: Vec<SecretRow> = store
            .secrets_not_under(keys.primary_id(), after.as_ref(), ROTATE_BATCH)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        for row in batch {
            let aad = connector_aad(row.tenant_id.as_str(), row.id.as_str());
            let plain = match Envelope::parse(&row.auth).and_then(|e| keys.decrypt(&e, &aad)) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(connector_id = %row.id, error = %e, "cannot re-encrypt secrets");
                    report.unreadable += 1;
                    continue;
                }
            };
            let sealed = keys.encrypt(&plain, &aad)?.to_json();
            if store.secret_replace(&row.id, &row.auth, &sealed).await? {
                report.rotated += 1;
            }
        }
    }
    report.by_key = store.key_usage().await?;
    Ok(report)
}
