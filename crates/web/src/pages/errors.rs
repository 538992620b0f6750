//! The core's refusals said to people: a problem code becomes the catalogue's title and detail
//! in the page's language (the same `problems.ftl` text the API's problem+json carries), placed
//! next to the form field it names. A whole-page failure (not found, expired link) is an HTML
//! page, never a JSON body.

use super::page::Page;
use crate::localise::{self, Localisable};
use crate::problem::ApiError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nobat_i18n::Lang;

/// A refusal as a page shows it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub status: StatusCode,
    /// The form field it is about (`name`, `phone`, …), if any.
    pub field: Option<String>,
    pub title: String,
    pub detail: String,
}

/// Says `e` in `lang`, once for every page.
pub fn explain(e: ApiError, lang: Lang) -> Shown {
    let status = e.status();
    let problem = e.problem();
    let res = e.into_response();
    let said = res.extensions().get::<Localisable>().and_then(|l| localise::render(l, lang));
    let (title, detail) = match said {
        Some(p) => (p.title, p.detail),
        None => (problem.title, problem.detail),
    };
    // The API names body fields (`patient.phone`); the form's inputs are the last part.
    let field = problem.field.map(|f| f.rsplit('.').next().unwrap_or(&f).to_owned());
    Shown { status, field, title, detail }
}

/// The messages of a form: at most one per field, plus those about no field.
#[derive(Debug, Default)]
pub struct FormErrors(pub Vec<Shown>);

impl FormErrors {
    pub fn of(shown: Shown) -> Self {
        Self(vec![shown])
    }

    /// The message for input `field`, if any.
    pub fn get(&self, field: &str) -> Option<String> {
        self.0.iter().find(|s| s.field.as_deref() == Some(field)).map(|s| s.detail.clone())
    }

    /// Messages that no input of the form shows (`fields` are those it has).
    pub fn general(&self, fields: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|s| s.field.as_deref().is_none_or(|f| !fields.contains(&f)))
            .map(|s| format!("{} {}", s.title, s.detail))
            .collect()
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    pub fn status(&self) -> StatusCode {
        self.0.first().map_or(StatusCode::OK, |s| s.status)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: &'a Page,
    shown: &'a Shown,
}

/// A whole page saying what went wrong, with the right status.
pub fn page(page: Page, shown: Shown) -> Response {
    let page = page.with_title(shown.title.clone());
    let html = ErrorPage { page: &page, shown: &shown }.render();
    page.respond(shown.status, html)
}

/// `page` for an API error.
pub fn error_page(page: Page, e: ApiError) -> Response {
    let lang = page.lang;
    self::page(page, explain(e, lang))
}
