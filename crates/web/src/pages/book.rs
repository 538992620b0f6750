//! `/c/{clinic}`: booking in steps, as plain links and forms (JavaScript only decorates):
//! service → practitioner or "any" → day → time (a form button: holds the slot) → details →
//! the confirmation (the manage page). Every step calls the same handlers the REST API runs
//! (`routes::holds::create_hold`, `routes::booking::book`), so every rule — notice, horizon,
//! capacity, hold ownership, contact checks — is the core's, never the page's.
//!
//! The hold's owner token (a guest's proof) travels in an HttpOnly cookie, not in the page.

use super::errors::{FormErrors, Shown, error_page, explain};
use super::form::{self, opt};
use super::page::{Asked, Page, see_other};
use super::slots::{Span, Week, parse_slot, week};
use crate::AppState;
use crate::auth::grant::Visitor;
use crate::auth::limits::ClientNet;
use crate::context::{ClinicCtx, body_id, date};
use crate::dto::{BookInput, HoldInput, PatientInput};
use crate::extract::{ApiJson, IdempotencyKey};
use crate::problem::ApiError;
use crate::routes::{booking, holds};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use nobat_core::{HoldId, PractitionerId, ServiceId};
use nobat_i18n::{Args, CalendarPref, format_datetime, format_time};
use serde::Deserialize;

/// The cookie with the guest's hold: `<hold id>.<hold token>`.
pub const HOLD_COOKIE: &str = "nobat_hold";

#[derive(Debug, Default, Deserialize)]
pub struct BookQuery {
    pub service: Option<String>,
    /// A practitioner id, or `any`.
    pub practitioner: Option<String>,
    pub from: Option<String>,
    pub day: Option<String>,
    /// With service and practitioner: a deep link to one slot (the SMART publisher's); opening
    /// it holds the slot and goes to the details step.
    pub start: Option<String>,
    /// Set after a watch was created from this page: says so.
    pub watching: Option<String>,
}

pub struct Choice {
    pub label: String,
    pub meta: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage<'a> {
    page: &'a Page,
    action: String,
    heading: String,
    error: Option<Shown>,
    service: Option<(String, String)>,
    practitioner: Option<(String, String)>,
    services: Vec<Choice>,
    practitioners: Vec<Choice>,
    week: Option<Week>,
    service_id: String,
    /// "Tell me if an earlier time frees up", on a full day (`super::watch`).
    watch: Option<super::watch::WatchForm>,
}

fn lang_of(asked: &Asked, ctx: &ClinicCtx) -> nobat_i18n::Lang {
    asked.resolve(Some(&ctx.clinic.default_language))
}

/// `GET /c/{clinic}`
pub async fn start(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    net: ClientNet,
    query: Result<Query<BookQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    if let (Some(service), Some(practitioner), Some(start)) = (&q.service, &q.practitioner, &q.start)
        && practitioner != "any"
    {
        let slot = format!("{practitioner}|{start}");
        let service = service.clone();
        return place_hold(state, asked, visitor, net, service, slot, &q).await.unwrap_or_else(|r| r);
    }
    render(&state, &asked, &visitor, &q, None).await
}

/// The booking page at whichever step the query reaches, with `error` said at the top.
async fn render(state: &AppState, asked: &Asked, v: &Visitor, q: &BookQuery, error: Option<Shown>) -> Response {
    render_with(state, asked, v, q, error, FormErrors::default()).await
}

/// The same, with the refusal of the watch form said next to its fields.
pub(super) async fn render_with(
    state: &AppState,
    asked: &Asked,
    v: &Visitor,
    q: &BookQuery,
    error: Option<Shown>,
    watch_errors: FormErrors,
) -> Response {
    let ctx = &v.ctx;
    let page = Page::new(asked, lang_of(asked, ctx), v.principal.as_ref());
    let heading = page.t1("pages-book-title", "clinic", &ctx.clinic.name);
    let page = page.with_title(heading.clone());
    let slug = &ctx.clinic.slug;
    let fail = |page: Page, e: ApiError| error_page(page, e);
    let services = match state.store.services(ctx.clinic.id).await {
        Ok(s) => s.into_iter().filter(|s| s.active).collect::<Vec<_>>(),
        Err(e) => return fail(page, e.into()),
    };
    let minutes = |m: u32| page.ta("pages-duration", &Args::new().num("minutes", i64::from(m)));
    let mut view = BookPage {
        page: &page,
        action: format!("/c/{slug}/hold"),
        heading,
        error,
        service: None,
        practitioner: None,
        services: Vec::new(),
        practitioners: Vec::new(),
        week: None,
        service_id: String::new(),
        watch: None,
    };
    // Step 1: the service. An id that is not this clinic's is "not found", like the API's.
    let service = match q.service.as_deref().map(|s| body_id::<ServiceId>("service", s)) {
        None => None,
        Some(Err(e)) => return fail(page, e),
        Some(Ok(id)) => match services.iter().find(|s| s.id == id) {
            Some(s) => Some(s.clone()),
            None => return fail(page, ApiError::not_found("service")),
        },
    };
    let Some(service) = service else {
        view.services = services
            .iter()
            .map(|s| Choice {
                label: s.name.clone(),
                meta: minutes(s.duration_min),
                href: format!("/c/{slug}?service={}", s.id),
            })
            .collect();
        let html = view.render();
        return page.respond(status_of(&view.error), html);
    };
    view.service = Some((service.name.clone(), format!("/c/{slug}")));
    view.service_id = service.id.to_string();
    // Step 2: the practitioner, or anyone.
    let practitioners = match state.store.practitioners(ctx.clinic.id).await {
        Ok(p) => p.into_iter().filter(|p| p.active).collect::<Vec<_>>(),
        Err(e) => return fail(page, e.into()),
    };
    let chosen: Option<Option<PractitionerId>> = match q.practitioner.as_deref() {
        None => None,
        Some("any") => Some(None),
        Some(raw) => match body_id::<PractitionerId>("practitioner", raw) {
            Err(e) => return fail(page, e),
            Ok(id) if practitioners.iter().any(|p| p.id == id) => Some(Some(id)),
            Ok(_) => return fail(page, ApiError::not_found("practitioner")),
        },
    };
    let base = format!("/c/{slug}?service={}", service.id);
    let Some(practitioner) = chosen else {
        view.practitioners = std::iter::once(Choice {
            label: page.t("pages-any-practitioner"),
            meta: String::new(),
            href: format!("{base}&practitioner=any"),
        })
        .chain(practitioners.iter().map(|p| Choice {
            label: p.name.clone(),
            meta: p.specialties.join(", "),
            href: format!("{base}&practitioner={}", p.id),
        }))
        .collect();
        let html = view.render();
        return page.respond(status_of(&view.error), html);
    };
    let name = match practitioner {
        None => page.t("pages-any-practitioner"),
        Some(id) => practitioners.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default(),
    };
    view.practitioner = Some((name, base.clone()));
    // Step 3: the day and the time.
    let pick = |raw: &Option<String>, field: &str| raw.as_deref().and_then(|d| date(field, d).ok());
    let who = practitioner.map_or("any".to_owned(), |p| p.to_string());
    let week_base = format!("{base}&practitioner={who}&");
    match week(
        state,
        ctx,
        &page,
        &service,
        practitioner,
        Span { from: pick(&q.from, "from"), day: pick(&q.day, "day") },
        &week_base,
    )
    .await
    {
        Ok(w) => {
            view.watch = super::watch::offer(ctx, &service, practitioner, &w, q, watch_errors);
            view.week = Some(w);
        }
        Err(e) => return fail(page, e),
    }
    let status = match view.watch.as_ref().filter(|w| w.errors.any()) {
        Some(w) => w.errors.status(),
        None => status_of(&view.error),
    };
    let html = view.render();
    page.respond(status, html)
}

fn status_of(error: &Option<Shown>) -> StatusCode {
    error.as_ref().map_or(StatusCode::OK, |e| e.status)
}

#[derive(Deserialize)]
pub struct HoldForm {
    service: String,
    slot: String,
    from: Option<String>,
    day: Option<String>,
    practitioner: Option<String>,
}

/// `POST /c/{clinic}/hold`: a time button was pressed.
pub async fn hold(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    net: ClientNet,
    body: Bytes,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let f: HoldForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return error_page(Page::new(&asked, lang_of(&asked, &visitor.ctx), None), e),
    };
    let back = BookQuery {
        service: Some(f.service.clone()),
        practitioner: f.practitioner.clone().or_else(|| Some("any".into())),
        from: f.from,
        day: f.day,
        start: None,
        watching: None,
    };
    place_hold(state, asked, visitor, net, f.service, f.slot, &back).await.unwrap_or_else(|r| r)
}

/// Holds the slot through the API's own handler and goes on to the details step; on refusal,
/// the time step again with the reason.
async fn place_hold(
    state: AppState,
    asked: Asked,
    visitor: Visitor,
    net: ClientNet,
    service: String,
    slot: String,
    back: &BookQuery,
) -> Result<Response, Response> {
    let lang = lang_of(&asked, &visitor.ctx);
    let Some((practitioner, start)) = parse_slot(&slot) else {
        let shown = explain(ApiError::invalid("slot", "choose one of the times shown"), lang);
        return Err(render(&state, &asked, &visitor, back, Some(shown)).await);
    };
    let again = Visitor { ctx: visitor.ctx.clone(), principal: visitor.principal.clone() };
    let input = HoldInput { service, practitioner, start, location: None, patient: None, staff_override: false };
    let slug = visitor.ctx.clinic.slug.clone();
    let answer = holds::create_hold(
        State(state.clone()),
        visitor,
        ClientNet(net.0.clone()),
        IdempotencyKey(None),
        ApiJson { value: input, canonical: String::new() },
    )
    .await;
    match answer {
        Ok((_, _, axum::Json(dto))) => {
            let mut res = see_other(&format!("/c/{slug}/details?hold={}", dto.id));
            let value = format!(
                "{HOLD_COOKIE}={}.{}; Path=/c/; Max-Age={}; HttpOnly; SameSite=Lax{}",
                dto.id,
                dto.hold_token.unwrap_or_default(),
                state.hold_ttl.as_secs().max(60),
                if state.auth.tls() { "; Secure" } else { "" }
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            if asked.chosen
                && let Some(l) = asked.lang
            {
                super::page::remember_language(&mut res, l);
            }
            Ok(res)
        }
        Err(e) => Err(render(&state, &asked, &again, back, Some(explain(e, lang))).await),
    }
}

/// The guest's hold token for hold `id`, from the cookie.
fn hold_token(headers: &HeaderMap, id: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == HOLD_COOKIE)
        .find_map(|c| c.value().split_once('.').filter(|(h, _)| *h == id).map(|(_, t)| t.to_owned()))
        .filter(|t| !t.is_empty())
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailsQuery {
    hold: Option<String>,
}

#[derive(Template)]
#[template(path = "details.html")]
struct DetailsPage<'a> {
    page: &'a Page,
    heading: String,
    facts: Vec<(String, String)>,
    kept: String,
    expires: String,
    hold: String,
    slot: Vec<(&'static str, String)>,
    action: String,
    back: String,
    errors: FormErrors,
    general: Vec<String>,
    name: String,
    phone: String,
    email: String,
    note: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct BookForm {
    hold: String,
    /// The held slot, as the details page wrote it: the store checks it against the hold.
    service: Option<String>,
    practitioner: Option<String>,
    start: Option<String>,
    location: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    note: Option<String>,
}

/// `GET /c/{clinic}/details?hold=…`: the held slot and the patient's details form.
pub async fn details(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    query: Result<Query<DetailsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let hold = query.ok().and_then(|Query(q)| q.hold).unwrap_or_default();
    details_page(&state, &asked, &visitor, BookForm { hold, ..Default::default() }, FormErrors::default()).await
}

async fn details_page(state: &AppState, asked: &Asked, v: &Visitor, f: BookForm, errors: FormErrors) -> Response {
    let ctx = &v.ctx;
    let page = Page::new(asked, lang_of(asked, ctx), v.principal.as_ref());
    let heading = page.t1("pages-book-title", "clinic", &ctx.clinic.name);
    let page = page.with_title(heading.clone());
    let slug = &ctx.clinic.slug;
    let now = jiff::Timestamp::now();
    let hold = match body_id::<HoldId>("hold", &f.hold) {
        Ok(id) => state.store.hold(ctx.clinic.id, id).await.ok().filter(|h| h.expires_at > now),
        Err(_) => None,
    };
    let Some(hold) = hold else {
        // Gone (booked, released, expired) or never this clinic's: choose a time again.
        let shown = explain(
            ApiError::new(StatusCode::CONFLICT, "hold-invalid", "The hold cannot be used", "the hold has expired"),
            page.lang,
        );
        return render(state, asked, v, &BookQuery::default(), Some(shown)).await;
    };
    let tz = ctx.tz(hold.location);
    let service = state.store.service(ctx.clinic.id, hold.service).await.map(|s| s.name).unwrap_or_default();
    let practitioner =
        state.store.practitioner(ctx.clinic.id, hold.practitioner).await.map(|p| p.name).unwrap_or_default();
    let place = ctx.locations.iter().find(|l| l.id == hold.location).map(|l| l.name.clone()).unwrap_or_default();
    let facts = vec![
        (page.t("pages-what"), service),
        (page.t("pages-with"), practitioner),
        (page.t("pages-when"), format_datetime(page.lang, hold.start, &tz, CalendarPref::LocaleDefault)),
        (page.t("pages-where"), place),
    ];
    let kept = page.t1("pages-hold-note", "time", &format_time(page.lang, hold.expires_at, &tz));
    let status = errors.status();
    let general = errors.general(&["name", "phone", "email", "note"]);
    let view = DetailsPage {
        page: &page,
        heading,
        facts,
        kept,
        expires: hold.expires_at.to_string(),
        hold: hold.id.to_string(),
        slot: vec![
            ("service", hold.service.to_string()),
            ("practitioner", hold.practitioner.to_string()),
            ("start", crate::dto::local_time(hold.start, &tz)),
            ("location", hold.location.to_string()),
        ],
        action: format!("/c/{slug}/book"),
        back: format!("/c/{slug}?service={}&practitioner={}", hold.service, hold.practitioner),
        errors,
        general,
        name: f.name.unwrap_or_default(),
        phone: f.phone.unwrap_or_default(),
        email: f.email.unwrap_or_default(),
        note: f.note.unwrap_or_default(),
    };
    let html = view.render();
    page.respond(status, html)
}

/// `POST /c/{clinic}/book`: the details form; books through the API's handler.
pub async fn book(
    State(state): State<AppState>,
    asked: Asked,
    visitor: Result<Visitor, ApiError>,
    net: ClientNet,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let visitor = match visitor {
        Ok(v) => v,
        Err(e) => return error_page(Page::new(&asked, asked.resolve(None), None), e),
    };
    let lang = lang_of(&asked, &visitor.ctx);
    let f: BookForm = match form::parse(&body) {
        Ok(f) => f,
        Err(e) => return error_page(Page::new(&asked, lang, None), e),
    };
    let ctx = visitor.ctx.clone();
    let input = BookInput {
        service: f.service.clone().unwrap_or_default(),
        practitioner: f.practitioner.clone().unwrap_or_default(),
        start: f.start.clone().unwrap_or_default(),
        location: opt(&f.location),
        patient: PatientInput {
            name: f.name.clone().unwrap_or_default(),
            phone: opt(&f.phone),
            email: opt(&f.email),
            language: Some(lang.code().to_owned()),
        },
        hold: Some(f.hold.clone()),
        hold_token: hold_token(&headers, &f.hold),
        note: opt(&f.note),
        staff_override: false,
        contact_proof: None,
        consents: Vec::new(),
    };
    // A second press of the button (or a reload of the post) answers with the same booking
    // instead of "the hold is gone": the hold's id keys the request.
    let canonical =
        serde_json::json!([input.patient.name, input.patient.phone, input.patient.email, input.note]).to_string();
    let again = Visitor { ctx: ctx.clone(), principal: visitor.principal.clone() };
    let answer = booking::book(
        State(state.clone()),
        visitor,
        net,
        IdempotencyKey(Some(format!("page-book-{}", f.hold))),
        ApiJson { value: input, canonical },
    )
    .await;
    match answer {
        Ok((_, _, axum::Json(booked))) => {
            let mut res = see_other(&format!("/m/{}?booked=1", booked.manage_token));
            res.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_static("nobat_hold=; Path=/c/; Max-Age=0; HttpOnly; SameSite=Lax"),
            );
            res
        }
        Err(e) => details_page(&state, &asked, &again, f, FormErrors::of(explain(e, lang))).await,
    }
}
