//! Per-catalog-key base-URL overrides (`CONNECTORS_PROVIDER_URLS`).
//!
//! `medium=https://medium-proxy.internal,x=http://127.0.0.2:9000` sends the
//! requests of entry `medium` to `medium-proxy.internal` instead of the
//! host its manifest names: the scheme, host and port are replaced and the
//! path and query kept. `http` is accepted here because the operator chose
//! it; the address rules and the allow list still apply to the new host.

use std::collections::BTreeMap;
use std::fmt;
use url::Url;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderUrls(BTreeMap<String, Url>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProviderUrlsError(String);

impl ProviderUrls {
    /// Parses `key=URL,key=URL`. Empty text is no override.
    pub fn parse(text: &str) -> Result<ProviderUrls, ProviderUrlsError> {
        let mut map = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(ProviderUrlsError(format!(
                    "'{part}' is not KEY=URL, e.g. medium=https://medium-proxy.internal"
                )));
            };
            let key = key.trim();
            let key_ok = !key.is_empty()
                && key.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            if !key_ok {
                return Err(ProviderUrlsError(format!(
                    "'{key}' is not a catalog key (lowercase letters, digits, '_' or '-')"
                )));
            }
            let base = Self::parse_base(key, value.trim())?;
            if map.insert(key.to_string(), base).is_some() {
                return Err(ProviderUrlsError(format!("'{key}' is given twice")));
            }
        }
        Ok(ProviderUrls(map))
    }

    fn parse_base(key: &str, value: &str) -> Result<Url, ProviderUrlsError> {
        parse_origin(value, "the entry's path is kept")
            .map_err(|why| ProviderUrlsError(format!("{key}: '{value}' {why}")))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The override base for a catalog key, if the operator set one.
    pub fn base(&self, key: &str) -> Option<&Url> {
        self.0.get(key)
    }

    /// `url` with the scheme, host and port of `key`'s override, its path
    /// and query kept; `None` when `key` has no override.
    pub fn apply(&self, key: &str, url: &Url) -> Option<Url> {
        let base = self.0.get(key)?;
        let mut out = base.clone();
        out.set_path(url.path());
        out.set_query(url.query());
        Some(out)
    }
}

impl fmt::Display for ProviderUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, u)| format!("{k}={}", u.as_str().trim_end_matches('/')))
            .collect();
        f.write_str(&parts.join(","))
    }
}

/// An origin, `http(s)://host[:port]`, with no user name, path, query or
/// fragment; the error says why not (`hint` ends the message about a path).
pub fn parse_origin(text: &str, hint: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must start with https:// or http://".into());
    }
    if url.host().is_none() {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("must be only a scheme, host and port ({hint})"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_scheme_host_and_port_and_keeps_the_path() {
        let urls =
            ProviderUrls::parse(" medium=http://127.0.0.2:9000 , twitter=https://x-proxy.internal")
                .unwrap();
        let me = Url::parse("https://api.medium.com/v1/me?a=1").unwrap();
        assert_eq!(
            urls.apply("medium", &me).unwrap().as_str(),
            "http://127.0.0.2:9000/v1/me?a=1"
        );
        let x = Url::parse("https://api.x.com:8443/2/users/me").unwrap();
        assert_eq!(
            urls.apply("twitter", &x).unwrap().as_str(),
            "https://x-proxy.internal/2/users/me"
        );
        assert_eq!(urls.apply("linkedin", &x), None);
        assert_eq!(
            urls.to_string(),
            "medium=http://127.0.0.2:9000,twitter=https://x-proxy.internal"
        );
        assert!(ProviderUrls::parse("").unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_values_with_clear_messages() {
        for (text, needle) in [
            ("medium", "is not KEY=URL"),
            ("Medium=http://127.0.0.2", "is not a catalog key"),
            ("=http://127.0.0.2", "is not a catalog key"),
            ("medium=127.0.0.2:9000", "is not a URL"),
            ("medium=ftp://127.0.0.2", "must start with http"),
            ("medium=not a url", "is not a URL"),
            ("medium=http://u:p@127.0.0.2", "user name or password"),
            ("medium=http://127.0.0.2/v1", "only a scheme, host and port"),
            ("medium=http://127.0.0.2/?q", "only a scheme, host and port"),
            (
                "medium=http://127.0.0.2,medium=http://127.0.0.3",
                "given twice",
            ),
        ] {
            let err = ProviderUrls::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
