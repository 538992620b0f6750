//! Reading an import file and committing it in batches.
//!
//! The whole file is refused only when it cannot be read as the kind it claims to be (not
//! UTF-8, a required column missing). Otherwise every row is checked by the core and the good
//! ones are committed in batches of `batch` rows, each batch one transaction through the
//! writer; a refused row is reported with its line number and reason and does not stop the
//! rest. Each committed row's key is written with it (`import_keys`), so a run that stopped
//! half-way — a killed process, a closed laptop — is resumed by running the same file again:
//! what was committed is found and skipped, nothing is added twice.

use super::BOM;
use crate::Store;
use crate::audit::AuditActor;
use crate::commands::{Command, ImportBatch, ImportData, ImportRow, Output};
use crate::error::{StoreError, StoreResult};
use crate::model::Clinic;
use nobat_core::phone::Country;
use nobat_core::transfer::{Fields, ImportKind, appointment_row, practitioner_row, service_row};
use nobat_core::{DomainError, ServiceId};
use serde::Serialize;
use std::collections::HashMap;

/// The most rows one file may hold; a larger move is split into several files.
pub const MAX_ROWS: u64 = 200_000;

/// A row the import did not take, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefusedRow {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub field: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportSummary {
    pub kind: String,
    /// Data rows read (the header not counted).
    pub rows: u64,
    pub added: u64,
    /// Rows imported by an earlier run (or already in the clinic by name): skipped.
    pub existing: u64,
    pub refused: Vec<RefusedRow>,
    /// Transactions committed.
    pub batches: u64,
}

/// Progress of a running import, after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub rows_done: u64,
    pub rows_total: u64,
}

struct Record<'a> {
    header: &'a HashMap<String, usize>,
    cells: &'a csv::StringRecord,
}

impl Fields for Record<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        let i = *self.header.get(column)?;
        self.cells.get(i).map(str::trim).filter(|v| !v.is_empty())
    }
}

fn refusal(line: u64, e: &DomainError) -> RefusedRow {
    match e {
        DomainError::Invalid { field, message, .. } => {
            RefusedRow { line, field: Some(field.clone()), reason: message.clone() }
        }
        other => RefusedRow { line, field: None, reason: other.to_string() },
    }
}

/// The file's line of a record, as an editor numbers it. The csv reader's own count and its
/// record positions include the blank lines skipped before a record, which would send a person
/// to the wrong row; this counts newlines up to the record's first character.
struct Lines<'a> {
    data: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn of(data: &'a [u8]) -> Lines<'a> {
        let newlines = data.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
        Lines { data, newlines }
    }

    fn at(&self, position: Option<&csv::Position>) -> u64 {
        let mut byte = position.map_or(0, |p| p.byte() as usize);
        while matches!(self.data.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        self.newlines.partition_point(|nl| *nl < byte) as u64 + 1
    }
}

/// `;` when the header has semicolons and no commas (a French-locale spreadsheet), else `,`.
fn delimiter(data: &[u8]) -> u8 {
    let first = data.split(|b| *b == b'\n').next().unwrap_or_default();
    if first.contains(&b';') && !first.contains(&b',') { b';' } else { b',' }
}

impl Store {
    /// Imports one file into `clinic`. See the module documentation.
    pub async fn import_csv(
        &self,
        clinic: &Clinic,
        kind: ImportKind,
        data: &[u8],
        actor: &AuditActor,
        batch: usize,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> StoreResult<ImportSummary> {
        let data = data.strip_prefix(BOM).unwrap_or(data);
        if std::str::from_utf8(data).is_err() {
            return Err(DomainError::invalid("file", "the file is not UTF-8 text; save it as CSV UTF-8").into());
        }
        let lines = Lines::of(data);
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter(data)).flexible(true).from_reader(data);
        let header: HashMap<String, usize> = reader
            .headers()
            .map_err(|e| DomainError::invalid("file", format!("the header line cannot be read: {e}")))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
            .collect();
        for column in kind.required() {
            if !header.contains_key(*column) {
                return Err(DomainError::invalid(*column, format!("the file has no `{column}` column")).into());
            }
        }
        let country = clinic.country.as_deref().and_then(|c| Country::parse("country", c).ok());
        let mut summary = ImportSummary { kind: kind.as_str().to_owned(), ..ImportSummary::default() };
        let mut pending: Vec<ImportRow> = Vec::new();
        let mut records = Vec::new();
        for result in reader.records() {
            summary.rows += 1;
            if summary.rows > MAX_ROWS {
                return Err(DomainError::invalid("file", format!("at most {MAX_ROWS} rows per file; split it")).into());
            }
            match result {
                Ok(cells) => records.push(cells),
                Err(e) => {
                    let line = lines.at(e.position());
                    summary.refused.push(RefusedRow { line, field: None, reason: format!("unreadable row: {e}") });
                }
            }
        }
        let total = records.len() as u64;
        for (done, cells) in (1u64..).zip(&records) {
            let line = lines.at(cells.position());
            let record = Record { header: &header, cells };
            let data = match kind {
                ImportKind::Practitioners => practitioner_row(&record).map(ImportData::Practitioner),
                ImportKind::Services => service_row(&record, ServiceId::new(), clinic.id).map(ImportData::Service),
                ImportKind::Appointments => {
                    appointment_row(&record, country).map(|a| ImportData::Appointment(Box::new(a)))
                }
            };
            match data {
                Ok(data) => pending.push(ImportRow { line, data }),
                Err(e) => summary.refused.push(refusal(line, &e)),
            }
            if pending.len() >= batch.max(1) {
                self.commit_batch(clinic, kind, &mut pending, actor, &mut summary).await?;
                progress(Progress { rows_done: done, rows_total: total });
            }
        }
        if !pending.is_empty() {
            self.commit_batch(clinic, kind, &mut pending, actor, &mut summary).await?;
        }
        progress(Progress { rows_done: total, rows_total: total });
        summary.refused.sort_by_key(|r| r.line);
        Ok(summary)
    }

    async fn commit_batch(
        &self,
        clinic: &Clinic,
        kind: ImportKind,
        pending: &mut Vec<ImportRow>,
        actor: &AuditActor,
        summary: &mut ImportSummary,
    ) -> StoreResult<()> {
        let rows = std::mem::take(pending);
        let cmd = Command::Import(ImportBatch { clinic: clinic.id, kind, rows, actor: actor.clone() });
        match self.execute(cmd).await? {
            Output::Imported(out) => {
                summary.added += out.added.len() as u64;
                summary.existing += out.existing.len() as u64;
                summary.refused.extend(out.refused.iter().map(|(line, e)| refusal(*line, e)));
                summary.batches += 1;
                Ok(())
            }
            _ => Err(StoreError::Unavailable("the writer answered an import with something else".into())),
        }
    }
}
