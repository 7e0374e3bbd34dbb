//! A manifest's `check`: the one HTTP request that tells whether a
//! connector's config and secrets work, described as data.
//!
//! ```json
//! "check": {
//!   "request": {"method": "GET", "url": "{{config.site_url}}/wp-json/wp/v2/users/me?context=edit",
//!               "allow_http": true},
//!   "auth": {"style": "basic", "username": "{{config.username}}",
//!            "password": "{{auth.application_password}}"},
//!   "success": [200],
//!   "identity": "/name",
//!   "require": [{"pointer": "/capabilities/publish_posts", "equals": true,
//!                "code": "forbidden", "message": "The user cannot publish posts."}],
//!   "rules": [{"status": 401, "message": "WordPress rejected the application password."}]
//! }
//! ```
//!
//! [`Check::validate`] is run at import: every template must parse and name
//! only properties of the entry's schemas, the URL may use config fields
//! but never a secret (secrets go only into the auth part and headers),
//! and pointers must be JSON pointers. The error names the pointer inside
//! the manifest.

pub mod template;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use template::{Source, Template};

/// The outcome codes of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckCode {
    Ok,
    Unreachable,
    Timeout,
    Tls,
    AuthRejected,
    Forbidden,
    NotFound,
    RateLimited,
    UnexpectedResponse,
    BlockedAddress,
    NoCheck,
}

impl CheckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckCode::Ok => "ok",
            CheckCode::Unreachable => "unreachable",
            CheckCode::Timeout => "timeout",
            CheckCode::Tls => "tls",
            CheckCode::AuthRejected => "auth_rejected",
            CheckCode::Forbidden => "forbidden",
            CheckCode::NotFound => "not_found",
            CheckCode::RateLimited => "rate_limited",
            CheckCode::UnexpectedResponse => "unexpected_response",
            CheckCode::BlockedAddress => "blocked_address",
            CheckCode::NoCheck => "no_check",
        }
    }

    /// The code an HTTP status means when no rule says otherwise.
    pub fn of_status(status: u16) -> CheckCode {
        match status {
            401 => CheckCode::AuthRejected,
            403 => CheckCode::Forbidden,
            404 | 410 => CheckCode::NotFound,
            429 => CheckCode::RateLimited,
            _ => CheckCode::UnexpectedResponse,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckMethod {
    Get,
    Post,
    Head,
}

impl CheckMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckMethod::Get => "GET",
            CheckMethod::Post => "POST",
            CheckMethod::Head => "HEAD",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub method: CheckMethod,
    /// A URL template over config fields.
    pub url: String,
    /// Whether the URL may be `http://` (from a config field such as a
    /// development site's address).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_http: bool,
    /// Header name → value template (config or secret fields).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
}

/// How the request carries the credentials. Every part is a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckAuth {
    Basic {
        username: String,
        password: String,
    },
    Bearer {
        token: String,
    },
    Header {
        name: String,
        value: String,
    },
    Query {
        name: String,
        value: String,
    },
    Oauth1 {
        consumer_key: String,
        consumer_secret: String,
        token: String,
        token_secret: String,
    },
}

impl CheckAuth {
    pub fn style(&self) -> &'static str {
        match self {
            CheckAuth::Basic { .. } => "basic",
            CheckAuth::Bearer { .. } => "bearer",
            CheckAuth::Header { .. } => "header",
            CheckAuth::Query { .. } => "query",
            CheckAuth::Oauth1 { .. } => "oauth1",
        }
    }

    /// The templates of the auth part with their field names.
    pub fn parts(&self) -> Vec<(&'static str, &str)> {
        match self {
            CheckAuth::Basic { username, password } => {
                vec![("username", username), ("password", password)]
            }
            CheckAuth::Bearer { token } => vec![("token", token)],
            CheckAuth::Header { name, value } | CheckAuth::Query { name, value } => {
                vec![("name", name), ("value", value)]
            }
            CheckAuth::Oauth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => vec![
                ("consumer_key", consumer_key),
                ("consumer_secret", consumer_secret),
                ("token", token),
                ("token_secret", token_secret),
            ],
        }
    }
}

/// A known answer turned into a clear message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub status: u16,
    /// With `equals`: the rule matches only when the body's value at this
    /// JSON pointer equals it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    /// The outcome code [default: the status's own].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CheckCode>,
    pub message: String,
}

/// Something a successful answer must (or, as a warning, should) say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub pointer: String,
    /// A JSON value; a string is a template over config fields.
    pub equals: Value,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_case: bool,
    /// The outcome code when a requirement fails [default: forbidden].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CheckCode>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub request: CheckRequest,
    pub auth: CheckAuth,
    /// The auth part used instead of `auth` for a connector that holds the
    /// OAuth 2.0 access token of the entry's `oauth` block (a connector
    /// connected with OAuth rather than with pasted keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_auth: Option<CheckAuth>,
    /// The statuses that mean the credentials work [default: 200].
    #[serde(default = "default_success")]
    pub success: Vec<u16>,
    /// JSON pointer to the account's name in a successful answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<Expectation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warn: Vec<Expectation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
}

fn default_success() -> Vec<u16> {
    vec![200]
}

/// A problem in a `check` block, at a pointer inside the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIssue {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for CheckIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

fn issue(pointer: impl Into<String>, message: impl Into<String>) -> CheckIssue {
    CheckIssue {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// The property names a template may use.
pub struct Fields<'a> {
    pub config: &'a [String],
    pub auth: &'a [String],
}

fn is_pointer(p: &str) -> bool {
    p.is_empty() || p.starts_with('/')
}

/// Escapes a name for use inside a JSON pointer.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

impl Check {
    /// Checks the block against the entry's schemas (see the module doc).
    pub fn validate(&self, fields: &Fields<'_>) -> Result<(), CheckIssue> {
        let base = "/check";
        let url_at = format!("{base}/request/url");
        let url = parse_template(&self.request.url, &url_at, fields, false)?;
        self.validate_url(&url, &url_at)?;
        for (name, value) in &self.request.headers {
            let at = format!("{base}/request/headers/{}", escape(name));
            if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(issue(at, format!("`{name}` is not a header name")));
            }
            let Some(text) = value.as_str() else {
                return Err(issue(at, "a header value must be a string"));
            };
            parse_template(text, &at, fields, true)?;
        }
        validate_auth(&self.auth, &format!("{base}/auth"), fields)?;
        if let Some(auth) = &self.oauth_auth {
            validate_auth(auth, &format!("{base}/oauth_auth"), fields)?;
        }
        if self.success.is_empty() {
            return Err(issue(
                format!("{base}/success"),
                "at least one status must mean success",
            ));
        }
        for (i, s) in self.success.iter().enumerate() {
            if !(200..=299).contains(s) {
                return Err(issue(
                    format!("{base}/success/{i}"),
                    format!("{s} is not a 2xx status"),
                ));
            }
        }
        if let Some(p) = &self.identity {
            if !is_pointer(p) {
                return Err(issue(
                    format!("{base}/identity"),
                    format!("`{p}` is not a JSON pointer (it starts with /)"),
                ));
            }
        }
        for (list, name) in [(&self.require, "require"), (&self.warn, "warn")] {
            for (i, e) in list.iter().enumerate() {
                let at = format!("{base}/{name}/{i}");
                if !is_pointer(&e.pointer) {
                    return Err(issue(format!("{at}/pointer"), "not a JSON pointer"));
                }
                if let Some(text) = e.equals.as_str() {
                    parse_template(text, &format!("{at}/equals"), fields, false)?;
                }
                check_message(&e.message, &format!("{at}/message"))?;
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            let at = format!("{base}/rules/{i}");
            if !(100..=599).contains(&r.status) {
                return Err(issue(format!("{at}/status"), "not an HTTP status"));
            }
            if self.success.contains(&r.status) {
                return Err(issue(
                    format!("{at}/status"),
                    "a success status cannot have a failure rule",
                ));
            }
            match (&r.pointer, &r.equals) {
                (Some(p), Some(_)) if is_pointer(p) => {}
                (Some(_), Some(_)) => {
                    return Err(issue(format!("{at}/pointer"), "not a JSON pointer"));
                }
                (None, None) => {}
                _ => {
                    return Err(issue(at, "`pointer` and `equals` go together"));
                }
            }
            if r.code == Some(CheckCode::Ok) {
                return Err(issue(format!("{at}/code"), "a rule describes a failure"));
            }
            check_message(&r.message, &format!("{at}/message"))?;
        }
        Ok(())
    }

    fn validate_url(&self, url: &Template, at: &str) -> Result<(), CheckIssue> {
        if url.starts_with_field() {
            return Ok(());
        }
        let sample = url.render_url(&|_, _| Some("x".into()));
        let parsed = url::Url::parse(&sample)
            .map_err(|e| issue(at, format!("not an absolute URL ({e})")))?;
        match parsed.scheme() {
            "https" => {}
            "http" if self.request.allow_http => {}
            "http" => {
                return Err(issue(
                    at,
                    "an http:// URL needs `allow_http`; providers are reached over https",
                ));
            }
            other => return Err(issue(at, format!("`{other}://` is not http or https"))),
        }
        if parsed.host().is_none() {
            return Err(issue(at, "the URL has no host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(issue(at, "the URL must not hold a user name or password"));
        }
        Ok(())
    }
}

/// Checks one auth part: its templates, and literal, valid names.
fn validate_auth(auth: &CheckAuth, base: &str, fields: &Fields<'_>) -> Result<(), CheckIssue> {
    for (part, text) in auth.parts() {
        let at = format!("{base}/{part}");
        let t = parse_template(text, &at, fields, true)?;
        if part == "name" && t.fields().next().is_some() {
            return Err(issue(at, "the parameter or header name must be literal"));
        }
        if part == "name" && text.trim().is_empty() {
            return Err(issue(at, "the name must not be empty"));
        }
        if matches!(auth, CheckAuth::Header { .. })
            && part == "name"
            && hyper::header::HeaderName::from_bytes(text.as_bytes()).is_err()
        {
            return Err(issue(at, format!("`{text}` is not a header name")));
        }
    }
    Ok(())
}

fn check_message(message: &str, at: &str) -> Result<(), CheckIssue> {
    let n = message.trim().chars().count();
    if n == 0 || n > 300 {
        return Err(issue(at, "a message must be 1-300 characters"));
    }
    Ok(())
}

fn parse_template(
    text: &str,
    at: &str,
    fields: &Fields<'_>,
    secrets_allowed: bool,
) -> Result<Template, CheckIssue> {
    let t = Template::parse(text).map_err(|m| issue(at, m))?;
    for (source, name) in t.fields() {
        let (known, schema) = match source {
            Source::Config => (fields.config, "default_config_schema"),
            Source::Auth => (fields.auth, "auth_schema"),
        };
        let prefix = match source {
            Source::Config => "config",
            Source::Auth => "auth",
        };
        if !known.iter().any(|k| k == name) {
            return Err(issue(
                at,
                format!("unknown field `{prefix}.{name}`: `{schema}` has no property `{name}`"),
            ));
        }
        if source == Source::Auth && !secrets_allowed {
            return Err(issue(
                at,
                format!(
                    "secret `auth.{name}` cannot go here; secrets go only into the auth part or a header"
                ),
            ));
        }
    }
    Ok(t)
}

#[cfg(test)]
mod tests;
