//! `/board/{location}`: the waiting-room board for a TV. It shows what the public board API
//! shows (codes, desks, the next codes; no names), a clock, and its headings in each of the six
//! languages in turn. It needs no interaction: the script follows the board's event stream
//! (which reconnects by itself), and without JavaScript the page reloads every 20 seconds.

use super::errors::error_page;
use super::page::{Asked, Page};
use crate::AppState;
use crate::context::ClinicCtx;
use crate::problem::ApiError;
use crate::queue_view;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use nobat_core::LocationId;
use nobat_i18n::{Args, Lang, Messages, format_time};
use std::collections::BTreeMap;

const LABELS: [&str; 5] =
    ["pages-board-title", "pages-board-called", "pages-board-go", "pages-board-next", "pages-board-waiting"];

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage<'a> {
    page: &'a Page,
    place: String,
    clock: String,
    zone: String,
    stream: String,
    labels: String,
    board: queue_view::Board,
    waiting: Vec<String>,
}

/// Every language's headings, for the script's rotation (`§` stands for the number waiting).
fn labels() -> String {
    let mut all: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    if let Ok(m) = Messages::embedded() {
        for lang in Lang::ALL {
            let said = LABELS
                .iter()
                .map(|k| (*k, m.render(lang, k, &Args::new().str("count", "§")).unwrap_or_default()))
                .collect();
            all.insert(lang.code(), said);
        }
    }
    // Inside a <script type="application/json">: no `<` may close it early.
    serde_json::to_string(&all).unwrap_or_default().replace('<', "\\u003c")
}

pub async fn board(State(state): State<AppState>, asked: Asked, Path(location): Path<String>) -> Response {
    let fallback = Page::new(&asked, asked.resolve(None), None);
    let Ok(id) = location.parse::<LocationId>() else {
        return error_page(fallback, ApiError::not_found("location"));
    };
    // The location names its clinic: found in the directory, like the API's board.
    let clinic = match state.store.clinics().await {
        Ok(all) => all.into_iter().find(|(_, locations)| locations.iter().any(|l| l.id == id)).map(|(c, _)| c),
        Err(e) => return error_page(fallback, e.into()),
    };
    let Some(clinic) = clinic else { return error_page(fallback, ApiError::not_found("location")) };
    let ctx = match ClinicCtx::load(&state, &clinic.id.to_string()).await {
        Ok(ctx) => ctx,
        Err(e) => return error_page(fallback, e),
    };
    let page = Page::new(&asked, asked.resolve(Some(&ctx.clinic.default_language)), None);
    let board = match queue_view::board(&state, &ctx, id).await {
        Ok(b) => b,
        Err(e) => return error_page(page, e),
    };
    let tz = ctx.tz(id);
    let place = ctx.locations.iter().find(|l| l.id == id).map(|l| l.name.clone()).unwrap_or_default();
    let title = page.t("pages-board-title");
    let page = page.with_title(format!("{title} · {place}"));
    let waiting = board
        .queues
        .iter()
        .map(|q| page.ta("pages-board-waiting", &Args::new().num("count", i64::from(q.waiting))))
        .collect();
    let view = BoardPage {
        page: &page,
        place,
        clock: format_time(page.lang, jiff::Timestamp::now(), &tz),
        zone: tz.iana_name().unwrap_or("UTC").to_owned(),
        stream: format!("/api/v1/clinics/{}/locations/{id}/board/events", ctx.clinic.id),
        labels: labels(),
        board,
        waiting,
    };
    let html = view.render();
    page.respond(StatusCode::OK, html)
}
