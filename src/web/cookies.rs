//! Cookies, read from `Cookie` headers and written as `Set-Cookie` values
//! with the `cookie` crate. Every cookie the service sets is `HttpOnly`
//! and `SameSite=Lax`, with a `Max-Age`, and `Secure` when configured
//! (`CONNECTORS_COOKIE_SECURE`).

use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::header::COOKIE;
use cookie::time::Duration;
use cookie::{Cookie, SameSite};

/// The value of the cookie `name`, as the browser sent it.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// A `Set-Cookie` value for the cookie `name`, sent back only under
/// `path`, kept for `max_age_seconds` (0 removes it).
pub fn set(name: &str, value: &str, path: &str, max_age_seconds: i64, secure: bool) -> HeaderValue {
    let c = Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(max_age_seconds))
        .secure(secure)
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(v: &HeaderValue) -> Vec<String> {
        let mut parts: Vec<String> = v
            .to_str()
            .unwrap()
            .split("; ")
            .map(str::to_string)
            .collect();
        parts[1..].sort();
        parts
    }

    #[test]
    fn set_cookies_carry_their_attributes() {
        assert_eq!(
            attributes(&set("s", "v1", "/", 3600, false)),
            ["s=v1", "HttpOnly", "Max-Age=3600", "Path=/", "SameSite=Lax"]
        );
        assert_eq!(
            attributes(&set("l", "", "/p", 0, true)),
            [
                "l=",
                "HttpOnly",
                "Max-Age=0",
                "Path=/p",
                "SameSite=Lax",
                "Secure"
            ]
        );
    }

    #[test]
    fn a_cookie_is_found_among_others_and_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; s=x.y-z_0"));
        headers.append(COOKIE, HeaderValue::from_static("other=2;t=3"));
        assert_eq!(get(&headers, "s"), Some("x.y-z_0"));
        assert_eq!(get(&headers, "t"), Some("3"));
        assert_eq!(get(&headers, "missing"), None);
        assert_eq!(get(&HeaderMap::new(), "s"), None);
    }
}
