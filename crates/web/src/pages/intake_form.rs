//! `/m/{token}/forms/{form}`: the patient fills one of the clinic's intake forms from the
//! manage link, without JavaScript. Labels are shown in the page's language (else English,
//! else any); a Farsi form's date is typed as a Solar Hijri date and the core stores the ISO
//! date it names. Posting runs the same handler as `POST /api/v1/manage/{token}/forms/{form}`;
//! a refused answer re-shows the form with what was typed and the message naming the field.

use super::errors::{Shown, error_page, explain};
use super::page::{Asked, Page, see_other};
use crate::AppState;
use crate::routes::{intake, manage};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use nobat_core::intake::{DateCalendar, FieldKind, label};
use nobat_i18n::Lang;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct FieldView {
    pub key: String,
    pub label: String,
    /// `text`, `multiline`, `choice`, `yes_no`, `scale`, `date_iso`, `date_persian`, `signature`.
    pub kind: &'static str,
    pub required: bool,
    /// (value, label, checked)
    pub options: Vec<(String, String, bool)>,
    pub value: String,
    pub min: i32,
    pub max: i32,
    pub hint: Option<String>,
    pub invalid: bool,
}

#[derive(Template)]
#[template(path = "intake_form.html")]
struct FormPage<'a> {
    page: &'a Page,
    heading: String,
    done: bool,
    error: Option<Shown>,
    fields: Vec<FieldView>,
    action: String,
    back: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct FormQuery {
    done: Option<String>,
}

/// `GET /m/{token}/forms/{form}`
pub async fn view(
    State(state): State<AppState>,
    asked: Asked,
    Path((token, form)): Path<(String, String)>,
    query: Result<Query<FormQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let done = query.map(|Query(q)| q.done.is_some()).unwrap_or(false);
    render(&state, &asked, &token, &form, done, &BTreeMap::new(), None).await
}

/// `POST /m/{token}/forms/{form}`
pub async fn submit(
    State(state): State<AppState>,
    asked: Asked,
    Path((token, form)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let typed: BTreeMap<String, String> = pairs.into_iter().filter(|(k, _)| !k.starts_with('_')).collect();
    let answers: BTreeMap<String, Value> = typed.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    match intake::answer_as_patient(&state, &token, form.clone(), answers).await {
        Ok(_) => see_other(&format!("/m/{token}/forms/{form}?done=1")),
        Err(e) => {
            let lang = page_lang(&state, &asked, &token).await;
            let shown = explain(e, lang);
            render(&state, &asked, &token, &form, false, &typed, Some(shown)).await
        }
    }
}

async fn page_lang(state: &AppState, asked: &Asked, token: &str) -> Lang {
    let Ok((ctx, a)) = manage::open(state, token).await else { return asked.resolve(None) };
    let patient = state.store.patient(ctx.clinic.id, a.patient).await.ok().and_then(|p| p.language);
    asked
        .lang
        .or_else(|| patient.as_deref().and_then(Lang::from_tag))
        .unwrap_or_else(|| asked.resolve(Some(&ctx.clinic.default_language)))
}

async fn render(
    state: &AppState,
    asked: &Asked,
    token: &str,
    form: &str,
    done: bool,
    typed: &BTreeMap<String, String>,
    error: Option<Shown>,
) -> Response {
    let (ctx, _) = match manage::open(state, token).await {
        Ok(found) => found,
        Err(e) => return error_page(Page::new(asked, asked.resolve(None), None), e),
    };
    let lang = page_lang(state, asked, token).await;
    let page = Page::new(asked, lang, None);
    let f = match state.store.intake_form(ctx.clinic.id, form, None).await {
        Ok(f) => f,
        Err(e) => return error_page(page, e.into()),
    };
    let code = lang.code();
    let heading = label(&f.spec.title, code).to_owned();
    let page = page.with_title(heading.clone());
    let bad_field = error.as_ref().and_then(|e| e.field.clone());
    let fields = f
        .spec
        .fields
        .iter()
        .map(|field| {
            let value = typed.get(&field.key).cloned().unwrap_or_default();
            let (kind, options, min, max, hint) = match &field.kind {
                FieldKind::Text { multiline: true } => shape("multiline", Vec::new(), 0, 0, None),
                FieldKind::Text { .. } => shape("text", Vec::new(), 0, 0, None),
                FieldKind::Signature => shape("signature", Vec::new(), 0, 0, Some(page.t("pages-form-signature"))),
                FieldKind::Choice { options } => shape(
                    "choice",
                    options
                        .iter()
                        .map(|o| (o.value.clone(), label(&o.label, code).to_owned(), o.value == value))
                        .collect(),
                    0,
                    0,
                    None,
                ),
                FieldKind::YesNo => shape(
                    "yes_no",
                    vec![
                        ("yes".to_owned(), page.t("pages-form-yes"), value == "yes"),
                        ("no".to_owned(), page.t("pages-form-no"), value == "no"),
                    ],
                    0,
                    0,
                    None,
                ),
                FieldKind::Scale { min, max } => shape("scale", Vec::new(), *min, *max, None),
                FieldKind::Date { calendar: DateCalendar::Persian } => {
                    shape("date_persian", Vec::new(), 0, 0, Some(page.t("pages-form-date-persian")))
                }
                FieldKind::Date { calendar: DateCalendar::Gregorian } => shape("date_iso", Vec::new(), 0, 0, None),
            };
            FieldView {
                invalid: bad_field.as_deref() == Some(field.key.as_str()),
                key: field.key.clone(),
                label: label(&field.label, code).to_owned(),
                kind,
                required: field.required,
                options,
                value,
                min,
                max,
                hint,
            }
        })
        .collect();
    let status = error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let view = FormPage {
        page: &page,
        heading,
        done,
        error,
        fields,
        action: format!("/m/{token}/forms/{form}"),
        back: format!("/m/{token}"),
    };
    page.respond(status, view.render())
}

/// How one field is drawn: its input kind, choices, bounds and hint.
type Shape = (&'static str, Vec<(String, String, bool)>, i32, i32, Option<String>);

fn shape(kind: &'static str, options: Vec<(String, String, bool)>, min: i32, max: i32, hint: Option<String>) -> Shape {
    (kind, options, min, max, hint)
}
