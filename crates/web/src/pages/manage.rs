//! `/m/{token}`: the patient's own page for one appointment, reached by the manage link of the
//! confirmation: what, when, where; the calendar file; cancel or move it (the core decides
//! whether the policy still allows it, exactly as for `/api/v1/manage/{token}/…`); and who at
//! the clinic looked at it. The token in the path is the capability.

use super::errors::{Shown, error_page, explain};
use super::form::{self, opt};
use super::page::{Asked, Page, see_other};
use super::slots::{Span, Week, parse_slot, week};
use crate::AppState;
use crate::context::date;
use crate::dto::{CancelInput, RescheduleInput};
use crate::extract::{ApiJson, IdempotencyKey};
use crate::problem::ApiError;
use crate::routes::manage;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nobat_core::AppointmentStatus;
use nobat_core::booking::{Actor, Change, check_cutoff};
use nobat_i18n::{CalendarPref, Lang, format_datetime};
use nobat_notify::ics::{self, IcsEvent, IcsMethod};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ManageQuery {
    booked: Option<String>,
    moved: Option<String>,
    from: Option<String>,
    day: Option<String>,
}

pub struct Access {
    pub at: String,
    pub who: String,
    pub action: String,
}

#[derive(Template)]
#[template(path = "manage.html")]
struct ManagePage<'a> {
    page: &'a Page,
    heading: String,
    notice: Option<String>,
    error: Option<Shown>,
    facts: Vec<(String, String)>,
    calendar: String,
    link: String,
    cancelled: bool,
    changeable: bool,
    cancel_action: String,
    move_action: String,
    week: Option<Week>,
    /// Why the appointment can no longer be moved or cancelled online (the service's
    /// cut-off has passed), in place of the times and the cancel form.
    move_refused: Option<String>,
    cancel_refused: Option<String>,
    access: Vec<Access>,
}

/// `GET /m/{token}`
pub async fn view(
    State(state): State<AppState>,
    asked: Asked,
    Path(token): Path<String>,
    query: Result<Query<ManageQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    render(&state, &asked, &token, &q, None).await
}

async fn render(state: &AppState, asked: &Asked, token: &str, q: &ManageQuery, error: Option<Shown>) -> Response {
    let (ctx, a) = match manage::open(state, token).await {
        Ok(found) => found,
        Err(e) => return error_page(Page::new(asked, asked.resolve(None), None), e),
    };
    let facts = state.store.appointment_facts(ctx.clinic.id, a.id).await.ok().flatten();
    // The reader's choice, else the language the patient booked in, else the clinic's.
    let lang = asked
        .lang
        .or_else(|| facts.as_ref().and_then(|f| f.patient_language.as_deref()).and_then(Lang::from_tag))
        .unwrap_or_else(|| asked.resolve(Some(&ctx.clinic.default_language)));
    let page = Page::new(asked, lang, None);
    let booked = q.booked.is_some();
    let heading = page.t("pages-manage-title");
    let page = page.with_title(heading.clone());
    let tz = ctx.tz(a.location);
    let mut rows = vec![(page.t("pages-when"), format_datetime(lang, a.start, &tz, CalendarPref::LocaleDefault))];
    if let Some(f) = &facts {
        rows.push((page.t("pages-what"), f.service.clone()));
        rows.push((page.t("pages-with"), f.practitioner.clone()));
        let place = if f.address.is_empty() { f.location.clone() } else { format!("{} — {}", f.location, f.address) };
        rows.push((page.t("pages-where"), format!("{} · {place}", f.clinic_name)));
    }
    rows.push((page.t("pages-status"), page.t(&format!("pages-status-{}", a.status.as_str()))));
    let now = jiff::Timestamp::now();
    let changeable = matches!(a.status, AppointmentStatus::Booked | AppointmentStatus::Pending) && a.start > now;
    let mut week_view = None;
    let (mut move_refused, mut cancel_refused) = (None, None);
    if changeable {
        let base = format!("/m/{token}?");
        let pick = |raw: &Option<String>, field: &str| raw.as_deref().and_then(|d| date(field, d).ok());
        match state.store.service(ctx.clinic.id, a.service).await {
            // Inside the cut-off the core refuses a patient's change: say so instead of
            // offering times or a button that could only be refused.
            Ok(service) if policy_refuses(Change::Reschedule, &a, &service, now, lang).is_some() => {
                move_refused = policy_refuses(Change::Reschedule, &a, &service, now, lang);
                cancel_refused = policy_refuses(Change::Cancel, &a, &service, now, lang);
            }
            Ok(service) => {
                cancel_refused = policy_refuses(Change::Cancel, &a, &service, now, lang);
                let w = week(
                    state,
                    &ctx,
                    &page,
                    &service,
                    Some(a.practitioner),
                    Span { from: pick(&q.from, "from"), day: pick(&q.day, "day") },
                    &base,
                )
                .await;
                week_view = w.ok();
            }
            Err(e) => return error_page(page, e.into()),
        }
    }
    let access = match manage::access_log(State(state.clone()), Path(token.to_owned())).await {
        Ok(axum::Json(list)) => list
            .into_iter()
            .map(|e| Access {
                at: e
                    .at
                    .parse::<jiff::Timestamp>()
                    .map(|t| format_datetime(lang, t, &tz, CalendarPref::LocaleDefault))
                    .unwrap_or(e.at),
                who: match e.who.as_str() {
                    // The patient's own steps (as a guest, by the link, signed in).
                    "guest" | "the patient (manage link)" | "the patient (signed in)" => page.t("pages-who-patient"),
                    _ => e.who,
                },
                action: {
                    let key = format!("pages-action-{}", e.action);
                    let said = page.t(&key);
                    if said == key { e.action } else { said }
                },
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let notice = if booked {
        Some(page.t("pages-booked-title"))
    } else if q.moved.is_some() {
        Some(page.t("pages-moved"))
    } else {
        None
    };
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let view = ManagePage {
        page: &page,
        heading,
        notice,
        error,
        facts: rows,
        calendar: format!("/m/{token}/calendar.ics"),
        link: format!("{}/m/{token}", state.auth.public_url),
        cancelled: a.status == AppointmentStatus::Cancelled,
        changeable,
        cancel_action: format!("/m/{token}/cancel"),
        move_action: format!("/m/{token}/reschedule"),
        week: week_view,
        move_refused,
        cancel_refused,
        access,
    };
    let html = view.render();
    page.respond(status, html)
}

/// The core's refusal of a patient's `change` now, said in `lang`; `None` when allowed.
fn policy_refuses(
    change: Change,
    a: &nobat_store::model::Appointment,
    service: &nobat_core::Service,
    now: jiff::Timestamp,
    lang: Lang,
) -> Option<String> {
    check_cutoff(change, a.start, service, now, Actor::Patient)
        .err()
        .map(|e| explain(ApiError::from(e), lang))
        .map(|s| format!("{} {}", s.title, s.detail))
}

#[derive(Deserialize)]
pub struct CancelForm {
    reason: Option<String>,
}

/// `POST /m/{token}/cancel`
pub async fn cancel(State(state): State<AppState>, asked: Asked, Path(token): Path<String>, body: Bytes) -> Response {
    let lang = asked.resolve(None);
    let f: CancelForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return error_page(Page::new(&asked, lang, None), e),
    };
    let input = CancelInput { reason: opt(&f.reason), staff_override: false };
    match manage::cancel(State(state.clone()), Path(token.clone()), ApiJson { value: input, canonical: String::new() })
        .await
    {
        Ok(_) => see_other(&format!("/m/{token}")),
        Err(e) => render(&state, &asked, &token, &ManageQuery::default(), Some(explain(e, lang))).await,
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    slot: String,
}

/// `POST /m/{token}/reschedule`: a time button of the manage page; the new appointment has a
/// new link, where the patient is sent.
pub async fn reschedule(
    State(state): State<AppState>,
    asked: Asked,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let lang = asked.resolve(None);
    let slot = form::parse::<MoveForm>(&body).ok().and_then(|f| parse_slot(&f.slot));
    let Some((practitioner, start)) = slot else {
        let shown = explain(ApiError::invalid("slot", "choose one of the times shown"), lang);
        return render(&state, &asked, &token, &ManageQuery::default(), Some(shown)).await;
    };
    let input = RescheduleInput {
        start,
        practitioner: Some(practitioner),
        location: None,
        hold: None,
        hold_token: None,
        staff_override: false,
    };
    let answer = manage::reschedule(
        State(state.clone()),
        Path(token.clone()),
        IdempotencyKey(None),
        ApiJson { value: input, canonical: String::new() },
    )
    .await;
    match answer {
        Ok((_, _, axum::Json(moved))) => see_other(&format!("/m/{}?moved=1", moved.manage_token)),
        Err(e) => render(&state, &asked, &token, &ManageQuery::default(), Some(explain(e, lang))).await,
    }
}

/// `GET /m/{token}/calendar.ics`: the appointment for the patient's calendar app.
pub async fn calendar(State(state): State<AppState>, asked: Asked, Path(token): Path<String>) -> Response {
    let (ctx, a) = match manage::open(&state, &token).await {
        Ok(found) => found,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let Ok(Some(f)) = state.store.appointment_facts(ctx.clinic.id, a.id).await else {
        return error_page(Page::new(&asked, asked.resolve(None), None), ApiError::not_found("appointment"));
    };
    let host = state
        .auth
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("nobat.local")
        .split(['/', ':'])
        .next()
        .unwrap_or("nobat.local");
    let cancelled = a.status == AppointmentStatus::Cancelled;
    let event = IcsEvent {
        uid: ics::uid_for(&a.id.to_string(), host),
        sequence: u32::from(cancelled),
        method: if cancelled { IcsMethod::Cancel } else { IcsMethod::Request },
        start: a.start,
        end: a.end,
        zone: ctx.tz(a.location),
        summary: format!("{} — {}", f.service, f.clinic_name),
        description: Some(f.practitioner.clone()),
        location: Some(if f.address.is_empty() { f.location.clone() } else { f.address.clone() }),
        url: Some(format!("{}/m/{token}", state.auth.public_url)),
        organizer: None,
        attendee: None,
        stamp: jiff::Timestamp::now(),
    };
    let mut res = ics::to_string(&event).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"appointment.ics\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
