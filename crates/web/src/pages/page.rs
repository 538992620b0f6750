//! What every page shares: the language it is in (`?lang=`, then the `nobat_lang` cookie,
//! then `Accept-Language`, then the clinic's default, then English), its direction, the
//! language switcher, the asset links, the CSRF token of a signed-in session, and the HTML
//! response itself.

use super::assets::{CSS, JS};
use crate::auth::principal::{Principal, Via};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nobat_i18n::{Args, Lang, Messages};
use std::convert::Infallible;

/// The cookie that remembers a language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "nobat_lang";

/// The languages' own names, for the switcher: an endonym is the same in every language.
fn endonym(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::Fa => "فارسی",
        Lang::Ar => "العربية",
        Lang::Fr => "Français",
        Lang::Ru => "Русский",
        Lang::Tr => "Türkçe",
    }
}

/// The language the reader asked for, before the clinic's default is known.
#[derive(Debug, Clone)]
pub struct Asked {
    pub lang: Option<Lang>,
    /// Chosen now with `?lang=`: remembered in a cookie with the answer.
    pub chosen: bool,
    /// The request's path and query without `lang`, for the switcher's links.
    here: String,
}

impl Asked {
    /// The page's language: the reader's choice, else the clinic's default, else English.
    pub fn resolve(&self, clinic_default: Option<&str>) -> Lang {
        Lang::negotiate(self.lang, clinic_default.and_then(Lang::from_tag))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Asked {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let query = parts.uri.query().unwrap_or("");
        let from_query =
            form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "lang").and_then(|(_, v)| Lang::from_tag(&v));
        let from_cookie = || {
            parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(cookie::Cookie::split_parse)
                .filter_map(Result::ok)
                .find(|c| c.name() == LANG_COOKIE)
                .and_then(|c| Lang::from_tag(c.value()))
        };
        let from_header = || {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        };
        let rest: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k != "lang")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let here = if rest.is_empty() {
            parts.uri.path().to_owned()
        } else {
            format!(
                "{}?{}",
                parts.uri.path(),
                form_urlencoded::Serializer::new(String::new()).extend_pairs(rest).finish()
            )
        };
        Ok(Self { lang: from_query.or_else(from_cookie).or_else(from_header), chosen: from_query.is_some(), here })
    }
}

/// One entry of the language switcher.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// The frame of every page: the layout's fields and the catalogue lookups templates call.
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub css: &'static str,
    pub js: &'static str,
    pub langs: Vec<LangLink>,
    /// The signed-in session's CSRF token, put in every form (empty for a guest).
    pub csrf: String,
    remember: bool,
}

impl Page {
    pub fn new(asked: &Asked, lang: Lang, principal: Option<&Principal>) -> Self {
        let sep = if asked.here.contains('?') { '&' } else { '?' };
        let langs = Lang::ALL
            .iter()
            .map(|&l| LangLink {
                code: l.code(),
                name: endonym(l),
                href: format!("{}{sep}lang={}", asked.here, l.code()),
                current: l == lang,
            })
            .collect();
        let csrf = match principal.map(|p| &p.via) {
            Some(Via::Session { csrf_token, cookie: true, .. }) => csrf_token.clone(),
            _ => String::new(),
        };
        Self { lang, title: String::new(), css: &CSS.href, js: &JS.href, langs, csrf, remember: asked.chosen }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn dir(&self) -> &'static str {
        self.lang.dir().as_str()
    }

    /// The text of `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.ta(key, &Args::new())
    }

    /// The text of `key` with one text argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.ta(key, &Args::new().str(name, value))
    }

    pub fn ta(&self, key: &str, args: &Args) -> String {
        match Messages::embedded().map(|m| m.render(self.lang, key, args)) {
            Ok(Ok(text)) => text,
            // The catalogue tests make this unreachable; a key is better than a broken page.
            _ => key.to_owned(),
        }
    }

    pub fn with_title(mut self, title: String) -> Self {
        self.title = title;
        self
    }

    /// The page as an HTML response: never cached (pages show holds, bookings, a session's
    /// token), said in its language, and the chosen language remembered for a year.
    pub fn respond(&self, status: StatusCode, html: Result<String, askama::Error>) -> Response {
        let body = match html {
            Ok(body) => body,
            Err(e) => {
                tracing::error!(error = %e, "a page template failed");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    "<!doctype html><title>500</title>",
                )
                    .into_response();
            }
        };
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        h.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(self.lang.code()));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::VARY, HeaderValue::from_static("accept-language, cookie"));
        if self.remember {
            remember_language(&mut res, self.lang);
        }
        res
    }
}

/// Sets the language cookie (readable by nothing but this site; not a secret).
pub fn remember_language(res: &mut Response, lang: Lang) {
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A 303 to `to` (after a form post, so a reload does not post again).
pub fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
