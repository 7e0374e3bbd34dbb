//! Tenants, users, roles, passwords and API tokens.
//!
//! Passwords are argon2id PHC strings (m=19456 KiB, t=2, p=1). API tokens
//! carry 256 random bits, are shown once, and only their SHA-256 is stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

pub use super::ids::TenantId;
use std::str::FromStr;

/// What a user may do in one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Owners and admins change things; members only read.
    pub fn can_write(self) -> bool {
        matches!(self, Role::Admin | Role::Owner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            other => Err(IdentityError::Invalid(format!(
                "unknown role '{other}' (expected owner, admin or member)"
            ))),
        }
    }
}

/// Scopes a token can carry beyond the ordinary API access of its user.
pub const SCOPE_CREDENTIALS_READ: &str = "credentials:read";
pub const KNOWN_SCOPES: &[&str] = &[SCOPE_CREDENTIALS_READ];

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{0}")]
    Invalid(String),
    #[error("password hashing failed")]
    Hash,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
}

/// Who is calling, in which tenant, with what rights. Built only by the
/// authentication layer from a token or a session.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub tenant_id: TenantId,
    pub tenant_slug: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub via: AuthMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Token,
    Session,
}

impl Principal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.via == AuthMethod::Token && self.scopes.iter().any(|s| s == scope)
    }
}

/// A tenant slug: 1–63 characters of `a-z`, `0-9` and `-`, starting with a
/// letter or digit.
pub fn validate_slug(slug: &str) -> Result<(), IdentityError> {
    let ok = !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(IdentityError::Invalid(format!(
            "invalid tenant slug '{slug}': use 1-63 lowercase letters, digits and '-', not starting with '-'"
        )))
    }
}

/// Normalises an email address (trimmed, lower-cased) and checks its shape.
pub fn normalize_email(email: &str) -> Result<String, IdentityError> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 320
        && match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !e.chars().any(|c| c.is_whitespace() || c.is_control())
                    && !domain.contains('@')
            }
            None => false,
        };
    if valid {
        Ok(e)
    } else {
        Err(IdentityError::Invalid(
            "invalid email address: expected something like name@example.com".into(),
        ))
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into an argon2id PHC string.
pub fn hash_password(password: &SecretString) -> Result<String, IdentityError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| IdentityError::Hash)
}

/// Checks a password against a stored PHC string; any malformed hash is a
/// mismatch.
pub fn verify_password(password: &SecretString, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Minimum length of a password chosen by a person.
pub const MIN_PASSWORD_LEN: usize = 8;

pub fn check_password_strength(password: &SecretString) -> Result<(), IdentityError> {
    let p = password.expose_secret();
    if p.chars().count() < MIN_PASSWORD_LEN {
        return Err(IdentityError::Invalid(format!(
            "password too short: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// A random password for the bootstrap owner: 18 bytes, URL-safe base64.
pub fn random_password() -> SecretString {
    let mut bytes = [0u8; 18];
    OsRng.fill_bytes(&mut bytes);
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

/// The prefix every API token starts with, so that leaked tokens are easy to
/// recognise in code and logs scanners.
pub const TOKEN_PREFIX: &str = "cnk_";

/// A freshly generated API token: the value to show once and the hash to
/// store.
pub struct NewToken {
    pub value: SecretString,
    pub hash: String,
}

/// Generates a token with 256 random bits.
pub fn generate_token() -> NewToken {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let value = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash_token(&value);
    NewToken {
        value: SecretString::from(value),
        hash,
    }
}

/// The stored form of a token (or session id): lowercase hex SHA-256.
pub fn hash_token(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Checks requested token scopes against the known set, de-duplicated.
pub fn parse_scopes(scopes: &[String]) -> Result<Vec<String>, IdentityError> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        if !KNOWN_SCOPES.contains(&s.as_str()) {
            return Err(IdentityError::Invalid(format!(
                "unknown scope '{s}' (known: {})",
                KNOWN_SCOPES.join(", ")
            )));
        }
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_is_argon2id_with_required_cost_and_verifies() {
        let pw = SecretString::from("correct horse battery".to_string());
        let phc = hash_password(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&pw, &phc));
        assert!(!verify_password(
            &SecretString::from("wrong".to_string()),
            &phc
        ));
        assert!(!verify_password(&pw, "not a hash"));
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a.value.expose_secret(), b.value.expose_secret());
        assert!(a.value.expose_secret().starts_with(TOKEN_PREFIX));
        assert_eq!(a.value.expose_secret().len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(a.hash, hash_token(a.value.expose_secret()));
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn slugs_emails_roles_and_scopes_are_checked() {
        assert!(validate_slug("acme-2").is_ok());
        assert!(validate_slug("").is_err());
        assert!(validate_slug("-x").is_err());
        assert!(validate_slug("Acme").is_err());
        assert_eq!(
            normalize_email(" Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        assert!(normalize_email("nope").is_err());
        assert!(normalize_email("a@b@c").is_err());
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Owner.can_write() && !Role::Member.can_write());
        assert_eq!(
            parse_scopes(&["credentials:read".into(), "credentials:read".into()]).unwrap(),
            vec!["credentials:read".to_string()]
        );
        assert!(parse_scopes(&["admin:all".into()]).is_err());
    }
}
