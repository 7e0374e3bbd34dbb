//! The OAuth 2.0 client of an entry's `oauth` block: the authorization URL
//! (with PKCE), the code exchange and the refresh, written with the
//! `oauth2` crate, and the revocation (RFC 7009, a form post); all sent
//! through the guarded outbound client, never another one.
//!
//! The endpoints are the manifest's, with the operator's base-URL override
//! for the entry applied (scheme, host and port replaced, path kept), so a
//! local stand-in can answer for a provider. Token requests follow no
//! redirect: a token endpoint that redirects could carry the client secret
//! and the code to another origin.
//!
//! Errors never hold a token, a code, a verifier or the client secret: a
//! provider's error is kept as its code (`invalid_grant`, …) and its
//! description only after the redactor removed every credential of the
//! request from it.

use crate::domain::oauth::{ClientAuth, OAuth, Pkce};
use crate::domain::provider_urls::ProviderUrls;
use crate::service::checks::redact::Redactor;
use crate::service::outbound::{
    Header, OutboundClient, OutboundError, OutboundRequest, OutboundSettings,
};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

/// The operator's app as the client needs it.
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The tokens a grant answered.
pub struct Grant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The scopes granted, as the provider wrote them.
    pub scope: Option<String>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("refresh_token", &self.refresh_token.is_some())
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Why a token request failed; no variant holds a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The provider refused the grant (`invalid_grant`): the code or
    /// refresh token is used up, expired or revoked; only a new
    /// authorization helps.
    #[error("the provider refused the grant (invalid_grant){}", detail(.0))]
    InvalidGrant(Option<String>),
    /// Another OAuth error the provider answered (`invalid_client`, …).
    #[error("the provider answered {code}{}", detail(.description))]
    Provider {
        code: String,
        description: Option<String>,
    },
    /// No usable answer (network, timeout, a server error, an answer that
    /// is not a token response): worth trying again later.
    #[error("{0}")]
    Transient(String),
    /// The entry's endpoints cannot be used.
    #[error("{0}")]
    Config(String),
}

fn detail(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl TokenError {
    /// Whether only a new authorization can help.
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, TokenError::InvalidGrant(_))
    }
}

/// The URLs of an entry after the operator's override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub authorization: Url,
    pub token: Url,
    pub revocation: Option<Url>,
    /// Whether `http://` may be used (only where the operator's override
    /// chose it).
    pub allow_http: bool,
}

impl Endpoints {
    pub fn of(
        oauth: &OAuth,
        catalog_key: &str,
        provider_urls: &ProviderUrls,
    ) -> Result<Endpoints, TokenError> {
        let parse = |text: &str| {
            let url = Url::parse(text)
                .map_err(|e| TokenError::Config(format!("an OAuth URL of the entry: {e}")))?;
            Ok::<Url, TokenError>(provider_urls.apply(catalog_key, &url).unwrap_or(url))
        };
        Ok(Endpoints {
            authorization: parse(&oauth.authorization_url)?,
            token: parse(&oauth.token_url)?,
            revocation: oauth.revocation_url.as_deref().map(parse).transpose()?,
            allow_http: provider_urls.base(catalog_key).is_some(),
        })
    }
}

/// The start of an authorization: where to send the browser, and the PKCE
/// verifier to keep (sealed) until the callback.
pub struct Authorization {
    pub url: Url,
    pub verifier: Option<SecretString>,
}

type Client =
    BasicClient<EndpointMaybeSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet>;

/// Sends an entry's OAuth requests through the guarded client.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    outbound: OutboundClient,
}

impl OAuthClient {
    /// A client with the guard's settings and no redirects.
    pub fn new(settings: &OutboundSettings) -> OAuthClient {
        OAuthClient::with_client(OutboundClient::new(OutboundSettings {
            max_redirects: 0,
            ..settings.clone()
        }))
    }

    /// Over an outbound client built by the caller (tests trust their own
    /// roots); it should follow no redirect.
    pub fn with_client(outbound: OutboundClient) -> OAuthClient {
        OAuthClient { outbound }
    }

    fn client(
        oauth: &OAuth,
        endpoints: &Endpoints,
        app: &AppCredentials,
        redirect_uri: Option<&str>,
    ) -> Result<Client, TokenError> {
        let mut client = BasicClient::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                app.client_secret.expose_secret().to_string(),
            ))
            .set_auth_uri_option(Some(AuthUrl::from_url(endpoints.authorization.clone())))
            .set_token_uri_option(Some(TokenUrl::from_url(endpoints.token.clone())))
            .set_auth_type(match oauth.client_auth {
                ClientAuth::ClientSecretBasic => oauth2::AuthType::BasicAuth,
                ClientAuth::ClientSecretPost => oauth2::AuthType::RequestBody,
            });
        if let Some(uri) = redirect_uri {
            let uri = RedirectUrl::new(uri.to_string())
                .map_err(|e| TokenError::Config(format!("the redirect URI: {e}")))?;
            client = client.set_redirect_uri(uri);
        }
        Ok(client)
    }

    /// The authorization URL for `state`, with a fresh PKCE verifier when
    /// the entry uses PKCE.
    pub fn authorization(
        oauth: &OAuth,
        endpoints: &Endpoints,
        app: &AppCredentials,
        redirect_uri: &str,
        state: &SecretString,
    ) -> Result<Authorization, TokenError> {
        let client = Self::client(oauth, endpoints, app, Some(redirect_uri))?;
        let state = state.expose_secret().to_string();
        let mut request = client
            .authorize_url(move || CsrfToken::new(state))
            .map_err(|e| TokenError::Config(e.to_string()))?;
        if let Some(scope) = oauth.scope_param() {
            // One value already joined with the entry's separator.
            request = request.add_scope(Scope::new(scope));
        }
        for (name, value) in &oauth.authorization_params {
            if let Some(v) = value.as_str() {
                request = request.add_extra_param(name.clone(), v.to_string());
            }
        }
        let verifier = match oauth.pkce {
            Pkce::S256 => {
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                request = request.set_pkce_challenge(challenge);
                Some(SecretString::from(verifier.secret().to_string()))
            }
            Pkce::Disabled => None,
        };
        let (url, _) = request.url();
        Ok(Authorization { url, verifier })
    }

    /// Exchanges an authorization code (with its PKCE verifier).
    pub async fn exchange_code(
        &self,
        oauth: &OAuth,
        endpoints: &Endpoints,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &SecretString,
        verifier: Option<&SecretString>,
    ) -> Result<Grant, TokenError> {
        let client = Self::client(oauth, endpoints, app, Some(redirect_uri))?;
        let redactor = redactor_of(app, &[Some(code), verifier]);
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.expose_secret().to_string()))
            .map_err(|e| TokenError::Config(e.to_string()))?;
        if let Some(v) = verifier {
            request =
                request.set_pkce_verifier(PkceCodeVerifier::new(v.expose_secret().to_string()));
        }
        let http = self.http(endpoints.allow_http);
        let answer = request.request_async(&http).await;
        grant_of(answer, &redactor)
    }

    /// Exchanges a refresh token for new tokens.
    pub async fn refresh(
        &self,
        oauth: &OAuth,
        endpoints: &Endpoints,
        app: &AppCredentials,
        refresh_token: &SecretString,
    ) -> Result<Grant, TokenError> {
        let client = Self::client(oauth, endpoints, app, None)?;
        let redactor = redactor_of(app, &[Some(refresh_token)]);
        let token = RefreshToken::new(refresh_token.expose_secret().to_string());
        let request = client
            .exchange_refresh_token(&token)
            .map_err(|e| TokenError::Config(e.to_string()))?;
        let http = self.http(endpoints.allow_http);
        let answer = request.request_async(&http).await;
        grant_of(answer, &redactor)
    }

    /// Revokes a refresh token (RFC 7009); an entry without a revocation
    /// URL has nothing to do. Written here rather than with the crate,
    /// which refuses a revocation URL that is not `https://` (the
    /// operator's override may point at a local `http://` stand-in).
    pub async fn revoke(
        &self,
        oauth: &OAuth,
        endpoints: &Endpoints,
        app: &AppCredentials,
        refresh_token: &SecretString,
    ) -> Result<(), TokenError> {
        let Some(url) = endpoints.revocation.clone() else {
            return Ok(());
        };
        let redactor = redactor_of(app, &[Some(refresh_token)]);
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", refresh_token.expose_secret())
            .append_pair("token_type_hint", "refresh_token");
        let mut headers = Vec::new();
        match oauth.client_auth {
            ClientAuth::ClientSecretPost => {
                form.append_pair("client_id", &app.client_id)
                    .append_pair("client_secret", app.client_secret.expose_secret());
            }
            ClientAuth::ClientSecretBasic => {
                // RFC 6749 §2.3.1: each part form-urlencoded, then Basic.
                let enc = |t: &str| {
                    url::form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
                };
                let pair = format!(
                    "{}:{}",
                    enc(&app.client_id),
                    enc(app.client_secret.expose_secret())
                );
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                );
                let value = hyper::header::HeaderValue::from_str(&value).map_err(|_| {
                    TokenError::Config("the client id cannot be sent in a header".into())
                })?;
                headers.push(Header {
                    name: hyper::header::AUTHORIZATION,
                    value,
                    sensitive: true,
                });
            }
        }
        let body = form.finish();
        let answer = self
            .outbound
            .send(OutboundRequest {
                method: hyper::Method::POST,
                url,
                headers,
                body: Some((
                    hyper::header::HeaderValue::from_static("application/x-www-form-urlencoded"),
                    Bytes::from(body),
                )),
                allow_http: endpoints.allow_http,
            })
            .await
            .map_err(|e| TokenError::Transient(redactor.filter(&e.to_string())))?;
        if answer.status.is_success() {
            return Ok(());
        }
        let error: Option<Value> = serde_json::from_slice(&answer.body).ok();
        let code = error
            .as_ref()
            .and_then(|e| e.get("error"))
            .and_then(Value::as_str)
            .map(|c| redactor.filter(c));
        match code {
            Some(code) if !answer.status.is_server_error() => Err(TokenError::Provider {
                code,
                description: error
                    .as_ref()
                    .and_then(|e| e.get("error_description"))
                    .and_then(Value::as_str)
                    .map(|d| redactor.filter(d)),
            }),
            _ => Err(TokenError::Transient(format!(
                "the revocation endpoint answered {}",
                answer.status.as_u16()
            ))),
        }
    }

    /// The `oauth2` crate's HTTP client: one guarded request per call.
    fn http(
        &self,
        allow_http: bool,
    ) -> impl Fn(
        oauth2::HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, OutboundError>> + Send>,
    > + use<> {
        let outbound = self.outbound.clone();
        move |request: oauth2::HttpRequest| {
            let outbound = outbound.clone();
            Box::pin(async move {
                let (parts, body) = request.into_parts();
                let url = Url::parse(&parts.uri.to_string())
                    .map_err(|e| OutboundError::InvalidUrl(e.to_string()))?;
                let mut content_type = None;
                let mut headers = Vec::new();
                for (name, value) in &parts.headers {
                    if name == hyper::header::CONTENT_TYPE {
                        content_type = Some(value.clone());
                        continue;
                    }
                    headers.push(Header {
                        name: name.clone(),
                        value: value.clone(),
                        sensitive: name == hyper::header::AUTHORIZATION,
                    });
                }
                let body = (!body.is_empty()).then(|| {
                    (
                        content_type.unwrap_or(hyper::header::HeaderValue::from_static(
                            "application/x-www-form-urlencoded",
                        )),
                        Bytes::from(body),
                    )
                });
                let answer = outbound
                    .send(OutboundRequest {
                        method: parts.method,
                        url,
                        headers,
                        body,
                        allow_http,
                    })
                    .await?;
                let mut response = oauth2::HttpResponse::new(answer.body.to_vec());
                *response.status_mut() = answer.status;
                *response.headers_mut() = answer.headers;
                Ok(response)
            })
        }
    }
}

fn redactor_of(app: &AppCredentials, secrets: &[Option<&SecretString>]) -> Redactor {
    let mut redactor = Redactor::default();
    redactor.add(app.client_secret.expose_secret());
    for s in secrets.iter().flatten() {
        redactor.add(s.expose_secret());
    }
    redactor
}

fn grant_of<T: TokenResponse>(
    answer: Result<
        T,
        RequestTokenError<OutboundError, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
    >,
    redactor: &Redactor,
) -> Result<Grant, TokenError> {
    let token = answer.map_err(|e| token_error(e, redactor))?;
    let expires_at = token
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| crate::domain::time::now() + d);
    Ok(Grant {
        access_token: SecretString::from(token.access_token().secret().to_string()),
        refresh_token: token
            .refresh_token()
            .map(|r| SecretString::from(r.secret().to_string())),
        expires_at,
        scope: token
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
    })
}

fn token_error(
    e: RequestTokenError<OutboundError, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
    redactor: &Redactor,
) -> TokenError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let description = r.error_description().map(|d| redactor.filter(d));
            match r.error() {
                BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant(description),
                other => {
                    let code = other.as_ref().to_string();
                    if matches!(code.as_str(), "temporarily_unavailable" | "server_error") {
                        TokenError::Transient(format!("the provider answered {code}"))
                    } else {
                        TokenError::Provider { code, description }
                    }
                }
            }
        }
        RequestTokenError::Request(e) => TokenError::Transient(redactor.filter(&e.to_string())),
        RequestTokenError::Parse(_, _) => {
            TokenError::Transient("the provider's answer is not an OAuth token response".into())
        }
        RequestTokenError::Other(m) => TokenError::Transient(redactor.filter(&m)),
    }
}
