//! Every problem code the web crate can answer with has a title and a detail in every
//! language. The codes are read from crates/web's source, so a new `ApiError::new(.., "code", ..)`
//! without catalogue entries fails here rather than reaching people as an English-only title.

use nobat_i18n::{Args, Lang, Messages};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') && !s.starts_with('-')
}

/// The string literal at the start of `s` (after whitespace), if there is one.
fn leading_literal(s: &str) -> Option<&str> {
    let rest = s.trim_start().strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

/// Codes in `ApiError::new(status, "code", ..)` (also `Self::new` inside ApiError),
/// `forbidden("code", ..)` and the `=> ("code", "title", "detail")` table of
/// `ensure_problem_json`.
fn codes_in(src: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for pat in ["ApiError::new(", "Self::new("] {
        for (at, _) in src.match_indices(pat) {
            let args = &src[at + pat.len()..];
            // The code is the second argument.
            let Some(second) = args.find(',').map(|c| &args[c + 1..]) else { continue };
            if let Some(lit) = leading_literal(second).filter(|l| is_code(l)) {
                codes.insert(lit.to_owned());
            }
        }
    }
    for pat in ["forbidden(", "=> ("] {
        for (at, _) in src.match_indices(pat) {
            if let Some(lit) = leading_literal(&src[at + pat.len()..]).filter(|l| is_code(l)) {
                codes.insert(lit.to_owned());
            }
        }
    }
    codes
}

#[test]
fn every_problem_code_of_the_web_crate_is_translated() {
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web/src");
    let mut files = Vec::new();
    rust_files(&web, &mut files);
    let mut codes = BTreeSet::new();
    for f in &files {
        codes.extend(codes_in(&std::fs::read_to_string(f).expect("source")));
    }
    // The scan must find the codes we know are there, or it proves nothing.
    for known in ["slot-taken", "invalid-input", "payload-too-large", "not-a-member", "rate-limited"] {
        assert!(codes.contains(known), "scan missed {known}: {codes:?}");
    }
    let m = Messages::load().expect("catalogues load");
    let args = Args::new().str("field", "start").num("seconds", 5).num("kib", 64).str("from", "a").str("to", "b");
    let mut missing = Vec::new();
    for code in &codes {
        for lang in Lang::ALL {
            for part in ["title", "detail"] {
                let key = format!("problem-{code}-{part}");
                if !m.has(lang, &key) {
                    missing.push(format!("{lang}: {key}"));
                }
            }
            if let Err(e) = m.problem(lang, code, &args) {
                missing.push(format!("{lang}: {code} does not render: {e}"));
            }
        }
    }
    assert!(missing.is_empty(), "add these to locales/*/problems.ftl:\n{}", missing.join("\n"));
}

/// Every field-level reason the core gives (`Reason::new("code", ..)`) has an `invalid-<code>`
/// message in every language, so a 422 can say why in the reader's language.
#[test]
fn every_reason_of_the_core_is_translated() {
    let core = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    let mut codes = BTreeSet::new();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("source");
        let pat = "Reason::new(";
        for (at, _) in src.match_indices(pat) {
            if let Some(lit) = leading_literal(&src[at + pat.len()..]).filter(|l| is_code(l)) {
                codes.insert(lit.to_owned());
            }
        }
    }
    for known in ["phone", "language", "country"] {
        assert!(codes.contains(known), "scan missed {known}: {codes:?}");
    }
    let m = Messages::load().expect("catalogues load");
    let args = Args::new().num("max", 200);
    let mut missing = Vec::new();
    for code in &codes {
        for lang in Lang::ALL {
            let key = format!("invalid-{code}");
            if !m.has(lang, &key) {
                missing.push(format!("{lang}: {key}"));
            } else if let Err(e) = m.render(lang, &key, &args) {
                missing.push(format!("{lang}: {key} does not render: {e}"));
            }
        }
    }
    assert!(missing.is_empty(), "add these to locales/*/problems.ftl:\n{}", missing.join("\n"));
}
