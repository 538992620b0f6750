//! The stylesheet and script, embedded in the binary and served under names that carry a hash
//! of their content (`/assets/app-1a2b3c4d5e.css`): a browser may keep them for a year, and a
//! new release changes the name. No CDN and nothing downloaded at build time.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub struct Asset {
    /// `/assets/app-<hash>.css`
    pub href: String,
    pub body: &'static str,
    pub content_type: &'static str,
}

fn asset(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Asset {
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    Asset { href: format!("/assets/{stem}-{}.{ext}", &hash[..10]), body, content_type }
}

pub static CSS: LazyLock<Asset> =
    LazyLock::new(|| asset("app", "css", include_str!("../../assets/app.css"), "text/css; charset=utf-8"));
pub static JS: LazyLock<Asset> =
    LazyLock::new(|| asset("app", "js", include_str!("../../assets/app.js"), "text/javascript; charset=utf-8"));

/// `GET /assets/{name}`: only the current names answer; an old hash is a 404 (the page that
/// asked for it is from an older release and will be reloaded).
pub async fn serve(Path(name): Path<String>) -> Response {
    let path = format!("/assets/{name}");
    let Some(a) = [&*CSS, &*JS].into_iter().find(|a| a.href == path) else {
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found")
            .into_response();
    };
    let mut res = a.body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    res
}
