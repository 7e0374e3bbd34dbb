//! Body and query extractors whose rejections use the JSON error envelope
//! instead of axum's plain-text answers.

use super::error::AppError;
use crate::domain::text;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use serde::de::DeserializeOwned;

/// `axum::Json` with enveloped rejections: 400 malformed JSON, 413 too
/// large, 415 wrong content type, 422 wrong shape.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// An optional JSON body: `None` when the request carries no body at all
/// (no `Content-Type` and no length), otherwise read like [`Json`].
pub struct MaybeJson<T>(pub Option<T>);

impl<T, S> FromRequest<S> for MaybeJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
        let h = req.headers();
        let empty_length = h.get(CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0");
        if !h.contains_key(CONTENT_TYPE) && !h.contains_key(TRANSFER_ENCODING) && empty_length {
            return Ok(MaybeJson(None));
        }
        let Json(v) = Json::<T>::from_request(req, state).await?;
        Ok(MaybeJson(Some(v)))
    }
}

fn json_rejection(r: JsonRejection) -> AppError {
    let status = r.status();
    match r {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            AppError::bad_request("the body is not well-formed JSON")
        }
        JsonRejection::JsonDataError(e) => AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "the body does not have the expected shape: {}",
                redact_values(e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                ))
            ),
        ),
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is too large",
        ),
        _ => AppError::bad_request("the request body could not be read"),
    }
}

/// `axum::extract::Query` with enveloped rejections (400). A parameter
/// holding a control character (see [`crate::domain::text`]) is refused
/// too, naming the parameter, never the value.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        check_query_text(&parts.uri)?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(AppError::bad_request(format!(
                    "invalid query string: {}",
                    redact_values(
                        e.body_text()
                            .trim_start_matches("Failed to deserialize query string: ")
                    )
                )))
            }
            Err(_) => Err(AppError::bad_request("invalid query string")),
        }
    }
}

/// Refuses a query string whose parameters, once decoded, hold a control
/// character: none of the filters is multi-line text.
fn check_query_text(uri: &Uri) -> Result<(), AppError> {
    let Ok(axum::extract::Query(pairs)) =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
    else {
        // Left to the typed parsing, which says what is wrong.
        return Ok(());
    };
    for (name, value) in &pairs {
        if !text::is_line(name) {
            return Err(AppError::bad_request(
                "invalid query string: a parameter name contains control characters",
            ));
        }
        if !text::is_line(value) {
            return Err(AppError::bad_request(format!(
                "invalid query string: `{name}` {}",
                text::LINE_MESSAGE
            )));
        }
    }
    Ok(())
}

/// Removes submitted values from a serde message: `string "…"` becomes
/// `a string`, and the value in "unknown variant `…`" is dropped, so an
/// error never repeats what the client sent (which may be a secret).
pub fn redact_values(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    loop {
        let next_str = rest.find("string \"");
        let next_var = rest.find("unknown variant `");
        match (next_str, next_var) {
            (Some(i), v) if v.is_none_or(|v| i < v) => {
                out.push_str(&rest[..i]);
                out.push_str("a string");
                let after = &rest[i + "string \"".len()..];
                rest = skip_quoted(after, '"');
            }
            (_, Some(i)) => {
                out.push_str(&rest[..i]);
                out.push_str("unknown variant");
                let after = &rest[i + "unknown variant `".len()..];
                rest = skip_quoted(after, '`');
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// Skips to just after the closing `quote` (honouring backslash escapes).
fn skip_quoted(s: &str, quote: char) -> &str {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return &s[i + c.len_utf8()..];
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::redact_values;

    #[test]
    fn serde_messages_lose_their_values() {
        assert_eq!(
            redact_values("name: invalid type: string \"s3cr\\\"et\", expected u32 at line 1"),
            "name: invalid type: a string, expected u32 at line 1"
        );
        assert_eq!(
            redact_values("status: unknown variant `hunter2`, expected `a` or `b`"),
            "status: unknown variant, expected `a` or `b`"
        );
        assert_eq!(redact_values("missing field `x`"), "missing field `x`");
    }
}
