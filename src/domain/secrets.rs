//! Encryption of connector secrets at rest.
//!
//! A [`KeyRing`] holds one or more 32-byte AES-256-GCM keys, each with an id;
//! the first is the primary. Every write uses the primary key and a fresh
//! random 96-bit nonce; the key id is stored beside the ciphertext, so reads
//! work with any key in the ring. Associated data binds each ciphertext to
//! its tenant and connector, so a ciphertext copied onto another row does not
//! decrypt.
//!
//! The ring also signs values the server hands out and checks when they
//! come back (CSRF tokens): an HMAC-SHA256 under a key derived from each
//! encryption key, so every replica with the same ring makes the same
//! tokens, and nothing about them needs storing.
//!
//! Key material never leaves this module: `Debug` prints only key ids, and
//! every error names the key id or its position, never its bytes.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroizing;

/// Current envelope format version.
const ENVELOPE_VERSION: u8 = 1;
const KEY_CHECK_PLAINTEXT: &[u8] = b"connectors key check v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretsError {
    #[error("{0}")]
    BadKeyRing(String),
    #[error("no key with id '{0}' is configured")]
    UnknownKey(String),
    #[error("stored secrets could not be decrypted (tampered data or wrong key)")]
    Decrypt,
    #[error("stored secrets are not in a recognised format")]
    Malformed,
    #[error("encryption failed")]
    Encrypt,
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
    /// For [`KeyRing::mac`]: derived from the encryption key, never the
    /// encryption key itself.
    mac_key: Zeroizing<[u8; 32]>,
}

/// The label the MAC key is derived under.
const MAC_KEY_LABEL: &[u8] = b"connectors/mac-key/v1";

/// HMAC-SHA256 (RFC 2104) of the concatenation of `parts` under `key`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = mac_state(key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn mac_state(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// The configured keys; the first one is primary.
pub struct KeyRing {
    keys: Vec<Key>,
    /// How many envelopes this ring has opened (or tried to): reads are
    /// meant never to open one, and tests hold them to it.
    opened: AtomicU64,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("key_ids", &self.key_ids())
            .finish()
    }
}

/// What is stored in the `auth` column: a versioned, self-describing
/// ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub v: u8,
    pub kid: String,
    /// base64 nonce (12 bytes)
    pub n: String,
    /// base64 ciphertext with its 16-byte tag
    pub ct: String,
}

impl Envelope {
    /// Parses the stored JSON text of an envelope.
    pub fn parse(text: &str) -> Result<Envelope, SecretsError> {
        let env: Envelope = serde_json::from_str(text).map_err(|_| SecretsError::Malformed)?;
        if env.v != ENVELOPE_VERSION || !valid_key_id(&env.kid) {
            return Err(SecretsError::Malformed);
        }
        Ok(env)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("envelope serialises")
    }
}

fn valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The associated data binding a connector's secrets to its row and to the
/// secret states stored beside them (the exact text of that column), so
/// that neither the ciphertext moved to another row nor states changed
/// beside it open. `None` is an envelope sealed before states were stored
/// (version 1, bound to the row only).
pub fn connector_aad(tenant_id: &str, connector_id: &str, states: Option<&str>) -> Vec<u8> {
    match states {
        Some(states) => format!("connectors/auth/v2|{tenant_id}|{connector_id}|{states}"),
        None => format!("connectors/auth/v1|{tenant_id}|{connector_id}"),
    }
    .into_bytes()
}

/// The associated data binding an OAuth app's client secret to its
/// catalog key and client id (a catalog key holds no `|`).
pub fn oauth_app_aad(catalog_key: &str, client_id: &str) -> Vec<u8> {
    format!("connectors/oauth-app/v1|{catalog_key}|{client_id}").into_bytes()
}

fn key_check_aad(key_id: &str) -> Vec<u8> {
    format!("connectors/key-check/v1|{key_id}").into_bytes()
}

impl KeyRing {
    /// Parses `id1:BASE64,id2:BASE64` (whitespace and newlines around entries
    /// are ignored). Errors never contain key material.
    pub fn parse(spec: &str) -> Result<KeyRing, SecretsError> {
        let mut keys: Vec<Key> = Vec::new();
        for (i, raw) in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            let pos = i + 1;
            let Some((id, b64)) = raw.split_once(':') else {
                return Err(SecretsError::BadKeyRing(format!(
                    "encryption key entry {pos} is not in the form ID:BASE64"
                )));
            };
            let id = id.trim();
            if !valid_key_id(id) {
                return Err(SecretsError::BadKeyRing(format!(
                    "encryption key entry {pos} has an invalid id (use 1-64 letters, digits, '-', '_' or '.')"
                )));
            }
            let bytes = Zeroizing::new(STANDARD.decode(b64.trim()).map_err(|_| {
                SecretsError::BadKeyRing(format!("encryption key '{id}' is not valid base64"))
            })?);
            if bytes.len() != 32 {
                return Err(SecretsError::BadKeyRing(format!(
                    "encryption key '{id}' is {} bytes long; it must be exactly 32 bytes (run `connectors keys generate`)",
                    bytes.len()
                )));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(SecretsError::BadKeyRing(format!(
                    "encryption key id '{id}' appears twice"
                )));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| {
                SecretsError::BadKeyRing(format!("encryption key '{id}' is unusable"))
            })?;
            keys.push(Key {
                id: id.to_string(),
                cipher,
                mac_key: Zeroizing::new(hmac_sha256(&bytes, &[MAC_KEY_LABEL])),
            });
        }
        if keys.is_empty() {
            return Err(SecretsError::BadKeyRing(
                "no encryption key is configured (set CONNECTORS_ENCRYPTION_KEYS; `connectors keys generate` makes one)".into(),
            ));
        }
        Ok(KeyRing {
            keys,
            opened: AtomicU64::new(0),
        })
    }

    pub fn primary_id(&self) -> &str {
        &self.keys[0].id
    }

    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    fn key(&self, id: &str) -> Result<&Key, SecretsError> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| SecretsError::UnknownKey(id.to_string()))
    }

    fn seal(&self, key: &Key, plaintext: &[u8], aad: &[u8]) -> Result<Envelope, SecretsError> {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let ct = key
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| SecretsError::Encrypt)?;
        Ok(Envelope {
            v: ENVELOPE_VERSION,
            kid: key.id.clone(),
            n: STANDARD.encode(nonce),
            ct: STANDARD.encode(ct),
        })
    }

    /// Encrypts under the primary key with a fresh nonce.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Result<Envelope, SecretsError> {
        self.seal(&self.keys[0], plaintext, aad)
    }

    /// How many envelopes [`KeyRing::decrypt`] was asked to open so far.
    pub fn decryptions(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Decrypts with whichever key the envelope names.
    pub fn decrypt(&self, env: &Envelope, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
        self.opened.fetch_add(1, Ordering::Relaxed);
        let key = self.key(&env.kid)?;
        let nonce = STANDARD
            .decode(&env.n)
            .map_err(|_| SecretsError::Malformed)?;
        if nonce.len() != 12 {
            return Err(SecretsError::Malformed);
        }
        let ct = STANDARD
            .decode(&env.ct)
            .map_err(|_| SecretsError::Malformed)?;
        key.cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| SecretsError::Decrypt)
    }

    /// A MAC of `message` for `purpose` (a fixed label such as
    /// `"session-csrf"`) under the primary key's MAC key.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        Self::mac_with(&self.keys[0], purpose, message)
    }

    /// Whether `tag` is the MAC of `message` for `purpose` under any key in
    /// the ring, so values made before the primary key changed still check
    /// while their key is in the ring.
    pub fn mac_matches(&self, purpose: &str, message: &[u8], tag: &[u8]) -> bool {
        self.keys.iter().any(|k| {
            let mut mac = mac_state(k.mac_key.as_ref());
            mac.update(purpose.as_bytes());
            mac.update(&[0]);
            mac.update(message);
            // Compared in constant time.
            mac.verify_slice(tag).is_ok()
        })
    }

    fn mac_with(key: &Key, purpose: &str, message: &[u8]) -> [u8; 32] {
        hmac_sha256(key.mac_key.as_ref(), &[purpose.as_bytes(), &[0], message])
    }

    /// A value stored in the database that proves, later, that a key with
    /// this id is the same key: an encryption of a constant.
    pub fn check_value(&self, key_id: &str) -> Result<String, SecretsError> {
        let key = self.key(key_id)?;
        Ok(self
            .seal(key, KEY_CHECK_PLAINTEXT, &key_check_aad(key_id))?
            .to_json())
    }

    /// Whether the configured key with this id produced `stored`.
    pub fn verify_check_value(&self, key_id: &str, stored: &str) -> Result<bool, SecretsError> {
        let env = Envelope::parse(stored)?;
        if env.kid != key_id {
            return Ok(false);
        }
        match self.decrypt(&env, &key_check_aad(key_id)) {
            Ok(pt) => Ok(pt.as_slice() == KEY_CHECK_PLAINTEXT),
            Err(SecretsError::Decrypt) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// A new key line in the `CONNECTORS_ENCRYPTION_KEYS` format, with an id
/// made of today's date and random hex, e.g. `k20261125-3fa9:BASE64`.
pub fn generate_key_line() -> String {
    let mut key = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(key.as_mut());
    let mut tag = [0u8; 2];
    OsRng.fill_bytes(&mut tag);
    format!(
        "k{}-{}:{}",
        chrono::Utc::now().format("%Y%m%d"),
        hex::encode(tag),
        STANDARD.encode(key.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(spec: &str) -> KeyRing {
        KeyRing::parse(spec).unwrap()
    }

    fn key_b64(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    #[test]
    fn round_trip_with_fresh_nonces_and_bound_to_row() {
        let r = ring(&format!("a:{}", key_b64(1)));
        let aad = connector_aad("t1", "c1", None);
        let e1 = r.encrypt(b"{\"k\":\"v\"}", &aad).unwrap();
        let e2 = r.encrypt(b"{\"k\":\"v\"}", &aad).unwrap();
        assert_ne!(e1.n, e2.n);
        assert_ne!(e1.ct, e2.ct);
        assert_eq!(r.decrypt(&e1, &aad).unwrap().as_slice(), b"{\"k\":\"v\"}");
        assert_eq!(
            r.decrypt(&e1, &connector_aad("t1", "c2", None)),
            Err(SecretsError::Decrypt)
        );
        assert_eq!(
            r.decrypt(&e1, &connector_aad("t2", "c1", None)),
            Err(SecretsError::Decrypt)
        );
        // Bound to the states stored beside it, too.
        let states = r#"{"token":"2026-01-01T00:00:00Z"}"#;
        let e3 = r
            .encrypt(b"x", &connector_aad("t1", "c1", Some(states)))
            .unwrap();
        assert!(
            r.decrypt(&e3, &connector_aad("t1", "c1", Some(states)))
                .is_ok()
        );
        for other in [
            Some("{}"),
            Some(r#"{"token":"2026-01-02T00:00:00Z"}"#),
            None,
        ] {
            assert_eq!(
                r.decrypt(&e3, &connector_aad("t1", "c1", other)),
                Err(SecretsError::Decrypt)
            );
        }
        let parsed = Envelope::parse(&e1.to_json()).unwrap();
        assert_eq!(parsed, e1);
    }

    #[test]
    fn reads_with_any_key_writes_with_primary() {
        let old = ring(&format!("old:{}", key_b64(1)));
        let both = ring(&format!("new:{},old:{}", key_b64(2), key_b64(1)));
        let aad = connector_aad("t", "c", None);
        let e = old.encrypt(b"x", &aad).unwrap();
        assert_eq!(both.decrypt(&e, &aad).unwrap().as_slice(), b"x");
        assert_eq!(both.encrypt(b"x", &aad).unwrap().kid, "new");
        let new_only = ring(&format!("new:{}", key_b64(2)));
        assert_eq!(
            new_only.decrypt(&e, &aad),
            Err(SecretsError::UnknownKey("old".into()))
        );
    }

    #[test]
    fn tampering_is_detected() {
        let r = ring(&format!("a:{}", key_b64(1)));
        let aad = connector_aad("t", "c", None);
        let mut e = r.encrypt(b"secret", &aad).unwrap();
        let mut ct = STANDARD.decode(&e.ct).unwrap();
        ct[0] ^= 1;
        e.ct = STANDARD.encode(ct);
        assert_eq!(r.decrypt(&e, &aad), Err(SecretsError::Decrypt));
        assert_eq!(Envelope::parse("{}"), Err(SecretsError::Malformed));
        assert_eq!(Envelope::parse("not json"), Err(SecretsError::Malformed));
    }

    #[test]
    fn bad_rings_are_refused_without_printing_keys() {
        let short = STANDARD.encode([7u8; 16]);
        for spec in [
            String::new(),
            "nocolon".to_string(),
            format!("a:{short}"),
            "a:!!!notbase64".to_string(),
            format!("a:{},a:{}", key_b64(1), key_b64(2)),
            format!("bad id:{}", key_b64(1)),
        ] {
            let err = KeyRing::parse(&spec).unwrap_err().to_string();
            assert!(!err.contains(&short), "{err}");
            assert!(!err.contains(&key_b64(1)), "{err}");
        }
        let line = generate_key_line();
        let r = KeyRing::parse(&line).unwrap();
        assert!(line.starts_with(r.primary_id()));
        assert!(!format!("{r:?}").contains(line.split_once(':').unwrap().1));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1, 2 and 6 (a key longer than the block).
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], &[b"Hi There"])),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                b"Jefe",
                &[b"what do ya want ", b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"]
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn macs_are_per_purpose_and_check_under_any_key() {
        let old = ring(&format!("old:{}", key_b64(1)));
        let both = ring(&format!("new:{},old:{}", key_b64(2), key_b64(1)));
        let tag = old.mac("p", b"m");
        assert!(old.mac_matches("p", b"m", &tag));
        assert!(both.mac_matches("p", b"m", &tag));
        assert_ne!(both.mac("p", b"m"), tag);
        assert!(!old.mac_matches("q", b"m", &tag));
        assert!(!old.mac_matches("p", b"n", &tag));
        assert!(!old.mac_matches("p", b"m", &tag[..31]));
        assert!(!ring(&format!("new:{}", key_b64(2))).mac_matches("p", b"m", &tag));
        // The same ring on another replica makes the same tag.
        assert_eq!(ring(&format!("old:{}", key_b64(1))).mac("p", b"m"), tag);
    }

    #[test]
    fn check_values_tell_right_key_from_wrong_key() {
        let right = ring(&format!("a:{}", key_b64(1)));
        let wrong = ring(&format!("a:{}", key_b64(9)));
        let check = right.check_value("a").unwrap();
        assert!(right.verify_check_value("a", &check).unwrap());
        assert!(!wrong.verify_check_value("a", &check).unwrap());
    }
}
