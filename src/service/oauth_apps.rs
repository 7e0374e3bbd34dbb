//! The operator's OAuth apps: for each catalog entry with an `oauth`
//! block, the client id and secret the provider issued to this
//! installation (`connectors oauth set|list|remove`).
//!
//! The client secret is sealed with the key ring like a connector's
//! secrets, bound by its associated data to the catalog key and the client
//! id ([`oauth_app_aad`]), so it opens only on its own row and only with
//! the client id it was set with. Nothing here ever returns it: listing
//! shows the client id and when the app was set; the flow opens the secret
//! with [`open_client_secret`] for a request to the provider. Key rotation
//! re-seals these envelopes beside the connectors' ([`rotate_apps`]) and
//! `keys verify` opens each ([`verify_apps`]).

use super::{ServiceError, ServiceResult};
use crate::domain::catalog::Manifest;
use crate::domain::oauth::CALLBACK_PATH;
use crate::domain::secrets::{Envelope, KeyRing, SecretsError, oauth_app_aad};
use crate::domain::time;
use crate::storage::{OAuthAppRow, OAuthAppWrite, Store};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Longest client id and client secret accepted.
pub const MAX_CLIENT_ID: usize = 255;
pub const MAX_CLIENT_SECRET: usize = 1024;

/// An app as `oauth list` shows it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthAppView {
    pub catalog_key: String,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OAuthAppRow> for OAuthAppView {
    fn from(r: OAuthAppRow) -> Self {
        OAuthAppView {
            catalog_key: r.catalog_key,
            client_id: r.client_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The redirect URI to register with every provider: the public URL's
/// origin and [`CALLBACK_PATH`].
pub fn redirect_uri(public_url: &Url) -> String {
    let mut url = public_url.clone();
    url.set_path(CALLBACK_PATH);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

fn check_client_id(id: &str) -> ServiceResult<()> {
    // RFC 6749 appendix A.1: client_id = *VSCHAR (printable ASCII).
    let ok = !id.is_empty()
        && id.len() <= MAX_CLIENT_ID
        && id.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "the client id must be 1-{MAX_CLIENT_ID} printable ASCII characters without spaces"
        )))
    }
}

fn check_client_secret(secret: &str) -> ServiceResult<()> {
    // RFC 6749 appendix A.2: client_secret = *VSCHAR; a space inside is
    // allowed there, a control character is not.
    let ok = !secret.trim().is_empty()
        && secret.len() <= MAX_CLIENT_SECRET
        && secret.bytes().all(|b| (0x20..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "the client secret must be 1-{MAX_CLIENT_SECRET} printable ASCII characters"
        )))
    }
}

/// The catalog entry's manifest, which must have an `oauth` block.
async fn oauth_manifest(store: &dyn Store, catalog_key: &str) -> ServiceResult<Manifest> {
    let row = store.catalog_get(catalog_key).await?.ok_or_else(|| {
        ServiceError::NotFound(format!("no catalog entry with key '{catalog_key}'"))
    })?;
    let manifest = Manifest::from_document(&row.document).map_err(|e| {
        ServiceError::Store(crate::storage::StoreError::Corrupt(format!(
            "catalog entry '{catalog_key}': {e}"
        )))
    })?;
    if manifest.oauth.is_none() {
        return Err(ServiceError::Invalid(format!(
            "catalog entry '{catalog_key}' has no `oauth` block, so it cannot use an OAuth app"
        )));
    }
    Ok(manifest)
}

/// Creates or replaces the OAuth app of `catalog_key`. Returns whether it
/// was created. Nothing is written when any input is refused.
pub async fn set_app(
    store: &dyn Store,
    keys: &KeyRing,
    catalog_key: &str,
    client_id: &str,
    client_secret: &SecretString,
) -> ServiceResult<bool> {
    check_client_id(client_id)?;
    check_client_secret(client_secret.expose_secret())?;
    oauth_manifest(store, catalog_key).await?;
    let envelope = keys.encrypt(
        client_secret.expose_secret().as_bytes(),
        &oauth_app_aad(catalog_key, client_id),
    )?;
    Ok(store
        .oauth_app_upsert(&OAuthAppWrite {
            catalog_key: catalog_key.to_string(),
            client_id: client_id.to_string(),
            client_secret: envelope.to_json(),
            at: time::now(),
        })
        .await?)
}

/// Every app, by catalog key, without secrets.
pub async fn list_apps(store: &dyn Store) -> ServiceResult<Vec<OAuthAppView>> {
    Ok(store
        .oauth_app_list()
        .await?
        .into_iter()
        .map(OAuthAppView::from)
        .collect())
}

/// Removes the app of `catalog_key`; `NotFound` when it has none.
pub async fn remove_app(store: &dyn Store, catalog_key: &str) -> ServiceResult<()> {
    if store.oauth_app_remove(catalog_key).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!(
            "catalog entry '{catalog_key}' has no OAuth app"
        )))
    }
}

/// Opens an app's client secret for a request to its provider.
pub fn open_client_secret(keys: &KeyRing, app: &OAuthAppRow) -> Result<SecretString, SecretsError> {
    let envelope = Envelope::parse(&app.client_secret)?;
    let plain = keys.decrypt(&envelope, &oauth_app_aad(&app.catalog_key, &app.client_id))?;
    let text = std::str::from_utf8(&plain).map_err(|_| SecretsError::Malformed)?;
    Ok(SecretString::from(text.to_string()))
}

/// What the rotation of the apps' secrets did.
#[derive(Debug, Default)]
pub struct AppsRotateReport {
    pub rotated: u64,
    /// The catalog keys whose client secret did not open (left as they are).
    pub unreadable: Vec<String>,
    /// Apps per key id after the run.
    pub by_key: Vec<(String, i64)>,
}

/// Seals every app's client secret not under the primary key again under
/// it, each replaced only if unchanged since it was read (safe to re-run
/// and beside a serving replica).
pub async fn rotate_apps(store: &dyn Store, keys: &KeyRing) -> ServiceResult<AppsRotateReport> {
    let mut report = AppsRotateReport::default();
    for app in store.oauth_app_list().await? {
        let current = Envelope::parse(&app.client_secret).ok();
        if current.is_some_and(|e| e.kid == keys.primary_id()) {
            continue;
        }
        let resealed = open_client_secret(keys, &app).and_then(|secret| {
            keys.encrypt(
                secret.expose_secret().as_bytes(),
                &oauth_app_aad(&app.catalog_key, &app.client_id),
            )
        });
        match resealed {
            Ok(envelope) => {
                if store
                    .oauth_app_reseal(&app.catalog_key, &app.client_secret, &envelope.to_json())
                    .await?
                {
                    report.rotated += 1;
                }
            }
            Err(e) => {
                tracing::warn!(
                    catalog_key = %app.catalog_key,
                    error = %e,
                    "the client secret of an OAuth app does not open with the configured keys"
                );
                report.unreadable.push(app.catalog_key);
            }
        }
    }
    report.by_key = store.oauth_app_key_usage().await?;
    Ok(report)
}

/// What `keys verify` found among the apps.
#[derive(Debug, Default)]
pub struct AppsVerifyReport {
    pub checked: u64,
    pub unreadable: Vec<String>,
}

/// Opens every app's client secret once; changes nothing.
pub async fn verify_apps(store: &dyn Store, keys: &KeyRing) -> ServiceResult<AppsVerifyReport> {
    let mut report = AppsVerifyReport::default();
    for app in store.oauth_app_list().await? {
        report.checked += 1;
        if open_client_secret(keys, &app).is_err() {
            report.unreadable.push(app.catalog_key);
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_uri_is_the_public_origin_and_the_callback_path() {
        for (public, expected) in [
            (
                "https://connectors.example.com",
                "https://connectors.example.com/features/connectors/oauth/callback",
            ),
            (
                "https://connectors.example.com/",
                "https://connectors.example.com/features/connectors/oauth/callback",
            ),
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/features/connectors/oauth/callback",
            ),
        ] {
            assert_eq!(redirect_uri(&Url::parse(public).unwrap()), expected);
        }
    }

    #[test]
    fn client_ids_and_secrets_are_checked() {
        assert!(check_client_id("86abc123xyz").is_ok());
        for bad in ["", "has space", "tab\t", &"a".repeat(256)] {
            assert!(check_client_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_client_secret("s3cr3t with space").is_ok());
        for bad in ["", "   ", "line\nbreak", &"a".repeat(1025)] {
            let err = check_client_secret(bad).unwrap_err().to_string();
            if !bad.trim().is_empty() {
                assert!(!err.contains(bad), "the error repeats the secret: {err}");
            }
        }
    }

    #[test]
    fn a_client_secret_opens_only_with_its_own_key_and_client_id() {
        let keys = KeyRing::parse(&crate::domain::secrets::generate_key_line()).unwrap();
        let env = keys
            .encrypt(b"the-secret", &oauth_app_aad("linkedin", "client-1"))
            .unwrap();
        let row = |key: &str, id: &str| OAuthAppRow {
            catalog_key: key.into(),
            client_id: id.into(),
            client_secret: env.to_json(),
            created_at: time::now(),
            updated_at: time::now(),
        };
        assert_eq!(
            open_client_secret(&keys, &row("linkedin", "client-1"))
                .unwrap()
                .expose_secret(),
            "the-secret"
        );
        for (key, id) in [("twitter", "client-1"), ("linkedin", "client-2")] {
            assert_eq!(
                open_client_secret(&keys, &row(key, id)).unwrap_err(),
                SecretsError::Decrypt
            );
        }
    }
}
