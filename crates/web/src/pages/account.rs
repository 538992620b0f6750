//! `/account`: the signed-in person's own page — their appointments in every clinic (booked
//! while signed in; each opens its manage page), the clinics they work for (each with its
//! reception desk), the password change form and signing out. The password change goes through
//! the API's handler (`routes::me::change_password`): same checks, same lockout; afterwards every
//! session has ended, so the browser is sent to sign in again.

use super::errors::{FormErrors, explain};
use super::form;
use super::page::{Asked, Page, see_other};
use super::signin::to_signin;
use crate::AppState;
use crate::auth::limits::ClientNet;
use crate::auth::links;
use crate::auth::principal::{MaybeSignedIn, Principal, SignedIn};
use crate::context::ClinicCtx;
use crate::extract::ApiJson;
use crate::problem::ApiError;
use crate::routes::me::{self, PasswordInput};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use nobat_i18n::{CalendarPref, format_datetime};

pub struct MyAppointment {
    pub when: String,
    pub what: String,
    pub status: String,
    pub href: Option<String>,
}

pub struct MyClinic {
    pub name: String,
    pub role: String,
    pub desk: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    page: &'a Page,
    heading: String,
    name: String,
    email: String,
    clinics: Vec<MyClinic>,
    appointments: Vec<MyAppointment>,
    errors: FormErrors,
    general: Vec<String>,
}

/// The caller, or the way to the sign-in page (or a page saying why the credential is refused).
pub async fn signed_in(asked: &Asked, me: Result<MaybeSignedIn, ApiError>, here: &str) -> Result<Principal, Response> {
    match me {
        Ok(MaybeSignedIn(Some(p))) if p.is_session() => Ok(p),
        // An API token acts for a program, not a person at a browser.
        Ok(MaybeSignedIn(Some(_))) => Err(super::errors::error_page(
            Page::new(asked, asked.resolve(None), None),
            ApiError::new(
                StatusCode::FORBIDDEN,
                "session-required",
                "Sign in as yourself",
                "API tokens act for one clinic; pages need a signed-in session",
            ),
        )),
        Ok(MaybeSignedIn(None)) => Err(to_signin(here)),
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => Err(to_signin(here)),
        Err(e) => Err(super::errors::error_page(Page::new(asked, asked.resolve(None), None), e)),
    }
}

async fn render(state: &AppState, asked: &Asked, me: &Principal, errors: FormErrors) -> Response {
    let page = Page::new(asked, asked.resolve(None), Some(me));
    let heading = page.t("pages-account-title");
    let page = page.with_title(heading.clone());
    let lang = page.lang;
    let clinics = match state.store.memberships_of(me.user.id).await {
        Ok(list) => list
            .into_iter()
            .map(|m| MyClinic {
                desk: format!("/desk/{}", m.clinic_slug),
                name: m.clinic_name,
                role: page.t(&format!("pages-role-{}", m.membership.role)),
            })
            .collect(),
        Err(e) => return super::errors::error_page(page, e.into()),
    };
    let mut appointments = Vec::new();
    let now = jiff::Timestamp::now();
    for a in state.store.appointments_of_user(me.user.id, 100).await.unwrap_or_default() {
        let Ok(ctx) = ClinicCtx::load(state, &a.clinic.to_string()).await else { continue };
        let facts = state.store.appointment_facts(a.clinic, a.id).await.ok().flatten();
        let what = facts.map(|f| format!("{} · {} · {}", f.service, f.practitioner, f.clinic_name)).unwrap_or_default();
        // A manage link lives until the appointment ends, like the one in the confirmation.
        let href =
            (a.end > now).then(|| format!("/m/{}", links::manage_token(&state.auth.keys, a.clinic, a.id, a.end)));
        appointments.push(MyAppointment {
            when: format_datetime(lang, a.start, &ctx.tz(a.location), CalendarPref::LocaleDefault),
            what,
            status: page.t(&format!("pages-status-{}", a.status.as_str())),
            href,
        });
    }
    let general = errors.general(&["current_password", "new_password"]);
    let status = if errors.any() { errors.status() } else { StatusCode::OK };
    let view = AccountPage {
        page: &page,
        heading,
        name: me.user.name.clone(),
        email: me.user.email.clone(),
        clinics,
        appointments,
        errors,
        general,
    };
    let html = view.render();
    page.respond(status, html)
}

/// `GET /account`
pub async fn view(State(state): State<AppState>, asked: Asked, me: Result<MaybeSignedIn, ApiError>) -> Response {
    match signed_in(&asked, me, "/account").await {
        Ok(p) => render(&state, &asked, &p, FormErrors::default()).await,
        Err(res) => res,
    }
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /account/password`
pub async fn password(
    State(state): State<AppState>,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    net: ClientNet,
    body: Bytes,
) -> Response {
    let p = match signed_in(&asked, me, "/account").await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let lang = asked.resolve(None);
    let f: PasswordForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return super::errors::error_page(Page::new(&asked, lang, Some(&p)), e),
    };
    let input = PasswordInput { current_password: f.current_password, new_password: f.new_password };
    let answer = me::change_password(
        State(state.clone()),
        SignedIn(p.clone()),
        net,
        ApiJson { value: input, canonical: String::new() },
    )
    .await;
    match answer {
        Ok(_) => {
            // Every session ended with the change; the browser's cookie is cleared too.
            let mut res = see_other("/signin?said=changed");
            let clear = format!("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax", crate::auth::principal::COOKIE);
            if let Ok(v) = axum::http::HeaderValue::from_str(&clear) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => render(&state, &asked, &p, FormErrors::of(explain(e, lang))).await,
    }
}
