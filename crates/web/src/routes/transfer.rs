//! CSV in and out: a clinic's appointments, patients and queue history for a practice-management
//! system or a spreadsheet, and the import of practitioners, services and appointments for a
//! clinic moving in from another system. The files and the row rules are the store's and the
//! core's (`nobat_store::transfer`, `nobat_core::transfer`); this is the HTTP shell.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::ApiQuery;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use nobat_core::access::TransferData;
use nobat_core::transfer::ImportKind;
use nobat_store::transfer::{ExportKind, ImportSummary};
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest range one export covers.
pub const MAX_EXPORT_DAYS: i32 = 366;
/// The largest file the API imports; bigger moves go through `nobat import`.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// First day (YYYY-MM-DD), in each location's calendar; required for `appointments` and
    /// `queue-history`.
    pub from: Option<String>,
    /// Last day, included.
    pub to: Option<String>,
}

fn day(field: &str, raw: &str) -> Result<Date, ApiError> {
    raw.parse::<Date>().map_err(|_| ApiError::invalid(field, "write the day as YYYY-MM-DD"))
}

/// A CSV file: `appointments`, `patients`, `queue-history`, `practitioners` or `services`.
/// UTF-8 with a byte-order mark, comma-separated; times in the location's offset; free text
/// that a spreadsheet would run as a formula is prefixed with `'`. Exports holding patients'
/// data are written to the audit trail.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/exports/{kind}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"),
           ("kind" = String, Path, description = "appointments, patients, queue-history, practitioners or services"),
           ExportParams),
    responses((status = 200, description = "the CSV file", content_type = "text/csv"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn export(
    State(state): State<AppState>,
    staff: Staff<TransferData>,
    Path((_clinic, kind)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let kind = ExportKind::parse(&kind).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found", "no such export; see the API documentation")
    })?;
    let range = match (q.from.as_deref(), q.to.as_deref()) {
        (Some(from), Some(to)) => {
            let (from, to) = (day("from", from)?, day("to", to)?);
            if to < from {
                return Err(ApiError::invalid("to", "the range ends before it starts"));
            }
            if (to - from).get_days() >= MAX_EXPORT_DAYS {
                return Err(ApiError::invalid("to", format!("at most {MAX_EXPORT_DAYS} days per export")));
            }
            Some((from, to))
        }
        (None, None) if !kind.takes_range() => None,
        (None, _) => return Err(ApiError::invalid("from", "give the first day (YYYY-MM-DD)")),
        (_, None) => return Err(ApiError::invalid("to", "give the last day (YYYY-MM-DD)")),
    };
    let clinic = staff.ctx.clinic.clone();
    let file = state.store.export_csv(clinic.id, kind, range).await?;
    let span = range.map(|(f, t)| format!("-{f}-{t}")).unwrap_or_default();
    let name = format!("{}-{}{span}.csv", clinic.slug, kind.as_str());
    if kind.personal() {
        let what = format!("{}{span}", kind.as_str());
        let cmd = Command::RecordExport { clinic: clinic.id, what, bytes: file.len() as u64, actor: staff.actor() };
        match state.store.execute(cmd).await? {
            Output::Done => {}
            other => return Err(super::unexpected(other)),
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        file,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Rows per transaction, 1–1000 (default 200).
    pub batch: Option<u32>,
}

/// A row the import did not take.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedRowDto {
    /// The file's line (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub field: Option<String>,
    pub reason: String,
}

/// What an import did. Running the same file again adds nothing twice: rows committed before
/// are counted in `existing`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummaryDto {
    pub kind: String,
    pub rows: u64,
    pub added: u64,
    pub existing: u64,
    pub refused: Vec<RefusedRowDto>,
    pub batches: u64,
}

impl From<ImportSummary> for ImportSummaryDto {
    fn from(s: ImportSummary) -> Self {
        ImportSummaryDto {
            kind: s.kind,
            rows: s.rows,
            added: s.added,
            existing: s.existing,
            refused: s
                .refused
                .into_iter()
                .map(|r| RefusedRowDto { line: r.line, field: r.field, reason: r.reason })
                .collect(),
            batches: s.batches,
        }
    }
}

/// Imports `practitioners`, `services` or `appointments` from a CSV file (the body, up to
/// 16 MiB; the columns are the export's). Rows are committed in batches; a refused row is
/// reported with its line and reason and does not stop the rest. Imported appointments are
/// checked against the practitioner's other appointments (never double-booked) but not
/// against the weekly hours, and send no confirmations.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/imports/{kind}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"),
           ("kind" = String, Path, description = "practitioners, services or appointments"), ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummaryDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn import(
    State(state): State<AppState>,
    staff: Staff<TransferData>,
    Path((_clinic, kind)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ImportParams>,
    body: Bytes,
) -> ApiResult<Json<ImportSummaryDto>> {
    let kind = ImportKind::parse(&kind).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found", "no such import; see the API documentation")
    })?;
    let batch = q.batch.unwrap_or(200);
    if !(1..=1000).contains(&batch) {
        return Err(ApiError::invalid("batch", "between 1 and 1000"));
    }
    let clinic = staff.ctx.clinic.clone();
    let summary = state.store.import_csv(&clinic, kind, &body, &staff.actor(), batch as usize, &mut |_| {}).await?;
    Ok(Json(summary.into()))
}
