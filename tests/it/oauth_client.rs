//! The OAuth 2.0 client of the built-in LinkedIn and X entries against a
//! real authorization server (oidc-provider, `tests/support/oidc`, on
//! 127.0.0.2 with each provider's own paths, reached through the base-URL
//! override): the authorization URL with PKCE, the code exchange, refresh
//! with rotation, a rotated-out or reused credential answering
//! `invalid_grant`, a transient failure, and revocation; the client
//! authenticates the way each manifest says (LinkedIn in the body, X with
//! HTTP Basic), which the server enforces. These touch no database.

use crate::support::standin_settings;
use connectors::domain::catalog::{Format, Manifest};
use connectors::domain::oauth::OAuth;
use connectors::domain::provider_urls::ProviderUrls;
use connectors::service::oauth_client::{AppCredentials, Endpoints, OAuthClient, TokenError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const REDIRECT: &str = "http://127.0.0.1:9/features/connectors/oauth/callback";
const CLIENT_ID: &str = "connectors-test-client";
const CLIENT_SECRET: &str = "client-secret-canary-Zq81";

/// The test server for `profile`, killed when dropped.
struct Provider {
    child: Child,
    base: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn provider(profile: &str) -> Provider {
    let settings = json!({
        "profile": profile,
        "redirect_uris": [REDIRECT],
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "auto_approve": "user-1",
        "access_token_ttl": 60,
        "exit_with_stdin": true,
    });
    let mut child = Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/oidc/server.mjs"
        ))
        .arg(settings.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs the OAuth test server (make oidc-deps)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the ready line");
    assert!(
        !line.trim().is_empty(),
        "the OAuth test server printed no ready line (are its packages installed? make oidc-deps)"
    );
    let ready: Value = serde_json::from_str(&line).expect("the ready line is JSON");
    let base = ready["base"].as_str().expect("base").to_string();
    assert!(base.starts_with("http://127.0.0.2:"), "{base}");
    Provider { child, base }
}

fn oauth_of(file: &str) -> OAuth {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("catalog")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap();
    Manifest::parse(&text, Format::Json, file)
        .unwrap()
        .oauth
        .expect("an oauth block")
}

fn app() -> AppCredentials {
    AppCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET.to_string()),
    }
}

fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows the auto-approved authorization like a browser (cookies kept)
/// up to the redirect URI, which is not requested; answers its URL.
async fn authorize(start: &url::Url) -> url::Url {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies: Vec<String> = Vec::new();
    let mut at = start.clone();
    for _ in 0..20 {
        let mut req = http.get(at.clone());
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        let res = req.send().await.unwrap();
        for c in res.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            cookies.retain(|k| k.split('=').next() != Some(name.as_str()));
            cookies.push(pair);
        }
        let location = res
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("a redirect from {at}, got {}", res.status()))
            .to_str()
            .unwrap()
            .to_string();
        let next = at.join(&location).unwrap();
        if next.as_str().starts_with(REDIRECT) {
            return next;
        }
        at = next;
    }
    panic!("the authorization did not come back to the redirect URI");
}

async fn stats(base: &str) -> Value {
    reqwest::get(format!("{base}/__stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn assert_clean(text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "a credential in {text}");
    }
}

async fn connect_refresh_revoke(profile: &str, file: &str, key: &str) {
    let server = provider(profile);
    let oauth = oauth_of(file);
    let urls = ProviderUrls::parse(&format!("{key}={}", server.base)).unwrap();
    let endpoints = Endpoints::of(&oauth, key, &urls).unwrap();
    assert!(endpoints.allow_http);
    let client = OAuthClient::new(&standin_settings());
    let state = SecretString::from("state-canary-0123456789abcdef".to_string());

    let start = OAuthClient::authorization(&oauth, &endpoints, &app(), REDIRECT, &state).unwrap();
    assert_eq!(query(&start.url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(query(&start.url, "redirect_uri").as_deref(), Some(REDIRECT));
    assert_eq!(query(&start.url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query(&start.url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query(&start.url, "scope"),
        oauth.scope_param(),
        "the scopes, joined with the entry's separator"
    );
    assert!(!start.url.as_str().contains(CLIENT_SECRET));
    let verifier = start.verifier.expect("a PKCE verifier");

    let back = authorize(&start.url).await;
    assert_eq!(
        query(&back, "state").as_deref(),
        Some(state.expose_secret())
    );
    let code = SecretString::from(query(&back, "code").expect("a code"));

    let grant = client
        .exchange_code(&oauth, &endpoints, &app(), REDIRECT, &code, Some(&verifier))
        .await
        .expect("the code exchange");
    let access = grant.access_token.expose_secret().to_string();
    assert!(grant.refresh_token.is_some(), "a refresh token");
    let expires = grant.expires_at.expect("an expiry");
    let left = (expires - connectors::domain::time::now()).num_seconds();
    assert!((50..=61).contains(&left), "expires in {left} s");
    assert!(!format!("{grant:?}").contains(&access));

    // The code is single-use: a second exchange is refused.
    let again = client
        .exchange_code(&oauth, &endpoints, &app(), REDIRECT, &code, Some(&verifier))
        .await
        .unwrap_err();
    assert!(again.needs_reconnect(), "{again}");
    assert_clean(&again.to_string(), &[code.expose_secret(), CLIENT_SECRET]);

    // A new authorization, since the reused code revoked that grant.
    let start = OAuthClient::authorization(&oauth, &endpoints, &app(), REDIRECT, &state).unwrap();
    let back = authorize(&start.url).await;
    let code = SecretString::from(query(&back, "code").expect("a code"));
    let grant = client
        .exchange_code(
            &oauth,
            &endpoints,
            &app(),
            REDIRECT,
            &code,
            start.verifier.as_ref(),
        )
        .await
        .expect("the second code exchange");
    let first_refresh = grant.refresh_token.expect("a refresh token");

    // Refresh rotates the refresh token.
    let renewed = client
        .refresh(&oauth, &endpoints, &app(), &first_refresh)
        .await
        .expect("a refresh");
    let second_refresh = renewed.refresh_token.expect("a rotated refresh token");
    assert_ne!(
        second_refresh.expose_secret(),
        first_refresh.expose_secret()
    );
    assert_ne!(renewed.access_token.expose_secret(), access);

    // A transient failure is not a refused grant, and uses nothing up.
    let armed: Value = reqwest::Client::new()
        .post(format!(
            "{}/__fail-next-token?status=503&count=1",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(armed["pending"], 1);
    let transient = client
        .refresh(&oauth, &endpoints, &app(), &second_refresh)
        .await
        .unwrap_err();
    assert!(
        matches!(transient, TokenError::Transient(_)),
        "{transient:?}"
    );
    let third = client
        .refresh(&oauth, &endpoints, &app(), &second_refresh)
        .await
        .expect("the same refresh token after a transient failure");
    let third_refresh = third.refresh_token.expect("rotated again");

    // A rotated-out refresh token is refused as needing a new sign-in.
    let reused = client
        .refresh(&oauth, &endpoints, &app(), &first_refresh)
        .await
        .unwrap_err();
    assert!(reused.needs_reconnect(), "{reused}");
    assert_clean(
        &reused.to_string(),
        &[first_refresh.expose_secret(), CLIENT_SECRET],
    );

    let s = stats(&server.base).await;
    assert_eq!(s["token_requests"]["authorization_code"], 3, "{s}");
    assert_eq!(s["refresh"]["succeeded"], 2, "{s}");
    assert_eq!(s["refresh"]["reused"], 1, "{s}");
    assert_eq!(s["token_injected_failures"], 1, "{s}");

    // Revocation (RFC 7009) on a fresh grant: its refresh token stops
    // working.
    let start = OAuthClient::authorization(&oauth, &endpoints, &app(), REDIRECT, &state).unwrap();
    let back = authorize(&start.url).await;
    let code = SecretString::from(query(&back, "code").expect("a code"));
    let grant = client
        .exchange_code(
            &oauth,
            &endpoints,
            &app(),
            REDIRECT,
            &code,
            start.verifier.as_ref(),
        )
        .await
        .unwrap();
    let to_revoke = grant.refresh_token.expect("a refresh token");
    client
        .revoke(&oauth, &endpoints, &app(), &to_revoke)
        .await
        .expect("revocation");
    let s = stats(&server.base).await;
    assert_eq!(s["revocations"]["refresh_token"], 1, "{s}");
    let revoked = client
        .refresh(&oauth, &endpoints, &app(), &to_revoke)
        .await
        .unwrap_err();
    assert!(revoked.needs_reconnect(), "{revoked}");

    // The wrong client secret is the provider's refusal, not a grant's.
    let wrong = AppCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from("not-the-secret".to_string()),
    };
    let refused = client
        .refresh(&oauth, &endpoints, &wrong, &third_refresh)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, TokenError::Provider { code, .. } if code == "invalid_client"),
        "{refused:?}"
    );
    assert_clean(&refused.to_string(), &["not-the-secret"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkedin_connects_refreshes_and_revokes_with_the_secret_in_the_body() {
    connect_refresh_revoke("linkedin", "linkedin.json", "linkedin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_connects_refreshes_and_revokes_with_http_basic() {
    connect_refresh_revoke("x", "twitter.json", "twitter").await;
}

#[test]
fn without_the_override_the_endpoints_are_the_manifests_over_https() {
    let oauth = oauth_of("twitter.json");
    let e = Endpoints::of(&oauth, "twitter", &ProviderUrls::default()).unwrap();
    assert_eq!(e.token.as_str(), "https://api.x.com/2/oauth2/token");
    assert!(!e.allow_http);
    let urls = ProviderUrls::parse("twitter=http://127.0.0.2:4000").unwrap();
    let e = Endpoints::of(&oauth, "twitter", &urls).unwrap();
    assert_eq!(
        e.authorization.as_str(),
        "http://127.0.0.2:4000/i/oauth2/authorize"
    );
    assert_eq!(
        e.revocation.unwrap().as_str(),
        "http://127.0.0.2:4000/2/oauth2/revoke"
    );
}
