//! Stand-ins for the four providers, answering as their documentation
//! says: the success bodies, the error bodies and the rate-limit headers.
//! The X stand-in verifies the OAuth 1.0a signature of every request.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use connectors::domain::oauth1;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

pub const WP_USER: &str = "editor";
pub const WP_PASSWORD: &str = "abcd EFGH 1234 ijkl MNOP 5678";
pub const WP_SUBSCRIBER: &str = "reader";
pub const WP_SUBSCRIBER_PASSWORD: &str = "wxyz WXYZ 9876 qrst QRST 5432";

pub const MEDIUM_TOKEN: &str = "2b4c6e8a0d1f3b5c7e9a1c3e5f7b9d1f3a5c7e9b1";
pub const MEDIUM_REVOKED: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc";
pub const MEDIUM_LIMITED: &str = "7Qx2Lm9Vb4Nc8Zr1Tw6Ys3Pk5Hd0Jf2Gq7Uv9Ea";
pub const MEDIUM_NO_PROFILE: &str = "K3m8R2v7T1x6W9z4B5n0C8q3L7p2J6h1F9d4S5g";
pub const MEDIUM_ECHO: &str = "Zq8Wx3Ty6Uv1Rs4Op7Nm2Lk5Jh9Gf0Ed3Cb8Va6";
pub const MEDIUM_USER_ID: &str = "5303d74c64f66366f00cb9b2a94f3251bf5";

pub const X_API_KEY: &str = "xvz1evFS4wEEPTGEFPHBog";
pub const X_API_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
pub const X_TOKEN: &str = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
pub const X_TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
pub const X_REVOKED_TOKEN: &str = "370773112-Hq7Ww2Ee9Rr4Tt1Yy6Uu3Ii8Oo5Pp0Aa7Ss2Dd";
pub const X_UNENROLLED_KEY: &str = "Ue7Nr2Lk9Dq4Xm1Zp6Bv3";
pub const X_LIMITED_KEY: &str = "Rl5Mt8Qw2Ez7Yx4Cv9Bn1";

pub const LI_TOKEN: &str = "AQXdSP_W41_UPs5ioT_t8HESyODB4FqbkJ8LrV_5mff4gPODzOYR";
pub const LI_REVOKED: &str = "AQVr7Xk2Pq9Lm4Tz1Wn6Bc3Hd8Jf5Gs0Ky7Mu2Ve9Oa4Ri1Nc";
pub const LI_EXPIRED: &str = "AQWe3Zu8Ix5Oc2Pv7As0Dg4Fh9Jk1Ll6Qm3Wn8Eb5Rt2Yy7Uo";
pub const LI_NO_SCOPE: &str = "AQTn6Bm1Vc8Xz3Lk5Jh0Gf7Ds2Ap9Oi4Uy6Tr1Ew8Qa3Ss5Dd";
pub const LI_LIMITED: &str = "AQSg2Hj7Kl4Zx9Cv1Bn6Mq3Wr8Et5Yu0Io2Pa7Sd4Fg9Hj1Kk";

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// WordPress's REST API: `GET /wp-json/wp/v2/users/me?context=edit`.
async fn wp_me(headers: HeaderMap, uri: Uri) -> Response {
    if uri.query() != Some("context=edit") {
        return json_answer(StatusCode::BAD_REQUEST, json!({"code": "bad_context"}));
    }
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = creds.as_deref().and_then(|c| c.split_once(':')) else {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"code": "rest_not_logged_in", "message": "You are not currently logged in.", "data": {"status": 401}}),
        );
    };
    let (expected, name, can_publish) = match user {
        WP_USER => (WP_PASSWORD, "Ed Itor", true),
        WP_SUBSCRIBER => (WP_SUBSCRIBER_PASSWORD, "Rea Der", false),
        _ => {
            return json_answer(
                StatusCode::UNAUTHORIZED,
                json!({"code": "invalid_username", "message": "Unknown username. Check again or try your email address.", "data": {"status": 401}}),
            );
        }
    };
    // WordPress compares application passwords without their spaces.
    if password.replace(' ', "") != expected.replace(' ', "") {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"code": "incorrect_password", "message": "The provided password is an invalid application password.", "data": {"status": 401}}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"id": 1, "username": user, "name": name, "slug": user,
               "roles": [if can_publish { "author" } else { "subscriber" }],
               "capabilities": {"read": true, "publish_posts": can_publish}}),
    )
}

/// Medium: `GET /v1/me`.
async fn medium_me(headers: HeaderMap) -> Response {
    let errors = |status: StatusCode, message: &str, code: u32| {
        json_answer(
            status,
            json!({"errors": [{"message": message, "code": code}]}),
        )
    };
    match bearer(&headers).as_deref() {
        Some(MEDIUM_TOKEN) => json_answer(
            StatusCode::OK,
            json!({"data": {"id": MEDIUM_USER_ID, "username": "majelbstoat", "name": "Jamie Talbot",
                             "url": "https://medium.com/@majelbstoat", "imageUrl": "https://images.medium.com/0*fkfQiTzT7TlUGGyI.png"}}),
        ),
        Some(MEDIUM_REVOKED) => errors(StatusCode::UNAUTHORIZED, "Token was revoked.", 6003),
        Some(MEDIUM_NO_PROFILE) => errors(
            StatusCode::FORBIDDEN,
            "Application does not have the basicProfile scope.",
            6002,
        ),
        Some(MEDIUM_LIMITED) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "60")],
            axum::Json(json!({"errors": [{"message": "Rate limit exceeded.", "code": 6029}]})),
        )
            .into_response(),
        Some(MEDIUM_ECHO) => errors(
            StatusCode::BAD_REQUEST,
            &format!(
                "Token {MEDIUM_ECHO} is malformed: it starts with {} and ends with {}",
                &MEDIUM_ECHO[..6],
                &MEDIUM_ECHO[MEDIUM_ECHO.len() - 5..]
            ),
            6000,
        ),
        _ => errors(StatusCode::UNAUTHORIZED, "Token was invalid.", 6003),
    }
}

/// X API v2: `GET /2/users/me`, OAuth 1.0a user context. The signature is
/// recomputed from the request as received and the secrets of the keys.
async fn x_me(headers: HeaderMap, uri: Uri) -> Response {
    let unauthorized = || {
        json_answer(
            StatusCode::UNAUTHORIZED,
            json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
        )
    };
    let Some(params) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(oauth1::parse_authorization)
    else {
        return unauthorized();
    };
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(key), Some(token), Some(signature), Some(method)) = (
        get("oauth_consumer_key"),
        get("oauth_token"),
        get("oauth_signature"),
        get("oauth_signature_method"),
    ) else {
        return unauthorized();
    };
    if method != "HMAC-SHA1" || get("oauth_nonce").is_none() || get("oauth_timestamp").is_none() {
        return unauthorized();
    }
    let consumer_secret = match key.as_str() {
        X_API_KEY | X_UNENROLLED_KEY | X_LIMITED_KEY => X_API_SECRET,
        _ => return unauthorized(),
    };
    let token_secret = match token.as_str() {
        X_TOKEN | X_REVOKED_TOKEN => X_TOKEN_SECRET,
        _ => return unauthorized(),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Ok(url) = url::Url::parse(&format!("http://{host}{uri}")) else {
        return unauthorized();
    };
    let protocol: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .cloned()
        .collect();
    let base = oauth1::base_string("GET", &url, &[], &protocol);
    if oauth1::hmac_sha1(&base, consumer_secret, token_secret) != signature {
        return unauthorized();
    }
    if token == X_REVOKED_TOKEN {
        return unauthorized();
    }
    match key.as_str() {
        X_UNENROLLED_KEY => json_answer(
            StatusCode::FORBIDDEN,
            json!({"client_id": "30137520", "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
                   "registration_url": "https://developer.twitter.com/en/docs/projects/overview", "title": "Client Forbidden",
                   "required_enrollment": "Appropriate Level of API Access", "reason": "client-not-enrolled",
                   "type": "https://api.twitter.com/2/problems/client-forbidden"}),
        ),
        X_LIMITED_KEY => {
            let reset = (chrono::Utc::now().timestamp() + 900).to_string();
            (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("x-rate-limit-limit", "75".to_string()),
                    ("x-rate-limit-remaining", "0".to_string()),
                    ("x-rate-limit-reset", reset),
                ],
                axum::Json(json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429})),
            )
                .into_response()
        }
        _ => json_answer(
            StatusCode::OK,
            json!({"data": {"id": "2244994945", "name": "Developers", "username": "XDevelopers"}}),
        ),
    }
}

/// LinkedIn: `GET /v2/userinfo` (OpenID Connect).
async fn linkedin_userinfo(headers: HeaderMap) -> Response {
    let error = |status: StatusCode, code: u32, message: &str| {
        json_answer(
            status,
            json!({"serviceErrorCode": code, "message": message, "status": status.as_u16()}),
        )
    };
    match bearer(&headers).as_deref() {
        Some(LI_TOKEN) => json_answer(
            StatusCode::OK,
            json!({"sub": "782bbtaQ", "email_verified": true, "name": "John Doe", "locale": {"country": "US", "language": "en"},
                   "given_name": "John", "family_name": "Doe", "email": "doe@email.com",
                   "picture": "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/"}),
        ),
        Some(LI_REVOKED) => error(
            StatusCode::UNAUTHORIZED,
            65601,
            "The token used in the request has been revoked by the user",
        ),
        Some(LI_EXPIRED) => error(
            StatusCode::UNAUTHORIZED,
            65602,
            "The token used in the request has expired",
        ),
        Some(LI_NO_SCOPE) => error(
            StatusCode::FORBIDDEN,
            100,
            "Not enough permissions to access: userinfo.GET.NO_VERSION",
        ),
        Some(LI_LIMITED) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "3600")],
            axum::Json(json!({"status": 429, "serviceErrorCode": 101, "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."})),
        )
            .into_response(),
        _ => error(StatusCode::UNAUTHORIZED, 65600, "Invalid access token"),
    }
}

/// Every provider on one stand-in; `blocked` is where `/moved/…` redirects
/// (a listener on 127.0.0.1 that must see no connection).
pub fn providers(blocked: SocketAddr) -> Router {
    Router::new()
        .route("/wp-json/wp/v2/users/me", get(wp_me))
        .route("/v1/me", get(medium_me))
        .route("/2/users/me", get(x_me))
        .route("/v2/userinfo", get(linkedin_userinfo))
        .route(
            "/moved/{*rest}",
            get(move |uri: Uri| async move {
                let rest = uri.path().trim_start_matches("/moved");
                Redirect::permanent(&format!("http://{blocked}{rest}"))
            }),
        )
        .route(
            "/slow/{*rest}",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::OK
            }),
        )
}
