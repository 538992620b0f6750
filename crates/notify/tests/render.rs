//! `nobat_notify::render` end to end: every kind in every language, one confirmation per
//! language compared with a reviewed snapshot (`tests/snapshots/confirmation.txt`, plain text
//! and HTML, invisible marks written as `⟨RLM⟩`, `⟨FSI⟩`…), the Farsi date and time, the
//! Arabic direction marks, clinic overrides and escaping.
//! After a deliberate change: `UPDATE_SNAPSHOTS=1 cargo test -p nobat-notify --test render`,
//! then read the new file before committing it.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_i18n::{CalendarPref, Lang, Messages, Overrides};
use nobat_notify::{MessageContext, MessageKind, render};
use std::path::PathBuf;

/// Staff working in UTC booked 06:30Z: every clinic must state its own wall clock.
const AT: &str = "2026-12-01T06:30:00Z";

fn ctx(lang: Lang, cal: CalendarPref) -> MessageContext {
    let (zone, clinic, patient, practitioner, service, location) = match lang {
        Lang::En => (
            "Europe/London",
            "Riverside Family Clinic",
            "Emily Carter",
            "Dr Hannah Lee",
            "General check-up",
            "12 River Road, London",
        ),
        Lang::Fa => (
            "Asia/Tehran",
            "درمانگاه نوبت",
            "مریم احمدی",
            "دکتر علی رضایی",
            "معاینهٔ عمومی",
            "تهران، خیابان ولیعصر، پلاک ۱۲",
        ),
        Lang::Ar => {
            ("Asia/Riyadh", "عيادة النور", "فاطمة الزهراني", "د. أحمد العتيبي", "فحص عام", "الرياض، طريق العليا")
        }
        Lang::Fr => (
            "Europe/Paris",
            "Cabinet médical des Lilas",
            "Camille Dubois",
            "Dr Julien Martin",
            "Consultation générale",
            "8 rue des Lilas, Paris",
        ),
        Lang::Ru => (
            "Europe/Moscow",
            "Клиника «Здоровье»",
            "Анна Иванова",
            "Сергей Петров",
            "Приём терапевта",
            "Москва, ул. Лесная, 5",
        ),
        Lang::Tr => (
            "Europe/Istanbul",
            "Şifa Polikliniği",
            "Ayşe Yılmaz",
            "Dr. Mehmet Demir",
            "Genel muayene",
            "Kadıköy, İstanbul",
        ),
    };
    let start: Timestamp = AT.parse().expect("instant");
    MessageContext {
        clinic_name: clinic.into(),
        recipient_name: Some(patient.into()),
        service: Some(service.into()),
        practitioner: Some(practitioner.into()),
        location: Some(location.into()),
        address: None,
        start: Some(start),
        end: Some(start + jiff::SignedDuration::from_mins(30)),
        zone: Some(TimeZone::get(zone).expect("zone")),
        calendar: cal,
        previous_start: None,
        link: Some("https://clinic.example/m/AbC123".into()),
        code: Some("482913".into()),
        room: Some("3".into()),
        ahead: Some(2),
        alert_key: Some("alert-message-dead".into()),
        detail: Some("sms to +989121234567: 3 attempts".into()),
        hours: Some(24),
        minutes: Some(10),
        stop_link: Some("https://clinic.example/api/v1/watches/StOp1".into()),
        last_day: Some("2026-12-14".into()),
    }
}

fn visible(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2068}' => "⟨FSI⟩".to_owned(),
            '\u{2069}' => "⟨PDI⟩".to_owned(),
            '\u{200F}' => "⟨RLM⟩".to_owned(),
            '\u{00A0}' => "⟨NBSP⟩".to_owned(),
            '\u{202F}' => "⟨NNBSP⟩".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn confirmations() -> String {
    let messages = Messages::load().expect("catalogues");
    let mut out = String::new();
    let cases = [
        (Lang::En, CalendarPref::LocaleDefault),
        (Lang::Fa, CalendarPref::LocaleDefault),
        (Lang::Ar, CalendarPref::LocaleDefault),
        (Lang::Ar, CalendarPref::Hijri),
        (Lang::Fr, CalendarPref::LocaleDefault),
        (Lang::Ru, CalendarPref::LocaleDefault),
        (Lang::Tr, CalendarPref::LocaleDefault),
    ];
    for (lang, cal) in cases {
        let r = render(&messages, &Overrides::default(), MessageKind::BookingConfirmed, lang, &ctx(lang, cal))
            .expect("renders");
        out.push_str(&format!("===== {lang} ({cal:?}) =====\n"));
        out.push_str(&format!("Subject: {}\n\n", visible(r.subject.as_deref().unwrap_or("-"))));
        out.push_str(&visible(&r.text));
        out.push_str("\n----- html -----\n");
        out.push_str(&visible(r.html.as_deref().unwrap_or("-")));
        out.push('\n');
    }
    out
}

fn compare(file: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{file} differs from the rendering; if the change is deliberate run with UPDATE_SNAPSHOTS=1 and read the diff.\n{actual}"
    );
}

#[test]
fn one_confirmation_per_language_matches_the_reviewed_snapshot() {
    compare("confirmation.txt", &confirmations());
}

#[test]
fn farsi_confirmation_states_the_solar_hijri_date_and_tehran_time_in_persian_digits() {
    let messages = Messages::load().expect("catalogues");
    let r = render(
        &messages,
        &Overrides::default(),
        MessageKind::BookingConfirmed,
        Lang::Fa,
        &ctx(Lang::Fa, CalendarPref::LocaleDefault),
    )
    .expect("renders");
    // 2026-12-01 06:30 UTC is Tuesday 10 Azar 1405, 10:00 in Tehran (UTC+03:30).
    assert!(r.text.contains("۱۰ آذر ۱۴۰۵"), "Solar Hijri date in Persian digits:\n{}", r.text);
    assert!(r.text.contains("۱۰:۰۰"), "Tehran wall-clock time:\n{}", r.text);
    for wrong in ["06:30", "۰۶:۳۰", "2026", "۲۰۲۶", "December"] {
        assert!(!r.text.contains(wrong), "{wrong:?} must not appear:\n{}", r.text);
    }
    assert!(r.text.lines().filter(|l| !l.is_empty()).all(|l| l.starts_with('\u{200F}')), "RTL-marked");
    assert!(r.html.as_deref().unwrap_or("").contains("<html lang=\"fa\" dir=\"rtl\">"));
    // The manage link is the bare URL, so a phone's link detection does not swallow an isolate.
    let link = r.text.split_whitespace().find(|w| w.contains("https://")).expect("a link");
    assert_eq!(link, "https://clinic.example/m/AbC123", "{:?}", r.text);
}

#[test]
fn arabic_is_rtl_marked_with_arabic_indic_digits_and_hijri_when_chosen() {
    let messages = Messages::load().expect("catalogues");
    for cal in [CalendarPref::LocaleDefault, CalendarPref::Hijri] {
        let r = render(&messages, &Overrides::default(), MessageKind::Reminder, Lang::Ar, &ctx(Lang::Ar, cal))
            .expect("renders");
        let lines: Vec<&str> = r.text.lines().filter(|l| !l.is_empty()).collect();
        assert!(
            lines.len() > 3 && lines.iter().all(|l| l.starts_with('\u{200F}')),
            "every line starts with RLM:\n{}",
            r.text
        );
        assert!(r.subject.as_deref().unwrap_or("").starts_with('\u{200F}'));
        // 09:30 in Riyadh (UTC+3), in Arabic-Indic digits.
        assert!(r.text.contains("٩:٣٠") || r.text.contains("٠٩:٣٠"), "Riyadh time:\n{}", r.text);
        let html = r.html.expect("html");
        assert!(html.contains("dir=\"rtl\"") && !html.contains('\u{200F}') && !html.contains('\u{2068}'));
        let hijri = r.text.contains("١٤٤٨");
        assert_eq!(hijri, cal == CalendarPref::Hijri, "Hijri year only when chosen:\n{}", r.text);
    }
}

#[test]
fn every_kind_renders_in_every_language_with_subject_text_and_html() {
    let messages = Messages::load().expect("catalogues");
    for lang in Lang::ALL {
        for kind in MessageKind::ALL {
            let r = render(&messages, &Overrides::default(), kind, lang, &ctx(lang, CalendarPref::LocaleDefault))
                .unwrap_or_else(|e| panic!("{kind:?} in {lang}: {e}"));
            assert!(!r.text.trim().is_empty(), "{kind:?} {lang}");
            let html = r.html.expect("html");
            assert!(html.contains(&format!("lang=\"{}\" dir=\"{}\"", lang.code(), lang.dir().as_str())));
            let (subject_key, _) = nobat_notify::render::keys(kind);
            assert_eq!(r.subject.is_some(), subject_key.is_some(), "{kind:?}");
            // English text in another language's message means a missing translation.
            if lang != Lang::En {
                let en =
                    render(&messages, &Overrides::default(), kind, Lang::En, &ctx(lang, CalendarPref::LocaleDefault))
                        .expect("en");
                assert_ne!(r.text, en.text, "{kind:?} {lang} is the English text");
            }
        }
    }
}

#[test]
fn plural_forms_follow_the_numbers() {
    let messages = Messages::load().expect("catalogues");
    let mut c = ctx(Lang::Ru, CalendarPref::LocaleDefault);
    let mut texts = Vec::new();
    for hours in [1, 2, 5] {
        c.hours = Some(hours);
        texts.push(render(&messages, &Overrides::default(), MessageKind::Reminder, Lang::Ru, &c).expect("ru").text);
    }
    assert!(texts[0].contains("1 час") && texts[1].contains("2 часа") && texts[2].contains("5 часов"), "{texts:#?}");
}

#[test]
fn a_clinic_override_wins_in_its_language_only() {
    let messages = Messages::load().expect("catalogues");
    let mut overrides = Overrides::default();
    overrides
        .insert(
            &messages,
            "appointment-confirmed-body",
            Lang::Fa,
            "{ $patient } جان، نوبت { $date } ساعت { $time } قطعی است.",
        )
        .expect("valid override");
    let fa = render(
        &messages,
        &overrides,
        MessageKind::BookingConfirmed,
        Lang::Fa,
        &ctx(Lang::Fa, CalendarPref::LocaleDefault),
    )
    .expect("fa");
    assert!(fa.text.contains("جان، نوبت") && fa.text.contains("۱۰:۰۰"), "{}", fa.text);
    // The subject keeps the catalogue's words; English keeps the catalogue entirely.
    assert!(fa.subject.as_deref().unwrap_or("").contains("نوبت شما ثبت شد"));
    let en = render(
        &messages,
        &overrides,
        MessageKind::BookingConfirmed,
        Lang::En,
        &ctx(Lang::En, CalendarPref::LocaleDefault),
    )
    .expect("en");
    assert!(en.text.contains("is confirmed"));
}

#[test]
fn html_is_escaped_and_subjects_are_one_line() {
    let messages = Messages::load().expect("catalogues");
    let mut c = ctx(Lang::En, CalendarPref::LocaleDefault);
    c.recipient_name = Some("<script>alert(1)</script> & \"Bob\"".into());
    c.service = Some("Check-up\r\nBcc: victim@example.com".into());
    let r = render(&messages, &Overrides::default(), MessageKind::BookingConfirmed, Lang::En, &c).expect("en");
    let html = r.html.expect("html");
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;") && html.contains("&amp; &quot;Bob&quot;"));
    let subject = r.subject.expect("subject");
    assert!(!subject.contains('\n') && !subject.contains('\r'), "{subject:?}");
}

#[test]
fn a_missing_fact_is_an_error_naming_it_not_a_hole() {
    let messages = Messages::load().expect("catalogues");
    let mut c = ctx(Lang::En, CalendarPref::LocaleDefault);
    c.code = None;
    let err =
        render(&messages, &Overrides::default(), MessageKind::VerificationCode, Lang::En, &c).expect_err("no code");
    assert!(format!("{err}").contains("code"), "{err}");
}
