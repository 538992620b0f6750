//! Signing in and out in a browser: `/signin` (email and password, then — for an account with
//! two-factor authentication — a second step asking for the authenticator's code or a recovery
//! code), `/signout`. Both go through the API's own code (`routes::auth`): the same password
//! check, lockout, rate limits, second-factor check and session cookie, so a page cannot be an
//! easier way in than the API.
//!
//! The second step does not carry the password in the form: the first step, once the password
//! is right, hands the page a short-lived signed token (`links::second_step_token`) bound to the
//! account's password hash, and the second step trades it with a good code for a session.

use super::errors::{FormErrors, Shown, explain};
use super::form::{self, opt};
use super::page::{Asked, Page, see_other};
use crate::AppState;
use crate::auth::limits::ClientNet;
use crate::auth::links;
use crate::auth::principal::{MaybeSignedIn, SignedIn, Via};
use crate::extract::ApiJson;
use crate::problem::ApiError;
use crate::routes::auth::{self, LoginInput, SecondFactor};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

/// How long the second step may take after the password was accepted.
const SECOND_STEP: SignedDuration = SignedDuration::from_mins(5);

/// Where to go after signing in: only a path on this site (never `//elsewhere` or a scheme), so
/// the sign-in page cannot be made to send someone to another site.
pub fn safe_next(raw: Option<&str>) -> String {
    match raw.map(str::trim) {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

/// The sign-in page for a request that needs one, coming back to `here` afterwards.
pub fn to_signin(here: &str) -> Response {
    let next = form_urlencoded::Serializer::new(String::new()).append_pair("next", here).finish();
    see_other(&format!("/signin?{next}"))
}

#[derive(Debug, Default, Deserialize)]
pub struct SigninQuery {
    next: Option<String>,
    /// `out`: just signed out; `changed`: the password was changed (every session ended).
    said: Option<String>,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage<'a> {
    page: &'a Page,
    heading: String,
    notice: Option<String>,
    general: Vec<String>,
    errors: FormErrors,
    next: String,
    email: String,
    /// The second step's token; `None` on the first step.
    pending: Option<String>,
}

fn render(asked: &Asked, p: SigninView) -> Response {
    let page = Page::new(asked, asked.resolve(None), None);
    let heading = page.t(if p.pending.is_some() { "pages-signin-code-title" } else { "pages-signin-title" });
    let page = page.with_title(heading.clone());
    let notice = p.said.as_deref().and_then(|s| match s {
        "out" => Some(page.t("pages-signin-signed-out")),
        "changed" => Some(page.t("pages-signin-password-changed")),
        _ => None,
    });
    let general = p.errors.general(&["email", "password", "totp_code", "recovery_code"]);
    let status = if p.errors.any() { p.errors.status() } else { StatusCode::OK };
    let view = SigninPage {
        page: &page,
        heading,
        notice,
        general,
        errors: p.errors,
        next: p.next,
        email: p.email,
        pending: p.pending,
    };
    let html = view.render();
    page.respond(status, html)
}

struct SigninView {
    next: String,
    email: String,
    pending: Option<String>,
    errors: FormErrors,
    said: Option<String>,
}

/// `GET /signin`
pub async fn show(
    asked: Asked,
    query: Result<Query<SigninQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let view = SigninView {
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        pending: None,
        errors: FormErrors::default(),
        said: q.said,
    };
    render(&asked, view)
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// The session cookie of an answer, on a redirect to `to`.
fn signed_in(headers: HeaderMap, to: &str) -> Response {
    let mut res = see_other(to);
    for v in headers.get_all(header::SET_COOKIE) {
        res.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    res
}

/// A wrong email or password is said at the password field (which of the two is wrong is not
/// told, as in the API).
fn at_password(mut shown: Shown) -> Shown {
    if shown.field.is_none() && shown.status == StatusCode::UNAUTHORIZED {
        shown.field = Some("password".to_owned());
    }
    shown
}

/// `POST /signin`: the first step.
pub async fn submit(State(state): State<AppState>, asked: Asked, net: ClientNet, body: Bytes) -> Response {
    let lang = asked.resolve(None);
    let f: SigninForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return super::errors::error_page(Page::new(&asked, lang, None), e),
    };
    let next = safe_next(f.next.as_deref());
    let email = f.email.trim().to_owned();
    let input =
        LoginInput { email: email.clone(), password: f.password, totp_code: None, recovery_code: None, bearer: false };
    match auth::login(State(state.clone()), net, ApiJson { value: input, canonical: String::new() }).await {
        Ok((headers, _)) => signed_in(headers, &next),
        Err(e) if e.problem().kind.ends_with(":totp-required") => {
            // The password was right (the API asks for a code only then): the second step.
            let pending = match state.store.user_by_email(&email.to_lowercase()).await {
                Ok(Some(user)) => {
                    let until = Timestamp::now().checked_add(SECOND_STEP).unwrap_or_else(|_| Timestamp::now());
                    links::second_step_token(&state.auth.keys, user.id, &user.password_hash, until)
                }
                Ok(None) => return super::errors::error_page(Page::new(&asked, lang, None), e),
                Err(err) => return super::errors::error_page(Page::new(&asked, lang, None), err.into()),
            };
            let view = SigninView { next, email, pending: Some(pending), errors: FormErrors::default(), said: None };
            render(&asked, view)
        }
        Err(e) => {
            let errors = FormErrors::of(at_password(explain(e, lang)));
            render(&asked, SigninView { next, email, pending: None, errors, said: None })
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pending: String,
    totp_code: Option<String>,
    recovery_code: Option<String>,
    next: Option<String>,
}

/// `POST /signin/code`: the second step — the authenticator's code, or a recovery code.
pub async fn code(State(state): State<AppState>, asked: Asked, ClientNet(network): ClientNet, body: Bytes) -> Response {
    let lang = asked.resolve(None);
    let f: CodeForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return super::errors::error_page(Page::new(&asked, lang, None), e),
    };
    let next = safe_next(f.next.as_deref());
    let now = Timestamp::now();
    let again =
        |errors: FormErrors| SigninView { next: next.clone(), email: String::new(), pending: None, errors, said: None };
    let expired = || {
        let page = Page::new(&asked, lang, None);
        FormErrors::of(Shown {
            status: StatusCode::UNAUTHORIZED,
            field: None,
            title: page.t("pages-signin-expired-title"),
            detail: page.t("pages-signin-expired"),
        })
    };
    let Some((id, bound)) = links::open_second_step(&state.auth.keys, &f.pending, now) else {
        return render(&asked, again(expired()));
    };
    let user = match state.store.user(id).await {
        Ok(u) if !u.disabled && links::second_step_matches(&bound, &u.password_hash) => u,
        _ => return render(&asked, again(expired())),
    };
    let Some(sealed) = user.totp_secret.clone() else { return render(&asked, again(expired())) };
    let retry = |e: ApiError| {
        let view = SigninView {
            next: next.clone(),
            email: String::new(),
            pending: Some(f.pending.clone()),
            errors: FormErrors::of(explain(e, lang)),
            said: None,
        };
        render(&asked, view)
    };
    // The same limits and lockout as the API's sign-in, by the same keys.
    if let Err(e) = state.auth.limits.login_account(&user.email, &network) {
        return retry(e);
    }
    let key = auth::login_key(&state, &user.email, network);
    match state.store.login_lock(&key).await {
        Ok(lock) if lock.refused_until(now).is_some() => {
            let errors = FormErrors::of(at_password(explain(auth::invalid_credentials(), lang)));
            return render(&asked, again(errors));
        }
        Ok(_) => {}
        Err(e) => return retry(e.into()),
    }
    let (code, recovery) = (opt(&f.totp_code), opt(&f.recovery_code));
    let factor = SecondFactor { code: code.as_deref(), recovery: recovery.as_deref() };
    if let Err(e) = auth::second_factor(&state, &user, &sealed, factor, &key, now).await {
        return retry(e);
    }
    match auth::open_session(&state, user, key, false, now).await {
        Ok((headers, _)) => signed_in(headers, &next),
        Err(e) => retry(e),
    }
}

/// `POST /signout`: the session ends everywhere; the browser's cookie is cleared.
pub async fn signout(State(state): State<AppState>, asked: Asked, me: Result<MaybeSignedIn, ApiError>) -> Response {
    let lang = asked.resolve(None);
    let me = match me {
        // Only a browser's own session is ended by this form; a bearer client signs out
        // through the API.
        Ok(MaybeSignedIn(Some(p))) if matches!(p.via, Via::Session { cookie: true, .. }) => p,
        Ok(MaybeSignedIn(_)) => return see_other("/signin?said=out"),
        Err(e) => return super::errors::error_page(Page::new(&asked, lang, None), e),
    };
    match auth::logout(State(state), SignedIn(me)).await {
        Ok((_, headers)) => signed_in(headers, "/signin?said=out"),
        Err(e) => super::errors::error_page(Page::new(&asked, lang, None), e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn sign_in_sends_nowhere_but_this_site() {
        assert_eq!(safe_next(Some("/desk/demo?location=x")), "/desk/demo?location=x");
        for evil in ["//evil.test", "https://evil.test", "/\\evil.test", "evil", "/desk\r\nSet-Cookie: x", ""] {
            assert_eq!(safe_next(Some(evil)), "/account", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
