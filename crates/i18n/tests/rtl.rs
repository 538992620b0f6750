//! Right-to-left marking, checked with an implementation of the Unicode bidi algorithm
//! (unicode-bidi): what a phone or mail client does with the text, not what we hope it does.

use nobat_i18n::{Args, Lang, Messages, html_dir, wrap_plain_rtl};
use unicode_bidi::BidiInfo;

/// The direction each paragraph (line) resolves to under rule P2/P3, no direction imposed.
fn paragraph_rtl(text: &str) -> Vec<bool> {
    let info = BidiInfo::new(text, None);
    info.paragraphs.iter().map(|p| p.level.is_rtl()).collect()
}

fn room_message(lang: Lang) -> String {
    let m = Messages::load().expect("catalogues load");
    m.render(lang, "queue-come-to-room", &Args::new().str("patient", "Sara Ahmadi").num("room", 3)).expect("renders")
}

#[test]
fn a_persian_message_starting_with_a_latin_name_needs_the_mark() {
    let text = room_message(Lang::Fa);
    // Without marking, the isolated Latin name is skipped by P2 and the first strong
    // character is Persian: RTL. But a clinic override or a plain (non-isolated) Latin
    // start shows the danger:
    assert_eq!(paragraph_rtl("Sara Ahmadi عزیز، لطفاً به اتاق ۳ بیایید."), vec![false]);
    assert_eq!(paragraph_rtl(&wrap_plain_rtl(Lang::Fa, "Sara Ahmadi عزیز، لطفاً به اتاق ۳ بیایید.")), vec![true]);
    assert_eq!(paragraph_rtl(&wrap_plain_rtl(Lang::Fa, &text)), vec![true]);
}

#[test]
fn every_line_of_a_wrapped_rtl_message_is_rtl() {
    let m = Messages::load().expect("catalogues load");
    let args = Args::new()
        .str("patient", "Sara")
        .str("clinic", "Nobat Clinic")
        .str("practitioner", "Dr Lee")
        .str("service", "Check-up")
        .str("date", "2026-12-01")
        .str("time", "10:00")
        .str("location", "12 Main St")
        .str("link", "https://clinic.example/m/x");
    for lang in [Lang::Fa, Lang::Ar] {
        let body = m.render(lang, "appointment-confirmed-body", &args).expect("renders");
        let wrapped = wrap_plain_rtl(lang, &body);
        // Lines such as "Date: 2026-12-01" start with an RTL label, but the link line and the
        // greeting must hold too; every non-empty line is its own paragraph.
        let levels: Vec<bool> = wrapped.split('\n').filter(|l| !l.is_empty()).flat_map(paragraph_rtl).collect();
        assert!(!levels.is_empty() && levels.iter().all(|rtl| *rtl), "{lang}: {levels:?}\n{wrapped}");
        // Idempotent: wrapping twice adds no second mark.
        assert_eq!(wrap_plain_rtl(lang, &wrapped), wrapped);
    }
}

#[test]
fn left_to_right_languages_are_left_alone() {
    for lang in [Lang::En, Lang::Fr, Lang::Ru, Lang::Tr] {
        let text = room_message(lang);
        assert_eq!(wrap_plain_rtl(lang, &text), text);
        assert_eq!(paragraph_rtl(&text), vec![false]);
        assert_eq!(html_dir(lang), "ltr");
    }
    assert_eq!(html_dir(Lang::Fa), "rtl");
    assert_eq!(html_dir(Lang::Ar), "rtl");
}

#[test]
fn empty_lines_and_crlf_are_kept() {
    assert_eq!(wrap_plain_rtl(Lang::Ar, "أ\r\n\r\nب"), "\u{200F}أ\r\n\r\n\u{200F}ب");
    assert_eq!(wrap_plain_rtl(Lang::Ar, ""), "");
}
