//! Connection checks: ask the provider whether a connector's config and
//! secrets work, with the request its manifest's `check` describes.
//!
//! [`Checker::run`] builds the request ([`request`]), sends it through the
//! guarded client ([`crate::service::outbound`]) with the operator's
//! base-URL override for the entry, and turns what happened into one
//! [`CheckOutcome`]: a [`CheckCode`], a message for people, the account's
//! name on success, warnings, and timing. Nothing a check says can hold a
//! secret or a part of one: every message, identity and warning goes
//! through the [`redact::Redactor`] of that check's credentials.

pub mod redact;
mod request;

use crate::config::CheckSettings;
use crate::domain::check::template::Template;
use crate::domain::check::{Check, CheckCode, Expectation};
use crate::domain::provider_urls::ProviderUrls;
use crate::service::outbound::{
    OutboundClient, OutboundError, OutboundResponse, OutboundSettings, host_text,
};
use chrono::{DateTime, Utc};
use redact::{Redactor, tidy};
use request::{NotBuilt, Target, Values};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Instant;

/// What a check is run on: the entry's key and `check`, and a connector's
/// values (stored, proposed or unsaved).
pub struct CheckInput<'a> {
    pub catalog_key: &'a str,
    pub check: Option<&'a Check>,
    pub config: &'a Map<String, Value>,
    pub secrets: &'a BTreeMap<String, SecretString>,
}

/// The answer of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    /// The provider accepted the values (`code` is `ok`).
    pub ok: bool,
    pub code: CheckCode,
    pub message: String,
    /// The account the credentials belong to, as the provider names it.
    pub identity: Option<String>,
    /// Things that work but look wrong (another account than configured).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The HTTP status the provider answered, if it answered.
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub checked_at: DateTime<Utc>,
}

/// Runs checks; build it once from the settings and share it.
#[derive(Debug, Clone)]
pub struct Checker {
    client: OutboundClient,
    provider_urls: ProviderUrls,
    allow_http: bool,
}

impl Checker {
    pub fn new(settings: &CheckSettings) -> Checker {
        Checker::with_client(
            OutboundClient::new(OutboundSettings::from_checks(settings)),
            settings,
        )
    }

    pub fn with_client(client: OutboundClient, settings: &CheckSettings) -> Checker {
        Checker {
            client,
            provider_urls: settings.provider_urls.clone(),
            allow_http: settings.allow_http,
        }
    }

    pub fn client(&self) -> &OutboundClient {
        &self.client
    }

    pub async fn run(&self, input: &CheckInput<'_>) -> CheckOutcome {
        let started = Instant::now();
        let checked_at = crate::domain::time::now();
        let mut redactor = Redactor::default();
        let mut outcome = match input.check {
            None => Partial::fail(
                CheckCode::NoCheck,
                "This connector type has no connection check.".into(),
            ),
            Some(check) => self.run_check(check, input, &mut redactor).await,
        };
        outcome.message = redactor.filter(&outcome.message);
        outcome.identity = outcome.identity.map(|i| redactor.filter(&i));
        for w in &mut outcome.warnings {
            *w = redactor.filter(w);
        }
        CheckOutcome {
            ok: outcome.code == CheckCode::Ok,
            code: outcome.code,
            message: outcome.message,
            identity: outcome.identity,
            warnings: outcome.warnings,
            status: outcome.status,
            duration_ms: started.elapsed().as_millis().min(u64::MAX as u128) as u64,
            checked_at,
        }
    }

    async fn run_check(
        &self,
        check: &Check,
        input: &CheckInput<'_>,
        redactor: &mut Redactor,
    ) -> Partial {
        let values = Values {
            config: input.config,
            secrets: input.secrets,
        };
        let built = request::target_url(check, &values).and_then(|url| {
            let target = match self.provider_urls.apply(input.catalog_key, &url) {
                Some(url) => Target {
                    url,
                    allow_http: true,
                },
                None => Target {
                    url,
                    allow_http: check.request.allow_http && self.allow_http,
                },
            };
            request::build(check, target, &values, redactor)
        });
        let req = match built {
            Ok(req) => req,
            Err(NotBuilt(code, message)) => return Partial::fail(code, message),
        };
        match self.client.send(req).await {
            Ok(resp) => answer(check, &values, &resp),
            Err(e) => Partial::fail(code_of(&e), sentence(&e.to_string())),
        }
    }
}

/// An outcome before timing and redaction.
struct Partial {
    code: CheckCode,
    message: String,
    identity: Option<String>,
    warnings: Vec<String>,
    status: Option<u16>,
}

impl Partial {
    fn fail(code: CheckCode, message: String) -> Partial {
        Partial {
            code,
            message,
            identity: None,
            warnings: Vec::new(),
            status: None,
        }
    }
}

fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn code_of(e: &OutboundError) -> CheckCode {
    match e {
        OutboundError::Blocked { .. } | OutboundError::SchemeNotAllowed(_) => {
            CheckCode::BlockedAddress
        }
        OutboundError::InvalidUrl(_)
        | OutboundError::Resolve { .. }
        | OutboundError::Connect { .. } => CheckCode::Unreachable,
        OutboundError::Timeout { .. } => CheckCode::Timeout,
        OutboundError::Tls { .. } => CheckCode::Tls,
        OutboundError::Protocol { .. }
        | OutboundError::TooManyRedirects { .. }
        | OutboundError::BadRedirect { .. } => CheckCode::UnexpectedResponse,
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Whether the body's value at `pointer` equals `expected` (a string
/// expected value is a template over the config).
fn holds(body: &Value, e: &Expectation, values: &Values<'_>) -> Option<bool> {
    let expected = match &e.equals {
        Value::String(t) => {
            let rendered = Template::parse(t)
                .map(|t| t.render(&|s, n| values.get(s, n)))
                .unwrap_or_default();
            if rendered.is_empty() {
                // Nothing configured to compare with.
                return None;
            }
            Value::String(rendered)
        }
        other => other.clone(),
    };
    let found = body.pointer(&e.pointer);
    Some(match (found, &expected) {
        (Some(Value::String(a)), Value::String(b)) if e.ignore_case => a.eq_ignore_ascii_case(b),
        (Some(a), b) => a == b,
        (None, _) => false,
    })
}

fn answer(check: &Check, values: &Values<'_>, resp: &OutboundResponse) -> Partial {
    let status = resp.status.as_u16();
    let body: Option<Value> = serde_json::from_slice(&resp.body).ok();
    let host = host_text(&resp.url);
    if check.success.contains(&status) {
        let Some(body) = body.filter(|_| !resp.truncated) else {
            let needs_body = check.identity.is_some() || !check.require.is_empty();
            if needs_body {
                return Partial {
                    status: Some(status),
                    ..Partial::fail(
                        CheckCode::UnexpectedResponse,
                        format!(
                            "{host} answered {status} but not with the JSON the check expects."
                        ),
                    )
                };
            }
            return Partial {
                status: Some(status),
                ..Partial::fail(CheckCode::Ok, "Connected.".into())
            };
        };
        for e in &check.require {
            if holds(&body, e, values) == Some(false) {
                return Partial {
                    status: Some(status),
                    ..Partial::fail(e.code.unwrap_or(CheckCode::Forbidden), e.message.clone())
                };
            }
        }
        let warnings = check
            .warn
            .iter()
            .filter(|e| holds(&body, e, values) == Some(false))
            .map(|e| e.message.clone())
            .collect();
        let identity = check
            .identity
            .as_deref()
            .and_then(|p| body.pointer(p))
            .and_then(text_of);
        let message = match &identity {
            Some(who) => format!("Connected as {}.", tidy(who, 100)),
            None => "Connected.".into(),
        };
        return Partial {
            code: CheckCode::Ok,
            message,
            identity: identity.map(|i| tidy(&i, 200)),
            warnings,
            status: Some(status),
        };
    }
    let rule = check.rules.iter().find(|r| {
        r.status == status
            && match (&r.pointer, &r.equals, &body) {
                (Some(p), Some(want), Some(b)) => b.pointer(p) == Some(want),
                (Some(_), Some(_), None) => false,
                _ => true,
            }
    });
    let (code, mut message) = match rule {
        Some(r) => (
            r.code.unwrap_or_else(|| CheckCode::of_status(status)),
            r.message.clone(),
        ),
        None => {
            let reason = resp.status.canonical_reason().unwrap_or("");
            let mut m = format!("{host} answered {status} {reason}")
                .trim_end()
                .to_string();
            if let Some(detail) = body.as_ref().and_then(provider_text) {
                m.push_str(": ");
                m.push_str(&tidy(&detail, 200));
            }
            (CheckCode::of_status(status), sentence(&m))
        }
    };
    if code == CheckCode::RateLimited {
        if let Some(wait) = retry_after(resp) {
            message.push_str(&format!(" Try again in {wait} s."));
        }
    }
    Partial {
        status: Some(status),
        ..Partial::fail(code, message)
    }
}

/// The error text of the usual JSON error shapes.
fn provider_text(body: &Value) -> Option<String> {
    [
        "/error_description",
        "/detail",
        "/message",
        "/error/message",
        "/errors/0/message",
        "/errors/0/detail",
        "/title",
        "/error",
    ]
    .iter()
    .find_map(|p| body.pointer(p).and_then(text_of))
}

/// Seconds until a rate limit lifts: `Retry-After` (seconds), or X's
/// `x-rate-limit-reset` (a Unix time).
fn retry_after(resp: &OutboundResponse) -> Option<u64> {
    let header = |name: &str| {
        resp.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(s) = header("retry-after") {
        return Some(s);
    }
    let reset = header("x-rate-limit-reset")?;
    let now = crate::domain::time::now().timestamp().max(0) as u64;
    Some(reset.saturating_sub(now))
}
