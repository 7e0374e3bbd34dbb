//! OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849, section 3.4), as X
//! requires for user-context requests.
//!
//! [`percent_encode`] is RFC 5849's own encoding (section 3.6: everything
//! but the unreserved characters, upper-case hex), [`base_string`] builds
//! the signature base string from the method, the URL's base string URI,
//! the query, any form body parameters and the `oauth_*` parameters
//! (section 3.4.1), and [`sign`] produces the `Authorization` header value.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::fmt::Write;
use url::Url;

/// The four credentials of a user-context request.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// Percent-encodes per RFC 5849 section 3.6: `A-Z a-z 0-9 - . _ ~` stay,
/// every other byte of the UTF-8 text becomes `%XX` in upper-case hex.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The base string URI (section 3.4.1.2): lower-case scheme and host, the
/// port only when it is not the scheme's default, the path; no query.
pub fn base_uri(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let mut out = format!("{}://{host}", url.scheme().to_ascii_lowercase());
    if let Some(port) = url.port() {
        let _ = write!(out, ":{port}");
    }
    out.push_str(url.path());
    out
}

/// The signature base string (section 3.4.1.1): `METHOD&uri&params`, with
/// the parameters of the query, of `form` (an
/// `application/x-www-form-urlencoded` body, already decoded into pairs)
/// and `oauth` (the protocol parameters, without `oauth_signature`)
/// encoded, sorted by name then value, and joined (section 3.4.1.3.2).
pub fn base_string(
    method: &str,
    url: &Url,
    form: &[(String, String)],
    oauth: &[(String, String)],
) -> String {
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (percent_encode(&k), percent_encode(&v)))
        .chain(
            form.iter()
                .chain(oauth)
                .map(|(k, v)| (percent_encode(k), percent_encode(v))),
        )
        .collect();
    params.sort();
    let normalized = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_uri(url)),
        percent_encode(&normalized)
    )
}

/// HMAC-SHA1 of the base string under `consumer_secret&token_secret`
/// (section 3.4.2), base64-encoded.
pub fn hmac_sha1(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The protocol parameters of a request, in the order X documents them.
pub fn oauth_params(creds: &Credentials<'_>, nonce: &str, timestamp: u64) -> Vec<(String, String)> {
    vec![
        ("oauth_consumer_key".into(), creds.consumer_key.into()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), timestamp.to_string()),
        ("oauth_token".into(), creds.token.into()),
        ("oauth_version".into(), "1.0".into()),
    ]
}

/// The `Authorization` header value (section 3.5.1) of a signed request.
pub fn sign(
    method: &str,
    url: &Url,
    form: &[(String, String)],
    creds: &Credentials<'_>,
    nonce: &str,
    timestamp: u64,
) -> String {
    let mut oauth = oauth_params(creds, nonce, timestamp);
    let base = base_string(method, url, form, &oauth);
    let signature = hmac_sha1(&base, creds.consumer_secret, creds.token_secret);
    oauth.push(("oauth_signature".into(), signature));
    oauth.sort();
    let fields: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

/// A fresh nonce: 32 random bytes as hex.
pub fn nonce() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Parses an `Authorization: OAuth …` header back into its parameters
/// (decoded), or `None` when it is not one.
pub fn parse_authorization(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.strip_prefix("OAuth ")?;
    let mut out = Vec::new();
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        out.push((percent_decode(k.trim())?, percent_decode(v)?));
    }
    Some(out)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;
