//! A clinic's data as CSV files: exports for a practice-management system or a spreadsheet,
//! and imports for a clinic moving in from another system.
//!
//! * [`export`] — appointments, patients, queue history, practitioners and services.
//! * [`import_file`] — reads a file, checks each row in the core, commits in batches.
//!
//! Files are UTF-8 with a byte-order mark (spreadsheets otherwise show Persian and Arabic as
//! mojibake), comma-separated, RFC 4180 quoting; an import also takes `;`-separated files (what
//! a French-locale spreadsheet saves) and files without the mark.

pub mod export;
pub mod import_file;

pub use export::ExportKind;
pub use import_file::{ImportSummary, RefusedRow};

/// The byte-order mark the exports begin with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";
