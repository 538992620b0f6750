//! Extractors that turn bad input into *our* problem+json, naming the field at fault, instead
//! of axum's plain-text rejections.

use crate::problem::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// A JSON body, parsed with the path of the failing field reported (`patient.phone`).
/// Also keeps the body in canonical form (keys sorted, no whitespace) so that an
/// `Idempotency-Key` retry matches however the client spaced or ordered its JSON.
pub struct ApiJson<T> {
    pub value: T,
    pub canonical: String,
}

/// A stable fingerprint of a request for `Idempotency-Key` checks: the operation, the ids it
/// targets (resolved, so a slug and an id give the same answer) and the canonical body.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update(p.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // Media types are case-insensitive (RFC 9110 §8.3.1), parameters (`; charset=utf-8`)
        // are allowed.
        let is_json = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
            let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
        if !is_json {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send JSON",
                "the body must be JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            ApiError::new(status, "bad-request", "The body could not be read", e.body_text())
        })?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request(format!("the body is not valid JSON: {}", strip_position(&e.to_string())))
        })?;
        if let Some(field) = nul_in(&json, String::new()) {
            return Err(nul_rejected(field));
        }
        let canonical = json.to_string();
        let value = serde_path_to_error::deserialize(json).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let detail = strip_position(&inner.to_string());
            let err = ApiError::bad_request(if path == "." { detail } else { format!("{path}: {detail}") });
            match missing_field(&inner.to_string()) {
                Some(name) if path == "." => err.with_field(name),
                Some(name) => err.with_field(format!("{path}.{name}")),
                None if path != "." => err.with_field(path),
                None => err,
            }
        })?;
        Ok(ApiJson { value, canonical })
    }
}

/// The JSON path of the first string (or object key) holding a NUL character, if any.
/// PostgreSQL cannot store U+0000 in text and answers an error deep in a transaction; SQLite
/// stores it and truncates it in places. No field of the API has a use for it, so the edge
/// refuses it, before any typed field sees it.
fn nul_in(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    let here = |at: &str| if at.is_empty() { ".".to_owned() } else { at.to_owned() };
    match v {
        Value::String(s) if s.contains('\0') => Some(here(&at)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| nul_in(item, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let path = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here(&at)) } else { nul_in(item, path) }
        }),
        _ => None,
    }
}

fn nul_rejected(field: impl Into<String>) -> ApiError {
    ApiError::invalid(field, "text must not contain the NUL character (U+0000)")
}

/// Refuses a request whose path or query string holds a percent-encoded NUL (`%00`), before
/// routing: every path segment and query parameter of every endpoint is covered in one place.
/// (A raw NUL byte never gets this far: the HTTP parser refuses it.) The query parameter at
/// fault is named; a path is named `path`.
pub async fn reject_nul(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = req.uri();
    if uri.path().contains("%00") {
        return nul_rejected("path").into_response();
    }
    if let Some(query) = uri.query().filter(|q| q.contains("%00")) {
        let field = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, _)| k.replace('\0', "\\0"))
            .unwrap_or_else(|| "query".to_owned());
        return nul_rejected(field).into_response();
    }
    next.run(req).await
}

/// serde_json appends " at line 1 column 7", which helps nobody reading a problem+json.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// "missing field `start`" → `start`.
fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// A query string, parsed with the failing parameter named.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            let field = missing_field(&msg).or((path != ".").then_some(path));
            let err = ApiError::bad_request(format!("query string: {msg}"));
            match field {
                Some(f) => err.with_field(f),
                None => err,
            }
        })
    }
}

/// The `Idempotency-Key` header, if sent: 1–255 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        idempotency_key(&parts.headers).map(IdempotencyKey)
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else { return Ok(None) };
    let s = v.to_str().ok().map(str::trim).unwrap_or("");
    // RFC draft-ietf-httpapi-idempotency-key: a quoted or bare string; accept both.
    let s = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(s);
    if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid("Idempotency-Key", "use 1 to 255 visible ASCII characters, e.g. a UUID"));
    }
    Ok(Some(s.to_owned()))
}

/// Parses an id from a path segment, naming the segment when it is not an id.
pub fn parse_id<T: std::str::FromStr>(field: &str, raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(field))
}

/// A JSON body that may be left out entirely (no body, no Content-Type): for actions whose
/// fields are all optional, such as `call-next`. A body that is sent is read as [`ApiJson`].
pub struct MaybeJson<T>(pub Option<ApiJson<T>>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for MaybeJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if req.headers().contains_key(header::CONTENT_TYPE) {
            return Ok(MaybeJson(Some(ApiJson::from_request(req, state).await?)));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            ApiError::new(status, "bad-request", "The body could not be read", e.body_text())
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(MaybeJson(None));
        }
        Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send JSON",
            "the body must be JSON with Content-Type: application/json",
        ))
    }
}

/// The most a request body may hold: 64 KiB, which every JSON body fits many times over,
/// except a CSV import's (16 MiB). Larger bodies are refused with 413 before they are read
/// (by Content-Length) or as soon as they pass the cap (a chunked body).
pub async fn limit_body(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let import = req.method() == axum::http::Method::POST
        && req.uri().path().starts_with("/api/v1/clinics/")
        && req.uri().path().contains("/imports/");
    let limit = if import { crate::routes::transfer::MAX_IMPORT_BYTES } else { 64 * 1024 };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::payload_too_large(limit).into_response();
    }
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}
