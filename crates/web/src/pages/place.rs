//! `/q/{token}`: the patient's "my place" page, from the token on their ticket (the QR code of a
//! printed ticket, or the link a join or a check-in answers). It shows what the ticket API shows
//! — the code, the place in the line, when the call is expected, and once called where to go —
//! never a name. Phone first, large type. It follows the ticket's event stream when JavaScript
//! runs; without it the page reloads itself every 20 seconds.

use super::errors::error_page;
use super::page::{Asked, Page};
use crate::AppState;
use crate::auth::links;
use crate::context::ClinicCtx;
use crate::problem::ApiError;
use crate::queue_view;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use nobat_core::queue::TicketStatus;
use nobat_i18n::{Args, Lang, format_time};

#[derive(Template)]
#[template(path = "place.html")]
struct PlacePage<'a> {
    page: &'a Page,
    heading: String,
    code: String,
    queue: String,
    status_key: &'static str,
    status: String,
    /// The big line: "3 people before you" / "Go to Room 3".
    headline: String,
    detail: Option<String>,
    stream: String,
    called: bool,
    open: bool,
}

/// `GET /q/{token}`
pub async fn view(State(state): State<AppState>, asked: Asked, Path(token): Path<String>) -> Response {
    let fallback = || Page::new(&asked, asked.resolve(None), None);
    let Some((clinic, id)) = links::open_ticket(&state.auth.keys, &token, Timestamp::now()) else {
        return error_page(fallback(), ApiError::not_found("ticket"));
    };
    let ctx = match ClinicCtx::load(&state, &clinic.to_string()).await {
        Ok(ctx) => ctx,
        Err(e) => return error_page(fallback(), e),
    };
    // After a transfer the token follows the patient to the new queue, as in the API.
    let t = match state.store.current_ticket(ctx.clinic.id, id).await {
        Ok(t) => t,
        Err(e) => return error_page(fallback(), e.into()),
    };
    let place = match queue_view::my_place(&state, &ctx, &t).await {
        Ok(p) => p,
        Err(e) => return error_page(fallback(), e),
    };
    let patient_lang = state.store.patient(ctx.clinic.id, t.patient).await.ok().and_then(|p| p.language);
    // The reader's choice, else the patient's language, else the clinic's.
    let lang = asked
        .lang
        .or_else(|| patient_lang.as_deref().and_then(Lang::from_tag))
        .unwrap_or_else(|| asked.resolve(Some(&ctx.clinic.default_language)));
    let page = Page::new(&asked, lang, None);
    let heading = page.t("pages-place-title");
    let page = page.with_title(format!("{heading} · {}", place.ticket.code));
    let tz = ctx.tz(t.location);
    let at = |raw: &str| raw.parse::<Timestamp>().map(|x| format_time(lang, x, &tz)).unwrap_or_default();
    let (headline, detail) = match t.status {
        TicketStatus::Waiting => {
            let ahead = i64::from(place.ahead.unwrap_or(0));
            let headline = page.ta("pages-place-ahead", &Args::new().num("count", ahead));
            let detail = place.ticket.estimate.as_ref().map(|e| {
                let (from, to) = (at(&e.p50), at(&e.p90));
                if from == to {
                    page.t1("pages-place-expected-at", "time", &from)
                } else {
                    page.ta("pages-place-expected", &Args::new().str("from", from).str("to", to))
                }
            });
            (headline, detail)
        }
        TicketStatus::Called => match &place.called_to {
            Some(desk) => (page.t1("pages-place-go-to", "desk", desk), Some(page.t("pages-place-called-now"))),
            None => (page.t("pages-place-called-now"), None),
        },
        TicketStatus::InService => (page.t("pages-place-in-service"), None),
        TicketStatus::Absent => (page.t("pages-place-absent"), None),
        _ => (page.t("pages-place-finished"), None),
    };
    let view = PlacePage {
        heading,
        code: place.ticket.code.clone(),
        queue: place.queue_name.clone(),
        status_key: t.status.as_str(),
        status: page.t(&format!("pages-ticket-{}", t.status.as_str())),
        headline,
        detail,
        stream: format!("/api/v1/tickets/{token}/events"),
        called: t.status == TicketStatus::Called,
        open: !t.status.is_final(),
        page: &page,
    };
    let html = view.render();
    page.respond(StatusCode::OK, html)
}
