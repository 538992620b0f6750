//! Forms posted by pages (`application/x-www-form-urlencoded`), and their CSRF protection.
//!
//! The API takes the session's CSRF token from the `X-CSRF-Token` header, which a plain HTML
//! form cannot send. A page form carries it in a hidden `_csrf` field instead; this layer moves
//! that field into the header before the request is authenticated, so exactly the same check
//! (`auth::principal`, constant-time, against the session's token) decides. A header sent by
//! the client itself is dropped first: a form post is judged by its form.

use crate::problem::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

pub const CSRF_FIELD: &str = "_csrf";
const LIMIT: usize = 64 * 1024;

pub async fn csrf_from_form(req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, LIMIT).await {
        Ok(b) => b,
        Err(_) => return ApiError::bad_request("the form could not be read").into_response(),
    };
    parts.headers.remove("x-csrf-token");
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    if is_form
        && let Some((_, token)) = form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD)
        && let Ok(v) = HeaderValue::from_str(&token)
    {
        parts.headers.insert("x-csrf-token", v);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The posted fields; unknown ones (`_csrf`) are ignored.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::bad_request(format!("the form could not be read: {e}")))
}

/// An optional text field: empty means absent.
pub fn opt(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}
