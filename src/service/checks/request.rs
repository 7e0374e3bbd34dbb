//! Builds a check's request from the manifest's `check` and a connector's
//! values, and collects every credential it carries for the redactor.

use super::redact::Redactor;
use crate::domain::check::template::{Source, Template, value_text};
use crate::domain::check::{Check, CheckAuth, CheckCode};
use crate::domain::oauth1;
use crate::service::outbound::OutboundRequest;
use base64::Engine;
use hyper::Method;
use hyper::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use url::Url;

/// Why no request could be built: a code and a message for people.
pub struct NotBuilt(pub CheckCode, pub String);

pub struct Values<'a> {
    pub config: &'a Map<String, Value>,
    pub secrets: &'a BTreeMap<String, SecretString>,
}

impl Values<'_> {
    pub fn get(&self, source: Source, name: &str) -> Option<String> {
        match source {
            Source::Config => self.config.get(name).and_then(value_text),
            Source::Auth => self
                .secrets
                .get(name)
                .map(|s| s.expose_secret().to_string()),
        }
    }

    fn render(&self, text: &str) -> Result<String, NotBuilt> {
        let t = Template::parse(text).map_err(|m| {
            NotBuilt(
                CheckCode::UnexpectedResponse,
                format!("the entry's check is malformed: {m}"),
            )
        })?;
        Ok(t.render(&|s, n| self.get(s, n)))
    }
}

/// Where the check's URL goes and whether http may be used.
pub struct Target {
    pub url: Url,
    pub allow_http: bool,
}

fn header_value(text: &str) -> Result<HeaderValue, NotBuilt> {
    HeaderValue::from_str(text).map_err(|_| {
        NotBuilt(
            CheckCode::AuthRejected,
            "a credential or setting holds characters that cannot be sent in a header".into(),
        )
    })
}

/// The URL of the check, from the config only (never a secret).
pub fn target_url(check: &Check, values: &Values<'_>) -> Result<Url, NotBuilt> {
    let t = Template::parse(&check.request.url).map_err(|m| {
        NotBuilt(
            CheckCode::UnexpectedResponse,
            format!("the entry's check URL is malformed: {m}"),
        )
    })?;
    let text = t.render_url(&|s, n| match s {
        Source::Config => values.get(s, n),
        Source::Auth => None,
    });
    Url::parse(&text).map_err(|_| {
        NotBuilt(
            CheckCode::Unreachable,
            "the address built from the settings is not a valid URL".into(),
        )
    })
}

/// The full request: URL, headers and credentials.
pub fn build(
    check: &Check,
    target: Target,
    values: &Values<'_>,
    redactor: &mut Redactor,
) -> Result<OutboundRequest, NotBuilt> {
    for secret in values.secrets.values() {
        redactor.add(secret.expose_secret());
    }
    let method = match check.request.method.as_str() {
        "POST" => Method::POST,
        "HEAD" => Method::HEAD,
        _ => Method::GET,
    };
    let mut url = target.url;
    let mut req = OutboundRequest {
        method: method.clone(),
        url: url.clone(),
        headers: Vec::new(),
        body: None,
        allow_http: target.allow_http,
    };
    for (name, value) in &check.request.headers {
        let template = value.as_str().unwrap_or_default();
        let sensitive = Template::parse(template)
            .map(|t| t.uses(Source::Auth))
            .unwrap_or(true);
        let text = values.render(template)?;
        if sensitive {
            redactor.add(&text);
        }
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            NotBuilt(
                CheckCode::UnexpectedResponse,
                format!("the entry's check has a bad header name `{name}`"),
            )
        })?;
        req = req.header(name, header_value(&text)?, sensitive);
    }
    let authorization = match &check.auth {
        CheckAuth::Basic { username, password } => {
            let pair = format!("{}:{}", values.render(username)?, values.render(password)?);
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
            redactor.add(&encoded);
            Some(format!("Basic {encoded}"))
        }
        CheckAuth::Bearer { token } => Some(format!("Bearer {}", values.render(token)?)),
        CheckAuth::Header { name, value } => {
            let text = values.render(value)?;
            redactor.add(&text);
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                NotBuilt(
                    CheckCode::UnexpectedResponse,
                    format!("the entry's check has a bad header name `{name}`"),
                )
            })?;
            req = req.header(name, header_value(&text)?, true);
            None
        }
        CheckAuth::Query { name, value } => {
            let text = values.render(value)?;
            url.query_pairs_mut().append_pair(name, &text);
            req.url = url.clone();
            None
        }
        CheckAuth::Oauth1 {
            consumer_key,
            consumer_secret,
            token,
            token_secret,
        } => {
            let (ck, cs, t, ts) = (
                values.render(consumer_key)?,
                values.render(consumer_secret)?,
                values.render(token)?,
                values.render(token_secret)?,
            );
            let creds = oauth1::Credentials {
                consumer_key: &ck,
                consumer_secret: &cs,
                token: &t,
                token_secret: &ts,
            };
            let now = crate::domain::time::now().timestamp().max(0) as u64;
            Some(oauth1::sign(
                method.as_str(),
                &url,
                &[],
                &creds,
                &oauth1::nonce(),
                now,
            ))
        }
    };
    if let Some(value) = authorization {
        req = req.header(AUTHORIZATION, header_value(&value)?, true);
    }
    Ok(req)
}
