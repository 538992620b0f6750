//! problem+json in the reader's language. Errors are built once, in English, in `problem.rs`;
//! each carries its code and arguments in the response's extensions, and this layer renders
//! `title` and `detail` from `locales/*/problems.ftl` in the language of the request:
//! `Accept-Language` first, else the clinic's default language (when the request named a
//! clinic), else English. `type`, `status`, `code` and `field` never change: they are the
//! contract clients branch on; only the words for people do.
//!
//! English answers keep the English the code wrote: those details are often more specific
//! than the catalogue's generic one ("send at most 64 KiB", which field and why), and clients
//! and tests already read them. Other languages get the catalogue's detail for the code, or
//! the field-level reason (`invalid-<reason>`) when the core gave one.

use crate::problem::Problem;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use nobat_i18n::{Args, Lang, Messages};
use std::sync::{Arc, LazyLock, Mutex};

/// The catalogues, parsed once. `None` only if an embedded catalogue failed to parse, which
/// the i18n crate's tests rule out; then answers stay in English rather than failing.
static MESSAGES: LazyLock<Option<Messages>> = LazyLock::new(|| Messages::load().ok());

/// Parses the catalogues now rather than on the first error answer.
pub fn warm_up() {
    LazyLock::force(&MESSAGES);
}

/// What an error needs to be said in another language; put in the response's extensions by
/// `ApiError::into_response`.
#[derive(Debug, Clone)]
pub struct Localisable {
    pub problem: Problem,
    /// The catalogue code (`slot-taken`).
    pub code: &'static str,
    /// Arguments of the generic `problem-<code>-detail` (field, seconds, ...).
    pub args: Args,
    /// A field-level reason (`invalid-<reason>`, its arguments), rendered as the detail.
    pub reason: Option<(String, Args)>,
}

tokio::task_local! {
    /// The default language of the clinic the request is about, once the clinic is loaded.
    static CLINIC_LANG: Arc<Mutex<Option<Lang>>>;
}

/// Called when a request's clinic is loaded: its default language becomes the fallback for
/// the answer's errors. Outside a request (a test calling a handler directly) it does nothing.
pub fn note_clinic_language(tag: &str) {
    let lang = Lang::from_tag(tag);
    let _ = CLINIC_LANG.try_with(|slot| {
        if let Ok(mut slot) = slot.lock() {
            *slot = lang;
        }
    });
}

/// The middleware: runs the request with a slot for the clinic's language, then renders an
/// error answer in the negotiated language.
pub async fn localise(req: Request, next: Next) -> Response {
    let asked =
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language);
    let slot = Arc::new(Mutex::new(None));
    let mut res = CLINIC_LANG.scope(slot.clone(), next.run(req)).await;
    let Some(l) = res.extensions_mut().remove::<Localisable>() else { return res };
    let clinic = slot.lock().ok().and_then(|s| *s);
    let lang = Lang::negotiate(asked, clinic);
    res.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    res.headers_mut().append(header::VARY, HeaderValue::from_static("accept-language"));
    if lang == Lang::En {
        return res;
    }
    let Some(problem) = render(&l, lang) else {
        // A catalogue without the key (caught by tests/problem_codes.rs): the English answer.
        res.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("en"));
        return res;
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(serde_json::to_vec(&problem).unwrap_or_default()))
}

/// The problem with `title` and `detail` in `lang`; `None` if the catalogue cannot say it.
pub fn render(l: &Localisable, lang: Lang) -> Option<Problem> {
    let messages = MESSAGES.as_ref()?;
    let title = messages.render(lang, &format!("problem-{}-title", l.code), &l.args).ok()?;
    let detail = match &l.reason {
        Some((key, args)) => messages.render(lang, &format!("invalid-{key}"), args).ok(),
        None => None,
    };
    let detail = match detail {
        Some(d) => d,
        None => messages.render(lang, &format!("problem-{}-detail", l.code), &l.args).ok()?,
    };
    Some(Problem { title, detail, ..l.problem.clone() })
}
