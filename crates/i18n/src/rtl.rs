//! Marking right-to-left text so that it displays right-to-left.
//!
//! A plain-text message (SMS, Telegram, WhatsApp, the text part of an email) carries no
//! direction of its own: the receiving app takes each paragraph's direction from its first
//! strong character (Unicode bidi rule P2). A Persian reminder that starts with a Latin
//! clinic name or a date's digits would then be laid out left-to-right, punctuation and all.
//!
//! What to use where:
//! - SMS, Telegram, WhatsApp and `text/plain` email: [`wrap_plain_rtl`], which starts every
//!   line with RIGHT-TO-LEFT MARK (U+200F). Each line is a bidi paragraph, and an RLM is a
//!   strong right-to-left character, so P2 makes every paragraph RTL. We do not wrap the text
//!   in RLI…PDI (U+2067…U+2069): P2 *skips* isolates when it looks for the first strong
//!   character, so an isolate changes the text inside it but leaves the paragraph LTR
//!   (left-aligned, trailing full stop on the wrong side). RLE…PDF (U+202B…U+202C) embeddings
//!   are deprecated in favour of isolates and, like isolates, do not set the paragraph level.
//! - HTML (email `text/html`, pages): no control characters; put [`html_dir`] in a `dir`
//!   attribute on the root element (`<html lang="fa" dir="rtl">`), and `lang` alongside.
//! - Placeables inside the text are already isolated (FSI…PDI) by the Fluent bundles of the
//!   RTL languages; see [`crate::catalog`].

use crate::lang::Lang;

/// RIGHT-TO-LEFT MARK.
pub const RLM: char = '\u{200F}';

/// Starts every line of a `fa`/`ar` message with U+200F so each paragraph reads right to
/// left wherever it is shown; text in the other languages is returned unchanged. Applying it
/// twice adds nothing.
pub fn wrap_plain_rtl(lang: Lang, text: &str) -> String {
    if !lang.is_rtl() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 3 * (text.lines().count() + 1));
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // Empty lines need no mark; `\r` stays with its line for CRLF texts.
        if !line.trim_end_matches('\r').is_empty() && !line.starts_with(RLM) {
            out.push(RLM);
        }
        out.push_str(line);
    }
    out
}

/// The value of an HTML `dir` attribute for the language: `rtl` or `ltr`.
pub fn html_dir(lang: Lang) -> &'static str {
    lang.dir().as_str()
}

/// Replaces the no-break spaces CLDR puts in dates, times and numbers (U+00A0, U+202F: the
/// English `10:00 AM`, the Russian `2026 г.`, the French `1 000`) with ordinary spaces. For
/// SMS only: those characters are outside GSM-7, so one of them turns an English, French or
/// Turkish text into UCS-2 and halves the characters per part. Email, Telegram and pages
/// should keep them (they stop a line break inside `10:00 AM`).
pub fn sms_plain_spaces(text: &str) -> String {
    text.replace(['\u{00A0}', '\u{202F}'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_spaces_become_ascii() {
        assert_eq!(sms_plain_spaces("10:00\u{202f}AM, 1\u{a0}000"), "10:00 AM, 1 000");
    }
}
