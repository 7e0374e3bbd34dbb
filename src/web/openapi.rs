//! The OpenAPI document's frame: info, servers, tags, security schemes and
//! the error answers every operation shares. The operations themselves
//! come from the API's routes (`web::api`), and their bodies from the
//! service's typed requests and responses.

use super::error::{BEARER_CHALLENGE, INVALID_TOKEN_CHALLENGE};
use crate::domain::identity::SCOPE_CREDENTIALS_READ;
use serde_json::{Value, json};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{Ref, RefOr};

/// The OpenAPI document: the API's routes carry their own operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "connectors",
        description = "Multi-tenant connectors service: a catalog of connector types and per-tenant installed connectors with validated configs and encrypted secrets.\n\nAuthenticate with `Authorization: Bearer TOKEN` (a token from `connectors token create`). Reading credentials needs a token created with `--scope credentials:read`. The web UI's session cookie also works; with it, unsafe methods need the `X-CSRF-Token` header.",
        license(name = "MIT", identifier = "MIT"),
    ),
    modifiers(&Frame),
    components(schemas(crate::web::error::ErrorBody), responses(
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        UnexpectedError
    )),
    tags(
        (name = "catalog", description = "The global, read-only catalog"),
        (name = "connectors", description = "The tenant's installed connectors"),
        (name = "broadcaster", description = "What the content broadcaster reads: publish targets and credentials"),
        (name = "audit", description = "Who changed what")
    )
)]
pub struct ApiDoc;

/// The names of the security schemes.
pub const BEARER: &str = "bearer";
pub const SESSION: &str = "session";
pub const CSRF: &str = "csrf";

struct Frame;

impl utoipa::Modify for Frame {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.servers = Some(vec![
            ServerBuilder::new()
                .url("/")
                .description(Some("The service that serves this document"))
                .build(),
        ]);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(format!(
                        "An API token from `connectors token create`. The credentials read needs a token created with `--scope {SCOPE_CREDENTIALS_READ}`; an operation that needs it lists the scope in its security requirement."
                    )))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "connectors_session",
                "The web UI's session cookie; unsafe methods also need the `csrf` header",
            ))),
        );
        components.add_security_scheme(
            CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token, as the web UI's pages carry it; needed with the session cookie on POST, PUT, PATCH and DELETE, together with a same-origin `Origin` or `Sec-Fetch-Site`",
            ))),
        );
    }
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// An error answer: the error envelope, with an example.
fn error_response(description: &str, example: Value) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .example(Some(example))
            .build(),
    )
}

macro_rules! error_responses {
    ($($ty:ident => $description:literal, $code:literal, $message:literal;)*) => {$(
        #[doc = $description]
        pub struct $ty;

        impl<'s> utoipa::ToResponse<'s> for $ty {
            fn response() -> (&'s str, RefOr<Response>) {
                (
                    stringify!($ty),
                    error_response($description, json!({"error": $code, "message": $message}))
                        .build()
                        .into(),
                )
            }
        }
    )*};
}

error_responses! {
    BadRequest => "Malformed JSON, an unknown or malformed query parameter, or a malformed `If-Match`",
        "bad_request", "the body is not valid JSON";
    Forbidden => "The caller may not do this: writes need the owner or admin role, the credentials read a token with the `credentials:read` scope, and a session's unsafe request its CSRF token",
        "forbidden", "this action needs the owner or admin role in the tenant";
    NotFound => "No such resource in the caller's tenant (another tenant's connector answers the same)",
        "not_found", "no such connector";
    Conflict => "The name is taken in the tenant, or the connector's stored secrets cannot be read",
        "conflict", "a connector with this name already exists in the tenant";
    PreconditionFailed => "The version given in `If-Match` or `version` is not current; nothing changed",
        "precondition_failed", "the connector was changed since version 1; it is now at version 2";
    PayloadTooLarge => "The body is larger than the service accepts",
        "payload_too_large", "the request body is too large";
    UnsupportedMediaType => "The body is not `application/json`",
        "unsupported_media_type", "the body must be JSON, sent with Content-Type: application/json";
    UnexpectedError => "Any other error (405, 500, 503), in the same envelope",
        "unavailable", "the database is unavailable; try again shortly";
}

/// Validation failed: `errors` names each field at its dotted path.
pub struct ValidationFailed;

impl<'s> utoipa::ToResponse<'s> for ValidationFailed {
    fn response() -> (&'s str, RefOr<Response>) {
        let example = json!({
            "error": "validation_failed",
            "message": "the connector is not valid",
            "errors": {"config.site_url": ["must be an http(s) URL"], "name": ["is required"]}
        });
        (
            "ValidationFailed",
            error_response(
                "Validation failed, or a status change is not allowed; `errors` names each field at its dotted path",
                example,
            )
            .build()
            .into(),
        )
    }
}

/// Not authenticated, with the RFC 6750 challenge.
pub struct Unauthorized;

impl<'s> utoipa::ToResponse<'s> for Unauthorized {
    fn response() -> (&'s str, RefOr<Response>) {
        let header = HeaderBuilder::new()
            .schema(string_schema())
            .description(Some(format!(
                "`{BEARER_CHALLENGE}`, or `{INVALID_TOKEN_CHALLENGE}` when the bearer token sent is unknown, revoked or expired"
            )))
            .build();
        let example = json!({
            "error": "unauthorized",
            "message": "authentication required: send a valid API token as `Authorization: Bearer TOKEN`"
        });
        (
            "Unauthorized",
            error_response("No credentials, or credentials that are not valid", example)
                .header("WWW-Authenticate", header)
                .build()
                .into(),
        )
    }
}
