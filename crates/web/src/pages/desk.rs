//! `/desk/{clinic}`: the reception desk, for signed-in staff who may run queues (`RunQueues`).
//! Today at one location: the appointments per practitioner (check in the booked ones), a
//! walk-in form, and every open queue with its tickets — call next to this desk, and per ticket
//! the actions its state allows (the core's transition table decides which buttons appear).
//!
//! Every action is a plain form post answered by a redirect back here (works without
//! JavaScript); the script follows the clinic's event stream and redraws the live part. Each
//! post runs the API's own handler (`routes::queues`, `routes::tickets`): same capability, same
//! practitioner-runs-own-queue rule, same store command. Two desks calling next at once get two
//! different tickets (the store locks the queue); a refusal — nobody waiting, a ticket someone
//! else already moved — comes back as a readable message at the top of the desk.

use super::account::signed_in;
use super::errors::{Shown, error_page, explain};
use super::form::{self, opt};
use super::page::{Asked, Page, see_other};
use crate::AppState;
use crate::auth::grant::{Staff, grant};
use crate::auth::principal::{MaybeSignedIn, Principal};
use crate::context::ClinicCtx;
use crate::extract::{ApiJson, IdempotencyKey, MaybeJson};
use crate::problem::ApiError;
use crate::queue_view::{self, TicketDto};
use crate::routes::queues::{self, CallNextInput, OpenQueueInput, WalkInInput, WalkInPatient};
use crate::routes::tickets::{self, TicketActionInput};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::{Timestamp, ToSpan};
use nobat_core::access::RunQueues;
use nobat_core::queue::{Action, TicketStatus, apply};
use nobat_core::{AppointmentStatus, LocationId};
use nobat_i18n::{Args, format_time};
use nobat_store::model::AppointmentFilter;
use serde::Deserialize;

/// The ticket actions a desk offers, in the order the buttons appear.
const ACTIONS: [Action; 7] =
    [Action::Start, Action::Recall, Action::Absent, Action::Finish, Action::Return, Action::Emergency, Action::Leave];

#[derive(Debug, Default, Deserialize)]
pub struct DeskQuery {
    location: Option<String>,
    /// This desk's name ("Room 3"), kept in the address so every form of the page carries it.
    desk: Option<String>,
    /// What the last action did: `called`, `checked-in`, `walk-in`, `done`; `code` names the ticket.
    said: Option<String>,
    code: Option<String>,
}

pub struct Row {
    pub time: String,
    pub patient: String,
    pub service: String,
    pub status: String,
    /// The appointment's id when it can be checked in now.
    pub check_in: Option<String>,
    /// Its ticket's code once checked in.
    pub ticket: Option<String>,
}

pub struct Column {
    pub practitioner: String,
    pub rows: Vec<Row>,
}

pub struct TicketRow {
    pub id: String,
    pub code: String,
    /// The patient's "my place" page, to show or hand over (its QR code is the same address).
    pub place: String,
    pub patient: String,
    pub status: String,
    pub status_key: &'static str,
    pub detail: String,
    pub actions: Vec<(&'static str, String)>,
    pub emergency: bool,
}

pub struct QueueView {
    pub id: String,
    pub name: String,
    pub counts: String,
    pub closed: bool,
    pub tickets: Vec<TicketRow>,
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage<'a> {
    page: &'a Page,
    heading: String,
    today: String,
    base: String,
    location: String,
    locations: Vec<(String, String, bool)>,
    desk: String,
    keep: String,
    notice: Option<String>,
    error: Option<Shown>,
    /// A refusal about a walk-in form field, said by that field too.
    name_error: Option<String>,
    phone_error: Option<String>,
    columns: Vec<Column>,
    queues: Vec<QueueView>,
    practitioners: Vec<(String, String)>,
    stream: String,
}

/// The signed-in staff member's grant to run queues in `clinic`, or the page to show instead.
async fn staff(
    state: &AppState,
    asked: &Asked,
    me: Result<MaybeSignedIn, ApiError>,
    clinic: &str,
) -> Result<Staff<RunQueues>, Response> {
    let here = format!("/desk/{clinic}");
    let p: Principal = signed_in(asked, me, &here).await?;
    let fail = |e: ApiError| error_page(Page::new(asked, asked.resolve(None), Some(&p)), e);
    let ctx = ClinicCtx::load(state, clinic).await.map_err(fail)?;
    grant::<RunQueues>(state, &p, ctx).await.map_err(fail)
}

/// The location the desk shows: the one asked for if it is this clinic's, else the first.
fn pick_location(ctx: &ClinicCtx, raw: Option<&str>) -> Option<LocationId> {
    raw.and_then(|r| r.parse::<LocationId>().ok())
        .filter(|id| ctx.locations.iter().any(|l| l.id == *id))
        .or_else(|| ctx.locations.first().map(|l| l.id))
}

/// The desk's address with its location and desk name (what every redirect comes back to).
fn address(clinic: &str, location: Option<LocationId>, desk: Option<&str>, said: Option<(&str, &str)>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(l) = location {
        q.append_pair("location", &l.to_string());
    }
    if let Some(d) = desk.filter(|d| !d.is_empty()) {
        q.append_pair("desk", d);
    }
    if let Some((said, code)) = said {
        q.append_pair("said", said);
        q.append_pair("code", code);
    }
    format!("/desk/{clinic}?{}", q.finish())
}

/// `GET /desk/{clinic}`
pub async fn view(
    State(state): State<AppState>,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    Path(clinic): Path<String>,
    query: Result<Query<DeskQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let staff = match staff(&state, &asked, me, &clinic).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    render(&state, &asked, &staff, &clinic, &q, None).await
}

async fn render(
    state: &AppState,
    asked: &Asked,
    staff: &Staff<RunQueues>,
    clinic: &str,
    q: &DeskQuery,
    error: Option<Shown>,
) -> Response {
    let ctx = &staff.ctx;
    let page = Page::new(asked, asked.resolve(Some(&ctx.clinic.default_language)), Some(&staff.principal));
    let heading = page.t1("pages-desk-title", "clinic", &ctx.clinic.name);
    let page = page.with_title(heading.clone());
    let lang = page.lang;
    let Some(location) = pick_location(ctx, q.location.as_deref()) else {
        return error_page(page, ApiError::not_found("location"));
    };
    let tz = ctx.tz(location);
    let now = Timestamp::now();
    let today = now.to_zoned(tz.clone()).date();
    let desk = opt(&q.desk).unwrap_or_default();
    let fail = |page: Page, e: ApiError| error_page(page, e);
    // The day's queues and their tickets (staff views, with names and positions).
    let open = match state.store.queues(ctx.clinic.id, today, Some(location)).await {
        Ok(qs) => qs,
        Err(e) => return fail(page, e.into()),
    };
    let mut queues = Vec::with_capacity(open.len());
    let mut ticket_of = std::collections::HashMap::new();
    for queue in &open {
        let all = match state.store.queue_tickets(ctx.clinic.id, queue.id).await {
            Ok(all) => all,
            Err(e) => return fail(page, e.into()),
        };
        for t in &all {
            if let Some(a) = t.appointment {
                ticket_of.insert(a, t.code.clone());
            }
        }
        let views = match queue_view::tickets(state, ctx, queue, &all, true).await {
            Ok(v) => v,
            Err(e) => return fail(page, e),
        };
        let tickets = all
            .iter()
            .zip(views)
            .filter(|(t, _)| !t.status.is_final())
            .map(|(t, v)| ticket_row(&page, t.status, v, &tz))
            .collect();
        let counts = page.ta(
            "pages-desk-counts",
            &Args::new()
                .num("waiting", i64::from(queue.waiting))
                .num("called", i64::from(queue.called))
                .num("served", i64::from(queue.served)),
        );
        queues.push(QueueView {
            id: queue.id.to_string(),
            name: queue.name.clone(),
            counts,
            closed: queue.closed_at.is_some(),
            tickets,
        });
    }
    // Today's appointments at this location, per practitioner.
    let start = today.to_zoned(tz.clone()).map(|z| z.timestamp()).unwrap_or(now);
    let end = today.checked_add(1.day()).ok().and_then(|d| d.to_zoned(tz.clone()).ok()).map_or(now, |z| z.timestamp());
    let filter = AppointmentFilter {
        practitioner: None,
        patient: None,
        location: Some(location),
        service: None,
        status: None,
        from: Some(start),
        to: Some(end),
        limit: 500,
        after: None,
    };
    let booked = match state.store.appointments(ctx.clinic.id, &filter).await {
        Ok(list) => list,
        Err(e) => return fail(page, e.into()),
    };
    let practitioners = state.store.practitioners(ctx.clinic.id).await.unwrap_or_default();
    let mut columns: Vec<Column> = Vec::new();
    for a in &booked {
        let Ok(Some(f)) = state.store.appointment_facts(ctx.clinic.id, a.id).await else { continue };
        let ticket = ticket_of.get(&a.id).cloned();
        let row = Row {
            time: format_time(lang, a.start, &tz),
            patient: f.patient_name,
            service: f.service,
            status: page.t(&format!("pages-status-{}", a.status.as_str())),
            check_in: (a.status == AppointmentStatus::Booked && ticket.is_none()).then(|| a.id.to_string()),
            ticket,
        };
        match columns.iter_mut().find(|c| c.practitioner == f.practitioner) {
            Some(c) => c.rows.push(row),
            None => columns.push(Column { practitioner: f.practitioner, rows: vec![row] }),
        }
    }
    let notice = match (q.said.as_deref(), q.code.as_deref()) {
        (Some(said @ ("called" | "checked-in" | "walk-in" | "done")), Some(code)) => {
            Some(page.ta(&format!("pages-desk-said-{said}"), &Args::new().str("code", code).str("desk", desk.as_str())))
        }
        _ => None,
    };
    let locations = ctx.locations.iter().map(|l| (l.id.to_string(), l.name.clone(), l.id == location)).collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let at_field = |f: &str| error.as_ref().filter(|e| e.field.as_deref() == Some(f)).map(|e| e.detail.clone());
    let (name_error, phone_error) = (at_field("name"), at_field("phone"));
    let view = DeskPage {
        name_error,
        phone_error,
        heading,
        today: nobat_i18n::format_civil_date(lang, today, nobat_i18n::CalendarPref::LocaleDefault),
        base: format!("/desk/{clinic}"),
        location: location.to_string(),
        locations,
        keep: address(clinic, Some(location), Some(&desk), None),
        desk,
        notice,
        error,
        columns,
        queues,
        practitioners: practitioners.into_iter().filter(|p| p.active).map(|p| (p.id.to_string(), p.name)).collect(),
        // The location's board stream: a message on connecting and after every change to a
        // queue here (shared by every screen of the location, one read per change).
        stream: format!("/api/v1/clinics/{}/locations/{location}/board/events", ctx.clinic.id),
        page: &page,
    };
    let html = view.render();
    page.respond(status, html)
}

fn ticket_row(page: &Page, status: TicketStatus, v: TicketDto, tz: &jiff::tz::TimeZone) -> TicketRow {
    let at = |raw: &str| raw.parse::<Timestamp>().map(|t| format_time(page.lang, t, tz)).unwrap_or_default();
    let detail = match status {
        TicketStatus::Waiting => {
            let mut s =
                page.ta("pages-desk-position", &Args::new().num("position", i64::from(v.position.unwrap_or(0))));
            if let Some(e) = &v.estimate {
                s.push_str(" · ");
                s.push_str(&page.t1("pages-desk-expected", "time", &at(&e.p50)));
            }
            s
        }
        TicketStatus::Called | TicketStatus::InService => v.desk.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let actions = ACTIONS
        .iter()
        .filter(|a| **a != Action::Emergency && apply(status, **a).is_ok())
        .map(|a| (a.as_str(), page.t(&format!("pages-desk-action-{}", a.as_str()))))
        .collect();
    TicketRow {
        place: format!("/q/{}", v.token),
        id: v.id,
        code: v.code,
        patient: v.patient_name.unwrap_or_default(),
        status: page.t(&format!("pages-ticket-{}", status.as_str())),
        status_key: status.as_str(),
        detail,
        actions,
        emergency: apply(status, Action::Emergency).is_ok(),
    }
}

/// The common fields of every desk form.
#[derive(Debug, Default, Deserialize)]
pub struct DeskForm {
    location: Option<String>,
    desk: Option<String>,
    appointment: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    practitioner: Option<String>,
    action: Option<String>,
    reason: Option<String>,
}

/// Runs one desk action: on success back to the desk saying what happened (a 303, so a reload
/// does not repeat it), on refusal the desk again with the reason at the top.
async fn act<F, Fut>(
    state: AppState,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    clinic: String,
    body: Bytes,
    run: F,
) -> Response
where
    F: FnOnce(AppState, Staff<RunQueues>, DeskForm) -> Fut,
    Fut: std::future::Future<Output = Result<(&'static str, String), ApiError>>,
{
    let staff_ = match staff(&state, &asked, me, &clinic).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let f: DeskForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), Some(&staff_.principal)), e),
    };
    let location = pick_location(&staff_.ctx, f.location.as_deref());
    let desk = opt(&f.desk);
    let q = DeskQuery { location: f.location.clone(), desk: desk.clone(), said: None, code: None };
    // The handler takes its own grant (the same decision, made again for this call).
    let again = match grant::<RunQueues>(&state, &staff_.principal, staff_.ctx.clone()).await {
        Ok(s) => s,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), Some(&staff_.principal)), e),
    };
    match run(state.clone(), again, f).await {
        Ok((said, code)) => see_other(&address(&clinic, location, desk.as_deref(), Some((said, &code)))),
        Err(e) => {
            let lang = asked.resolve(Some(&staff_.ctx.clinic.default_language));
            render(&state, &asked, &staff_, &clinic, &q, Some(explain(e, lang))).await
        }
    }
}

fn json<T>(value: T) -> ApiJson<T> {
    ApiJson { value, canonical: String::new() }
}

/// `POST /desk/{clinic}/check-in`: a booked appointment of today gets its ticket.
pub async fn check_in(
    State(state): State<AppState>,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    Path(clinic): Path<String>,
    body: Bytes,
) -> Response {
    let c = clinic.clone();
    act(state, asked, me, clinic, body, |state, staff, f| async move {
        let id = f.appointment.unwrap_or_default();
        let (_, axum::Json(t)) = queues::check_in(State(state), staff, Path((c, id))).await?;
        Ok(("checked-in", t.ticket.code))
    })
    .await
}

/// `POST /desk/{clinic}/walk-in`: a patient without an appointment joins the practitioner's
/// queue of today (or the location's general one), opened on first use.
pub async fn walk_in(
    State(state): State<AppState>,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    Path(clinic): Path<String>,
    body: Bytes,
) -> Response {
    let c = clinic.clone();
    act(state, asked, me, clinic, body, |state, staff, f| async move {
        let location =
            pick_location(&staff.ctx, f.location.as_deref()).ok_or_else(|| ApiError::not_found("location"))?;
        let practitioner = opt(&f.practitioner).filter(|p| p != "any");
        // The name is checked first, so an empty form opens no queue.
        nobat_core::queue::walk_in_contact(f.name.as_deref().unwrap_or(""), opt(&f.phone).as_deref(), None, None)?;
        let grant_again = grant::<RunQueues>(&state, &staff.principal, staff.ctx.clone()).await?;
        let open = OpenQueueInput { location: location.to_string(), date: None, practitioner, service: None };
        let axum::Json(queue) =
            queues::open_queue(State(state.clone()), grant_again, Path(c.clone()), json(open)).await?;
        let input = WalkInInput {
            patient: WalkInPatient {
                name: f.name.unwrap_or_default(),
                phone: opt(&f.phone),
                email: None,
                language: None,
            },
            service: None,
            priority: None,
        };
        let (_, axum::Json(t)) = queues::walk_in(State(state), staff, Path((c, queue.id)), json(input)).await?;
        Ok(("walk-in", t.ticket.code))
    })
    .await
}

/// `POST /desk/{clinic}/queues/{queue}/call-next`: the first waiting patient, to this desk.
pub async fn call_next(
    State(state): State<AppState>,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    Path((clinic, queue)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let c = clinic.clone();
    act(state, asked, me, clinic, body, |state, staff, f| async move {
        let input = CallNextInput { desk: opt(&f.desk) };
        let axum::Json(t) = queues::call_next(
            State(state),
            staff,
            Path((c, queue)),
            IdempotencyKey(None),
            MaybeJson(Some(json(input))),
        )
        .await?;
        Ok(("called", t.ticket.code))
    })
    .await
}

/// `POST /desk/{clinic}/tickets/{ticket}`: one of the ticket's actions (`action` field).
pub async fn ticket(
    State(state): State<AppState>,
    asked: Asked,
    me: Result<MaybeSignedIn, ApiError>,
    Path((clinic, ticket)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    act(state, asked, me, clinic, body, |state, staff, f| async move {
        let action = f
            .action
            .as_deref()
            .and_then(Action::from_route)
            .filter(|a| ACTIONS.contains(a))
            .ok_or_else(|| ApiError::invalid("action", "one of the desk's buttons"))?;
        let input = TicketActionInput { reason: opt(&f.reason), queue: None, position: None };
        let axum::Json(t) = tickets::act(state, staff, ticket, action, MaybeJson(Some(json(input)))).await?;
        Ok(("done", t.ticket.code))
    })
    .await
}
