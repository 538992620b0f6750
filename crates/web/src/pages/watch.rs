//! "Tell me if an earlier time frees up": on a full day the booking page offers a small form
//! that creates a watch through the watches API's own handler (`POST /c/{clinic}/watch` →
//! `routes::watches::create_watch`): the patient is written to the moment a time for the
//! service (and the practitioner, if one was chosen) frees up before the first free day.

use super::book::{BookQuery, render_with};
use super::errors::{FormErrors, error_page, explain};
use super::page::{Asked, Page, see_other};
use super::slots::{Week, today};
use crate::AppState;
use crate::auth::grant::Visitor;
use crate::context::ClinicCtx;
use crate::extract::ApiJson;
use crate::problem::ApiError;
use crate::routes::watches::{WatchInput, WatcherInput, create_watch};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use jiff::ToSpan;
use nobat_core::{PractitionerId, Service};

/// How far ahead a watch from the booking page looks: the days the page shows and the next
/// week (a later time the patient can simply book now).
const WATCH_DAYS: i64 = 14;

/// The watch form as the booking page shows it.
pub struct WatchForm {
    pub action: String,
    pub service: String,
    pub practitioner: String,
    pub done: bool,
    pub errors: FormErrors,
}

impl WatchForm {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.get(field)
    }

    pub fn general(&self) -> Vec<String> {
        self.errors.general(&["name", "phone", "email"])
    }
}

/// The form, when the shown week starts with a full day (or has no free time at all).
pub fn offer(
    ctx: &ClinicCtx,
    service: &Service,
    practitioner: Option<PractitionerId>,
    week: &Week,
    q: &BookQuery,
    errors: FormErrors,
) -> Option<WatchForm> {
    let full_first_day = week.days.first().is_some_and(|d| !d.free);
    if !(full_first_day || week.none.is_some() || errors.any()) {
        return None;
    }
    Some(WatchForm {
        action: format!("/c/{}/watch", ctx.clinic.slug),
        service: service.id.to_string(),
        practitioner: practitioner.map(|p| p.to_string()).unwrap_or_default(),
        done: q.watching.is_some(),
        errors,
    })
}

/// `POST /c/{clinic}/watch`
pub async fn create(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    body: Bytes,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let ctx = visitor.ctx.clone();
    let lang = asked.resolve(Some(&ctx.clinic.default_language));
    let field = |name: &str| {
        form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let service = field("service").unwrap_or_default();
    let practitioner = field("practitioner");
    let from = today(&ctx);
    let to = from.checked_add(WATCH_DAYS.days()).unwrap_or(from);
    let input = WatchInput {
        service: service.clone(),
        practitioner: practitioner.clone(),
        locations: None,
        from: from.to_string(),
        to: to.to_string(),
        weekdays: None,
        times: None,
        mode: "notify".into(),
        patient: WatcherInput {
            name: field("name").unwrap_or_default(),
            email: field("email"),
            phone: field("phone"),
            telegram_chat: None,
            language: Some(lang.code().to_owned()),
        },
        channel: None,
        earlier_than: None,
        contact_proof: None,
    };
    let again = Visitor { ctx: ctx.clone(), principal: visitor.principal.clone() };
    let who = practitioner.clone().unwrap_or_else(|| "any".into());
    let back = BookQuery { service: Some(service.clone()), practitioner: Some(who.clone()), ..BookQuery::default() };
    match create_watch(State(state.clone()), visitor, ApiJson { value: input, canonical: String::new() }).await {
        Ok(_) => see_other(&format!("/c/{}?service={service}&practitioner={who}&watching=1", ctx.clinic.slug)),
        // A service or practitioner that is not this clinic's: the page itself is not found.
        Err(e) if e.status() == axum::http::StatusCode::NOT_FOUND => error_page(Page::new(&asked, lang, None), e),
        Err(e) => {
            let mut errors = FormErrors::of(explain(e, lang));
            // The API names the patient's fields `patient.phone`; the form's are the last part.
            errors.0.iter_mut().for_each(|s| {
                if s.field.as_deref() == Some("patient") {
                    s.field = Some("name".into());
                }
            });
            render_with(&state, &asked, &again, &back, None, errors).await
        }
    }
}
