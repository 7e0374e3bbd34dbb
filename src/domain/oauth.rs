//! A manifest's `oauth` block: how a tenant admin connects an account with
//! OAuth 2.0 (the authorization code grant, with PKCE), described as data.
//!
//! ```json
//! "oauth": {
//!   "authorization_url": "https://www.linkedin.com/oauth/v2/authorization",
//!   "token_url": "https://www.linkedin.com/oauth/v2/accessToken",
//!   "revocation_url": "https://www.linkedin.com/oauth/v2/revoke",
//!   "scopes": ["openid", "profile", "w_member_social"],
//!   "scope_separator": " ",
//!   "pkce": "S256",
//!   "client_auth": "client_secret_post",
//!   "authorization_params": {"prompt": "consent"},
//!   "tokens": {"access_token": "access_token", "refresh_token": "refresh_token",
//!              "expires_at": "token_expires_at"}
//! }
//! ```
//!
//! [`OAuth::validate`] runs at import: the URLs are absolute `https://`
//! URLs without credentials or fragment (the operator's base-URL override
//! replaces their scheme, host and port, as for a check), the scopes are
//! distinct words without the separator, the extra parameters do not
//! overwrite the ones the flow sets itself, and `tokens` names distinct
//! properties of `auth_schema` (the refresh token and the expiry not
//! required ones, since providers do not always send them). An error names
//! the pointer inside the manifest.
//!
//! A connector that holds the access token is complete without the other
//! properties `auth_schema` requires (those are for pasted credentials,
//! such as X's OAuth 1.0a keys), and its check uses the `check` block's
//! `oauth_auth` when there is one.

use serde::{Deserialize, Serialize};

/// Where providers send the browser back: the service's public URL with
/// this path is the redirect URI registered with every provider.
pub const CALLBACK_PATH: &str = "/features/connectors/oauth/callback";
use serde_json::{Map, Value};

/// The PKCE method of the authorization request (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Pkce {
    /// A SHA-256 challenge of a random verifier.
    #[default]
    S256,
    /// No PKCE (for providers that refuse the parameters).
    #[serde(rename = "none")]
    Disabled,
}

impl Pkce {
    pub fn as_str(self) -> &'static str {
        match self {
            Pkce::S256 => "S256",
            Pkce::Disabled => "none",
        }
    }
}

/// How the client authenticates at the token and revocation endpoints
/// (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic with the client id and secret.
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl ClientAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::ClientSecretPost => "client_secret_post",
        }
    }
}

/// Which `auth_schema` properties receive the tokens of a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenFields {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Receives when the access token expires (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl TokenFields {
    /// The named properties with their role in the block.
    pub fn named(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("access_token", self.access_token.as_str())];
        if let Some(r) = &self.refresh_token {
            out.push(("refresh_token", r));
        }
        if let Some(e) = &self.expires_at {
            out.push(("expires_at", e));
        }
        out
    }
}

fn default_separator() -> String {
    " ".to_string()
}

fn is_default_separator(s: &str) -> bool {
    s == " "
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth {
    pub authorization_url: String,
    pub token_url: String,
    /// RFC 7009 token revocation, asked when a connector is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// What joins the scopes in the `scope` parameter [default: a space].
    #[serde(
        default = "default_separator",
        skip_serializing_if = "is_default_separator"
    )]
    pub scope_separator: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub pkce: Pkce,
    #[serde(default, skip_serializing_if = "is_default")]
    pub client_auth: ClientAuth,
    /// More parameters of the authorization request, as literal strings.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub authorization_params: Map<String, Value>,
    pub tokens: TokenFields,
}

/// The parameters the flow sets itself; an `authorization_params` entry
/// may not replace one.
pub const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "client_secret",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "code",
];

/// A problem in an `oauth` block, at a pointer inside the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthIssue {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for OAuthIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

fn issue(pointer: impl Into<String>, message: impl Into<String>) -> OAuthIssue {
    OAuthIssue {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// What of `auth_schema` the block is checked against.
pub struct AuthProperties<'a> {
    /// Every property name, in the schema's order.
    pub names: &'a [String],
    /// The names `required` lists.
    pub required: &'a [String],
}

const BASE: &str = "/oauth";

impl OAuth {
    /// Checks the block against the entry's `auth_schema` (see the module
    /// doc).
    pub fn validate(&self, auth: &AuthProperties<'_>) -> Result<(), OAuthIssue> {
        check_url(
            &self.authorization_url,
            &format!("{BASE}/authorization_url"),
            true,
        )?;
        check_url(&self.token_url, &format!("{BASE}/token_url"), false)?;
        if let Some(u) = &self.revocation_url {
            check_url(u, &format!("{BASE}/revocation_url"), false)?;
        }
        if !matches!(self.scope_separator.as_str(), " " | "," | "+") {
            return Err(issue(
                format!("{BASE}/scope_separator"),
                "the separator must be a space, a comma or a plus sign",
            ));
        }
        if self.scopes.len() > 50 {
            return Err(issue(format!("{BASE}/scopes"), "at most 50 scopes"));
        }
        for (i, scope) in self.scopes.iter().enumerate() {
            let at = format!("{BASE}/scopes/{i}");
            // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
            let ok = !scope.is_empty()
                && scope.len() <= 200
                && scope
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
                && !scope.contains(self.scope_separator.as_str());
            if !ok {
                return Err(issue(
                    at,
                    "a scope is 1-200 printable ASCII characters without spaces, quotes, backslashes or the separator",
                ));
            }
            if self.scopes[..i].contains(scope) {
                return Err(issue(at, format!("scope `{scope}` is listed twice")));
            }
        }
        for (name, value) in &self.authorization_params {
            let at = format!("{BASE}/authorization_params/{}", escape(name));
            let name_ok = !name.is_empty()
                && name.len() <= 100
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !name_ok {
                return Err(issue(
                    at,
                    "a parameter name is 1-100 letters, digits, '_', '-' or '.'",
                ));
            }
            if RESERVED_PARAMS.contains(&name.as_str()) {
                return Err(issue(
                    at,
                    format!("`{name}` is set by the flow itself and cannot be given here"),
                ));
            }
            match value.as_str() {
                Some(v) if v.chars().count() <= 500 && !v.chars().any(char::is_control) => {}
                _ => {
                    return Err(issue(
                        at,
                        "a parameter value is a string of at most 500 characters without control characters",
                    ));
                }
            }
        }
        let named = self.tokens.named();
        for (i, (role, prop)) in named.iter().enumerate() {
            let at = format!("{BASE}/tokens/{role}");
            if !auth.names.iter().any(|n| n == prop) {
                return Err(issue(at, format!("`auth_schema` has no property `{prop}`")));
            }
            if let Some((other, _)) = named[..i].iter().find(|(_, p)| p == prop) {
                return Err(issue(
                    at,
                    format!("`{prop}` already receives the {}", other.replace('_', " ")),
                ));
            }
            if *role != "access_token" && auth.required.iter().any(|r| r == prop) {
                return Err(issue(
                    at,
                    format!(
                        "`{prop}` cannot be required by `auth_schema`: providers do not always send the {}",
                        role.replace('_', " ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The `scope` parameter: the scopes joined by the separator, or
    /// `None` without scopes.
    pub fn scope_param(&self) -> Option<String> {
        (!self.scopes.is_empty()).then(|| self.scopes.join(&self.scope_separator))
    }
}

/// Escapes a name for use inside a JSON pointer.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn check_url(text: &str, at: &str, query_allowed: bool) -> Result<(), OAuthIssue> {
    if text.chars().count() > 2048 {
        return Err(issue(at, "the URL is longer than 2048 characters"));
    }
    let url = url::Url::parse(text).map_err(|e| issue(at, format!("not an absolute URL ({e})")))?;
    if url.scheme() != "https" {
        return Err(issue(
            at,
            "the URL must be https:// (a local stand-in is reached through the operator's base-URL override)",
        ));
    }
    if url.host().is_none() {
        return Err(issue(at, "the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(issue(at, "the URL must not hold a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(issue(at, "the URL must not have a fragment"));
    }
    if url.query().is_some() {
        if !query_allowed {
            return Err(issue(
                at,
                "the URL must not have a query (its parameters go in the body)",
            ));
        }
        if let Some((name, _)) = url
            .query_pairs()
            .find(|(n, _)| RESERVED_PARAMS.contains(&n.as_ref()))
        {
            return Err(issue(
                at,
                format!("the query sets `{name}`, which the flow sets itself"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
