//! The patient record as a printable page for staff, in the reader's language (RTL for Farsi
//! and Arabic). The same access as the record's JSON: clinical notes for `ClinicalNotes`
//! holders only; the read is written to the patient's access log.

use super::notes::record_read;
use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::parse_id;
use crate::pages::page::{Asked, Page};
use crate::problem::{ApiResult, Problem};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use nobat_core::PatientId;
use nobat_core::access::{Capability, ClinicalNotes, ViewPatients};
use nobat_i18n::Args;
use nobat_store::reads::clinical::TimelineEntry;

struct PrintVersion {
    label: String,
    sections: Vec<(String, String)>,
    reason: Option<String>,
    signed: String,
}

struct PrintNote {
    heading: String,
    versions: Vec<PrintVersion>,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage<'a> {
    page: &'a Page,
    heading: String,
    merged: bool,
    facts: Vec<(String, String)>,
    timeline: Vec<(String, String, String)>,
    clinical: bool,
    notes: Vec<PrintNote>,
    printed: String,
}

/// The patient's record as a printable HTML page (`?lang=` chooses the language).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/record/print", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "the printable page", content_type = "text/html"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn print_record(
    State(state): State<AppState>,
    staff: Staff<ViewPatients>,
    asked: Asked,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id: PatientId = parse_id("patient", &id)?;
    let clinic = staff.ctx.clinic.id;
    let p = state.store.patient(clinic, id).await?;
    let clinical = ClinicalNotes::allows(staff.role);
    let timeline = state.store.timeline(clinic, id, clinical).await?;
    let notes = if clinical { state.store.notes_of_patient(&state.data_keys, clinic, id).await? } else { Vec::new() };
    let consents = state.store.consents(clinic, id).await?;
    let merged = state.store.merged_into(clinic, id).await?.is_some();
    record_read(&state, clinic, id, if clinical { "print_record" } else { "print" }, staff.actor()).await?;

    let lang = asked.resolve(Some(&staff.ctx.clinic.default_language));
    let page = Page::new(&asked, lang, Some(&staff.principal));
    let heading = page.t1("pages-record-title", "name", &p.name);
    let page = page.with_title(heading.clone());
    let mut facts = Vec::new();
    for (key, value) in [
        ("pages-record-phone", p.phone.clone()),
        ("pages-record-email", p.email.clone()),
        ("pages-record-language", p.language.clone()),
    ] {
        if let Some(v) = value {
            facts.push((page.t(key), v));
        }
    }
    let given: Vec<String> = consents.iter().filter(|c| c.withdrawn_at.is_none()).map(|c| c.kind.clone()).collect();
    facts.push((page.t("pages-record-consents"), given.join(", ")));
    let rows = timeline
        .iter()
        .map(|e| {
            let kind = match e {
                TimelineEntry::Appointment { .. } => "pages-record-appointment",
                TimelineEntry::QueueVisit { .. } => "pages-record-queue",
                TimelineEntry::Note { .. } => "pages-record-note",
            };
            let detail = match e {
                TimelineEntry::Appointment { status, .. } | TimelineEntry::QueueVisit { status, .. } => status.clone(),
                TimelineEntry::Note { status, version, .. } => format!("{status} v{version}"),
            };
            (e.at().strftime("%Y-%m-%d %H:%M UTC").to_string(), page.t(kind), detail)
        })
        .collect();
    let notes = notes
        .iter()
        .map(|n| PrintNote {
            heading: format!("{} — {}", page.t("pages-record-note"), n.created_at.strftime("%Y-%m-%d")),
            versions: n
                .versions
                .iter()
                .map(|v| PrintVersion {
                    label: page.t1("pages-record-version", "n", &v.version.to_string()),
                    sections: [
                        ("pages-record-subjective", &v.soap.subjective),
                        ("pages-record-objective", &v.soap.objective),
                        ("pages-record-assessment", &v.soap.assessment),
                        ("pages-record-plan", &v.soap.plan),
                    ]
                    .into_iter()
                    .filter(|(_, t)| !t.is_empty())
                    .map(|(k, t)| (page.t(k), t.clone()))
                    .collect(),
                    reason: v.reason.as_ref().map(|r| page.t1("pages-record-reason", "reason", r)),
                    signed: match (&v.signed_by_label, v.signed_at) {
                        (Some(who), Some(at)) => page.ta(
                            "pages-record-signed",
                            &Args::new().str("who", who).str("at", at.strftime("%Y-%m-%d %H:%M UTC").to_string()),
                        ),
                        _ => page.t("pages-record-draft"),
                    },
                })
                .collect(),
        })
        .collect();
    let printed =
        page.t1("pages-record-printed", "at", &jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC").to_string());
    let view = RecordPage { page: &page, heading, merged, facts, timeline: rows, clinical, notes, printed };
    Ok(page.respond(StatusCode::OK, view.render()))
}
