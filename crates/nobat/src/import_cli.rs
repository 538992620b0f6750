//! `nobat import KIND FILE --clinic SLUG`: a clinic moving in from another system, from the
//! command line, with a progress bar. The same store path as `POST …/imports/{kind}`; only
//! the shell differs (no size cap, no request timeout: a move of years of appointments may
//! take minutes). Interrupted, it is resumed by running it again: rows committed before are
//! found by their keys and skipped.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use nobat_core::transfer::ImportKind;
use nobat_store::Store;
use nobat_store::transfer::ImportSummary;
use std::path::Path;

/// Runs the import and returns its summary (printed by the caller).
pub async fn run(store: &Store, kind: &str, file: &Path, clinic: &str, batch: usize) -> anyhow::Result<ImportSummary> {
    let kind = ImportKind::parse(kind).with_context(|| {
        let kinds: Vec<_> = ImportKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown import `{kind}`: one of {}", kinds.join(", "))
    })?;
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let clinic = store.clinic(clinic).await.with_context(|| format!("no clinic `{clinic}`"))?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} rows ({eta} left)")
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_message(format!("importing {}", kind.as_str()));
    let actor = crate::accounts::cli_actor();
    let summary = store
        .import_csv(&clinic, kind, &data, &actor, batch.clamp(1, 1000), &mut |p| {
            bar.set_length(p.rows_total);
            bar.set_position(p.rows_done);
        })
        .await;
    bar.finish_and_clear();
    Ok(summary?)
}
