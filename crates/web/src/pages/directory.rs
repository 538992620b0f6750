//! `/`: the instance's landing page, every clinic with its locations.

use super::errors::error_page;
use super::page::{Asked, Page};
use crate::AppState;
use crate::auth::principal::MaybeSignedIn;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

pub struct ClinicItem {
    pub name: String,
    pub href: String,
    pub book: String,
    pub places: Vec<String>,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct Directory<'a> {
    page: &'a Page,
    clinics: Vec<ClinicItem>,
}

pub async fn home(
    State(state): State<AppState>,
    asked: Asked,
    who: Result<MaybeSignedIn, crate::problem::ApiError>,
) -> Response {
    let principal = who.ok().and_then(|w| w.0);
    let page = Page::new(&asked, asked.resolve(None), principal.as_ref());
    let title = page.t("pages-directory-title");
    let page = page.with_title(title);
    let clinics = match state.store.clinics().await {
        Ok(c) => c,
        Err(e) => return error_page(page, e.into()),
    };
    let clinics = clinics
        .iter()
        .map(|(c, locations)| ClinicItem {
            name: c.name.clone(),
            href: format!("/c/{}", c.slug),
            book: page.t1("pages-directory-book", "clinic", &c.name),
            places: locations
                .iter()
                .map(|l| if l.address.is_empty() { l.name.clone() } else { format!("{} — {}", l.name, l.address) })
                .collect(),
        })
        .collect();
    let html = Directory { page: &page, clinics }.render();
    page.respond(StatusCode::OK, html)
}
