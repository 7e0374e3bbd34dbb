//! Per provider: success with identity, wrong secret, revoked token,
//! missing permission, rate limited; and for the site-URL entry,
//! unreachable, timeout and a redirect to a blocked address.

use super::standins::*;
use super::{World, config, manifest, run, secrets, settings};
use connectors::domain::check::CheckCode;
use connectors::service::checks::{CheckInput, Checker};
use serde_json::json;
use std::time::Duration;

fn wp_config(site: &str, user: &str) -> serde_json::Map<String, serde_json::Value> {
    config(json!({"site_url": site, "username": user, "default_status": "draft"}))
}

#[tokio::test]
async fn wordpress() {
    let w = World::start().await;
    let site = format!("http://{}", w.standin);
    let pw = |p: &str| secrets(&[("application_password", p)]);

    let ok = run(
        &w.checker,
        "wordpress",
        &wp_config(&site, WP_USER),
        &pw(WP_PASSWORD),
    )
    .await;
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.code, CheckCode::Ok);
    assert_eq!(ok.identity.as_deref(), Some("Ed Itor"));
    assert_eq!(ok.message, "Connected as Ed Itor.");
    assert_eq!(ok.status, Some(200));
    // A trailing slash on the site address does not matter.
    let slash = run(
        &w.checker,
        "wordpress",
        &wp_config(&format!("{site}/"), WP_USER),
        &pw(WP_PASSWORD),
    )
    .await;
    assert!(slash.ok, "{slash:?}");

    let wrong = run(
        &w.checker,
        "wordpress",
        &wp_config(&site, WP_USER),
        &pw("abcd EFGH 1234 ijkl MNOP 0000"),
    )
    .await;
    assert_eq!(wrong.code, CheckCode::AuthRejected);
    assert!(!wrong.ok);
    assert!(
        wrong
            .message
            .starts_with("WordPress rejected the application password"),
        "{}",
        wrong.message
    );

    let unknown = run(
        &w.checker,
        "wordpress",
        &wp_config(&site, "nobody"),
        &pw(WP_PASSWORD),
    )
    .await;
    assert_eq!(unknown.code, CheckCode::AuthRejected);
    assert!(
        unknown.message.contains("does not know this username"),
        "{}",
        unknown.message
    );

    let reader = run(
        &w.checker,
        "wordpress",
        &wp_config(&site, WP_SUBSCRIBER),
        &pw(WP_SUBSCRIBER_PASSWORD),
    )
    .await;
    assert_eq!(reader.code, CheckCode::Forbidden);
    assert!(
        reader.message.contains("cannot publish posts"),
        "{}",
        reader.message
    );

    let no_api = run(
        &w.checker,
        "wordpress",
        &wp_config(&format!("{site}/blog"), WP_USER),
        &pw(WP_PASSWORD),
    )
    .await;
    assert_eq!(no_api.code, CheckCode::NotFound);
    assert!(
        no_api.message.contains("No WordPress REST API"),
        "{}",
        no_api.message
    );

    // A site that redirects to 127.0.0.1: refused, nothing reaches it.
    let moved = run(
        &w.checker,
        "wordpress",
        &wp_config(&format!("{site}/moved"), WP_USER),
        &pw(WP_PASSWORD),
    )
    .await;
    assert_eq!(moved.code, CheckCode::BlockedAddress, "{moved:?}");
    assert!(moved.message.contains("loopback"), "{}", moved.message);
    // A site on 127.0.0.1 and a name that resolves to it.
    for direct in [
        format!("http://{}", w.blocked.addr),
        format!("http://localhost:{}", w.blocked.addr.port()),
    ] {
        let o = run(
            &w.checker,
            "wordpress",
            &wp_config(&direct, WP_USER),
            &pw(WP_PASSWORD),
        )
        .await;
        assert_eq!(o.code, CheckCode::BlockedAddress, "{direct}: {o:?}");
        assert_eq!(o.status, None);
    }
    assert_eq!(w.blocked.accepted(), 0);

    let closed = {
        let l = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let down = run(
        &w.checker,
        "wordpress",
        &wp_config(&format!("http://{closed}"), WP_USER),
        &pw(WP_PASSWORD),
    )
    .await;
    assert_eq!(down.code, CheckCode::Unreachable, "{down:?}");
    assert!(
        down.message.starts_with("Could not connect to 127.0.0.2:"),
        "{}",
        down.message
    );

    let impatient = Checker::new(&settings(w.standin, Duration::from_millis(300)));
    let slow = run(
        &impatient,
        "wordpress",
        &wp_config(&format!("{site}/slow"), WP_USER),
        &pw(WP_PASSWORD),
    )
    .await;
    assert_eq!(slow.code, CheckCode::Timeout, "{slow:?}");
    assert!(
        slow.message.ends_with("did not answer within 300 ms."),
        "{}",
        slow.message
    );
}

#[tokio::test]
async fn wordpress_over_http_needs_the_operator_and_https_is_the_default_elsewhere() {
    let w = World::start().await;
    let site = format!("http://{}", w.standin);
    let mut no_http = settings(w.standin, Duration::from_secs(10));
    no_http.allow_http = false;
    let strict = Checker::new(&no_http);
    let o = run(
        &strict,
        "wordpress",
        &wp_config(&site, WP_USER),
        &secrets(&[("application_password", WP_PASSWORD)]),
    )
    .await;
    assert_eq!(o.code, CheckCode::BlockedAddress);
    assert!(
        o.message.contains("only https:// may be reached"),
        "{}",
        o.message
    );
    // The operator's own base URL may still be http.
    let medium = run(
        &strict,
        "medium",
        &config(json!({})),
        &secrets(&[("integration_token", MEDIUM_TOKEN)]),
    )
    .await;
    assert!(medium.ok, "{medium:?}");
}

#[tokio::test]
async fn medium() {
    let w = World::start().await;
    let token = |t: &str| secrets(&[("integration_token", t)]);
    let none = config(json!({}));

    let ok = run(&w.checker, "medium", &none, &token(MEDIUM_TOKEN)).await;
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.identity.as_deref(), Some("majelbstoat"));
    assert!(ok.warnings.is_empty());
    let mine = config(json!({"author_id": MEDIUM_USER_ID}));
    assert!(
        run(&w.checker, "medium", &mine, &token(MEDIUM_TOKEN))
            .await
            .warnings
            .is_empty()
    );
    let other = config(json!({"author_id": "1234567890abcdef"}));
    let warned = run(&w.checker, "medium", &other, &token(MEDIUM_TOKEN)).await;
    assert!(warned.ok);
    assert_eq!(warned.warnings.len(), 1);
    assert!(warned.warnings[0].contains("another Medium user"));

    for (t, code, needle) in [
        (
            "Wr0ngT0kenWr0ngT0kenWr0ngT0ken",
            CheckCode::AuthRejected,
            "Medium rejected the integration token",
        ),
        (MEDIUM_REVOKED, CheckCode::AuthRejected, "was revoked"),
        (
            MEDIUM_NO_PROFILE,
            CheckCode::Forbidden,
            "may not read the user's profile",
        ),
        (MEDIUM_LIMITED, CheckCode::RateLimited, "Try again in 60 s."),
    ] {
        let o = run(&w.checker, "medium", &none, &token(t)).await;
        assert_eq!(o.code, code, "{o:?}");
        assert!(o.message.contains(needle), "{needle} not in {}", o.message);
        assert!(o.identity.is_none());
    }

    // The provider's own text is shown for an answer no rule knows, with
    // every part of the secret taken out.
    let echo = run(&w.checker, "medium", &none, &token(MEDIUM_ECHO)).await;
    assert_eq!(echo.code, CheckCode::UnexpectedResponse);
    assert!(
        echo.message.starts_with(&format!(
            "{} answered 400 Bad Request: Token [redacted] is malformed",
            w.standin
        )),
        "{}",
        echo.message
    );
    assert_eq!(
        echo.message.matches("[redacted]").count(),
        3,
        "{}",
        echo.message
    );
}

#[tokio::test]
async fn x_with_a_verified_oauth1_signature() {
    let w = World::start().await;
    let keys = |key: &str, token: &str, token_secret: &str| {
        secrets(&[
            ("api_key", key),
            ("api_secret", X_API_SECRET),
            ("access_token", token),
            ("access_token_secret", token_secret),
        ])
    };
    let handle = config(json!({"username": "xdevelopers"}));

    let ok = run(
        &w.checker,
        "twitter",
        &handle,
        &keys(X_API_KEY, X_TOKEN, X_TOKEN_SECRET),
    )
    .await;
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.identity.as_deref(), Some("XDevelopers"));
    assert!(ok.warnings.is_empty(), "handles compare without case");
    let other = run(
        &w.checker,
        "twitter",
        &config(json!({"username": "acme"})),
        &keys(X_API_KEY, X_TOKEN, X_TOKEN_SECRET),
    )
    .await;
    assert!(other.ok);
    assert_eq!(
        other.warnings,
        vec![
            "The access token belongs to another account than the handle in the settings."
                .to_string()
        ]
    );

    let wrong_secret = "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNnMmL";
    for (k, t, ts, code, needle) in [
        (
            X_API_KEY,
            X_TOKEN,
            wrong_secret,
            CheckCode::AuthRejected,
            "X rejected the keys",
        ),
        (
            X_API_KEY,
            X_REVOKED_TOKEN,
            X_TOKEN_SECRET,
            CheckCode::AuthRejected,
            "X rejected the keys",
        ),
        (
            X_UNENROLLED_KEY,
            X_TOKEN,
            X_TOKEN_SECRET,
            CheckCode::Forbidden,
            "not attached to a project",
        ),
        (
            X_LIMITED_KEY,
            X_TOKEN,
            X_TOKEN_SECRET,
            CheckCode::RateLimited,
            "Try again in ",
        ),
    ] {
        let o = run(&w.checker, "twitter", &handle, &keys(k, t, ts)).await;
        assert_eq!(o.code, code, "{o:?}");
        assert!(o.message.contains(needle), "{needle} not in {}", o.message);
    }
}

#[tokio::test]
async fn linkedin() {
    let w = World::start().await;
    let token = |t: &str| secrets(&[("access_token", t), ("client_secret", "Cs7Lq2Wm9Xn4Bv1")]);
    let cfg = config(json!({"visibility": "PUBLIC"}));

    let ok = run(&w.checker, "linkedin", &cfg, &token(LI_TOKEN)).await;
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.identity.as_deref(), Some("John Doe"));
    for (t, code, needle) in [
        (
            "AQZw5Xe1Rc8Tv3Yb6Un9Im2Ok7Pl4Aq0Sz5Dx1Fc8Gv3Hb6Jn9",
            CheckCode::AuthRejected,
            "LinkedIn rejected the access token",
        ),
        (
            LI_REVOKED,
            CheckCode::AuthRejected,
            "revoked the access token",
        ),
        (LI_EXPIRED, CheckCode::AuthRejected, "has expired"),
        (
            LI_NO_SCOPE,
            CheckCode::Forbidden,
            "lacks the openid and profile permissions",
        ),
        (LI_LIMITED, CheckCode::RateLimited, "Try again in 3600 s."),
    ] {
        let o = run(&w.checker, "linkedin", &cfg, &token(t)).await;
        assert_eq!(o.code, code, "{o:?}");
        assert!(o.message.contains(needle), "{needle} not in {}", o.message);
    }
}

#[tokio::test]
async fn an_entry_without_a_check_says_so_and_the_real_hosts_are_never_asked() {
    let w = World::start().await;
    let mut m = manifest("medium");
    m.check = None;
    let o = w
        .checker
        .run(&CheckInput {
            catalog_key: "medium",
            check: m.check.as_ref(),
            config: &config(json!({})),
            secrets: &secrets(&[]),
        })
        .await;
    assert_eq!(o.code, CheckCode::NoCheck);
    assert!(!o.ok);
    // Without an override the entry's own host would be asked; with the
    // allow list only letting 127.0.0.2 through beyond public addresses,
    // pointing the override at 127.0.0.1 is refused before any packet.
    let mut s = settings(w.standin, Duration::from_secs(10));
    s.provider_urls = connectors::domain::provider_urls::ProviderUrls::parse(&format!(
        "medium=http://{}",
        w.blocked.addr
    ))
    .unwrap();
    let o = run(
        &Checker::new(&s),
        "medium",
        &config(json!({})),
        &secrets(&[("integration_token", MEDIUM_TOKEN)]),
    )
    .await;
    assert_eq!(o.code, CheckCode::BlockedAddress);
    assert_eq!(w.blocked.accepted(), 0);
}
