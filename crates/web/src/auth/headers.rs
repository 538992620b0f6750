//! Security headers on every response. The API's content security policy is strict
//! (`default-src 'none'`); HTML pages get `default-src 'self'`: their own embedded stylesheet
//! and script, no inline code, no other origin.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// For everything that is not a page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/// For HTML pages.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                            connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
                            form-action 'self'";

pub async fn apply(tls: bool, req: Request, next: Next) -> Response {
    let credentialed = req.headers().contains_key(header::AUTHORIZATION) || req.headers().contains_key(header::COOKIE);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Pages load their own stylesheet and script (`pages::assets`) and nothing else: no inline
    // script or style, no other origin. Everything else (JSON, files) keeps the strict policy.
    let page = h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(if page { PAGE_CSP } else { API_CSP }));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Manage links carry a capability in their path: never leak it in a Referer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if credentialed && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
