//! One appointment confirmation in each language, rendered end to end (ICU4X date and time in
//! the location's zone, Fluent text, RTL marking) and compared with a reviewed snapshot in
//! `tests/snapshots/confirmation.txt`. Invisible direction marks and special spaces are written
//! as `⟨FSI⟩`, `⟨PDI⟩`, `⟨RLM⟩`, `⟨NBSP⟩`, `⟨NNBSP⟩` so the file can be read and diffed.
//! After a deliberate change: `UPDATE_SNAPSHOTS=1 cargo test -p nobat-i18n --test snapshot`,
//! then read the new file before committing it.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_i18n::{Args, CalendarPref, Lang, Messages, format_date, format_time, wrap_plain_rtl};
use std::collections::BTreeSet;
use std::path::PathBuf;

struct Case {
    label: &'static str,
    lang: Lang,
    cal: CalendarPref,
    zone: &'static str,
    patient: &'static str,
    clinic: &'static str,
    practitioner: &'static str,
    service: &'static str,
    location: &'static str,
}

const CASES: [Case; 7] = [
    Case {
        label: "en, London",
        lang: Lang::En,
        cal: CalendarPref::LocaleDefault,
        zone: "Europe/London",
        patient: "Emily Carter",
        clinic: "Riverside Family Clinic",
        practitioner: "Dr Hannah Lee",
        service: "General check-up",
        location: "12 River Road, London",
    },
    Case {
        label: "fa, Tehran",
        lang: Lang::Fa,
        cal: CalendarPref::LocaleDefault,
        zone: "Asia/Tehran",
        patient: "مریم احمدی",
        clinic: "درمانگاه نوبت",
        practitioner: "دکتر علی رضایی",
        service: "معاینهٔ عمومی",
        location: "تهران، خیابان ولیعصر، پلاک ۱۲",
    },
    Case {
        label: "ar, Riyadh, Gregorian",
        lang: Lang::Ar,
        cal: CalendarPref::LocaleDefault,
        zone: "Asia/Riyadh",
        patient: "فاطمة الزهراني",
        clinic: "عيادة النور",
        practitioner: "د. أحمد العتيبي",
        service: "فحص عام",
        location: "الرياض، طريق العليا",
    },
    Case {
        label: "ar, Riyadh, Hijri",
        lang: Lang::Ar,
        cal: CalendarPref::Hijri,
        zone: "Asia/Riyadh",
        patient: "فاطمة الزهراني",
        clinic: "Al Noor Clinic",
        practitioner: "د. أحمد العتيبي",
        service: "فحص عام",
        location: "الرياض، طريق العليا",
    },
    Case {
        label: "fr, Paris",
        lang: Lang::Fr,
        cal: CalendarPref::LocaleDefault,
        zone: "Europe/Paris",
        patient: "Camille Dubois",
        clinic: "Cabinet médical des Lilas",
        practitioner: "Dr Julien Martin",
        service: "Consultation générale",
        location: "8 rue des Lilas, Paris",
    },
    Case {
        label: "ru, Moscow",
        lang: Lang::Ru,
        cal: CalendarPref::LocaleDefault,
        zone: "Europe/Moscow",
        patient: "Анна Иванова",
        clinic: "Клиника «Здоровье»",
        practitioner: "Сергей Петров",
        service: "Приём терапевта",
        location: "Москва, ул. Лесная, 5",
    },
    Case {
        label: "tr, Istanbul",
        lang: Lang::Tr,
        cal: CalendarPref::LocaleDefault,
        zone: "Europe/Istanbul",
        patient: "Ayşe Yılmaz",
        clinic: "Şifa Polikliniği",
        practitioner: "Dr. Mehmet Demir",
        service: "Genel muayene",
        location: "Kadıköy, İstanbul",
    },
];

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

fn render_all() -> String {
    let messages = Messages::load().expect("catalogues load");
    // Staff booked it in UTC; every clinic reads its own wall clock.
    let at: Timestamp = "2026-12-01T06:30:00Z".parse().expect("instant");
    let mut out = String::new();
    for c in &CASES {
        let zone = TimeZone::get(c.zone).expect("zone");
        let args = Args::new()
            .str("patient", c.patient)
            .str("clinic", c.clinic)
            .str("practitioner", c.practitioner)
            .str("service", c.service)
            .str("date", format_date(c.lang, at, &zone, c.cal))
            .str("time", format_time(c.lang, at, &zone))
            .str("location", c.location)
            .str("link", "https://clinic.example/m/AbC123");
        let subject = messages.render(c.lang, "appointment-confirmed-subject", &args).expect("subject");
        let body = messages.render(c.lang, "appointment-confirmed-body", &args).expect("body");
        out.push_str(&format!("===== {} ({}) =====\n", c.label, c.lang.dir().as_str()));
        out.push_str(&format!("Subject: {}\n\n", visible(&wrap_plain_rtl(c.lang, &subject))));
        out.push_str(&visible(&wrap_plain_rtl(c.lang, &body)));
        out.push_str("\n\n");
    }
    out
}

/// Every message in every language with sample arguments; messages with a number are shown
/// with 0, 1, 2, 5, 11 and 21 so each plural form can be read.
fn render_every_message() -> String {
    let messages = Messages::load().expect("catalogues load");
    let numbers = ["hours", "minutes", "count", "seconds", "kib", "room"];
    let mut out = String::new();
    for lang in Lang::ALL {
        out.push_str(&format!("##### {lang}\n"));
        for key in messages.keys() {
            let vars = variables_of(key);
            let samples: &[i64] =
                if vars.iter().any(|v| numbers.contains(&v.as_str())) { &[0, 1, 2, 5, 11, 21] } else { &[0] };
            let mut first: Option<String> = None;
            for n in samples {
                let mut args = Args::new();
                for v in &vars {
                    args = if numbers.contains(&v.as_str()) { args.num(v, *n) } else { args.str(v, format!("<{v}>")) };
                }
                let text = visible(&messages.render(lang, key, &args).expect("renders"));
                let label = if samples.len() > 1 { format!("{key} [{n}]") } else { key.clone() };
                // After the first sample, only the lines that changed (the plural forms).
                let shown = match &first {
                    None => text.clone(),
                    Some(f) => {
                        let old: Vec<&str> = f.lines().collect();
                        let changed: Vec<&str> =
                            text.lines().enumerate().filter(|(i, l)| old.get(*i) != Some(l)).map(|(_, l)| l).collect();
                        changed.join("\n")
                    }
                };
                out.push_str(&format!("{label}: {}\n", shown.replace('\n', "\n    ")));
                first.get_or_insert(text);
            }
        }
    }
    out
}

fn variables_of(key: &str) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for source in nobat_i18n::catalog::sources(Lang::En) {
        let res = fluent_syntax::parser::parse(source).expect("parses");
        for entry in res.body {
            if let fluent_syntax::ast::Entry::Message(m) = entry
                && m.id.name == key
            {
                vars.extend(nobat_i18n::placeables::variables(m.value.as_ref().expect("value")));
            }
        }
    }
    vars
}

#[test]
fn every_message_in_every_language_matches_the_reviewed_snapshot() {
    compare("all-messages.txt", &render_every_message());
}

#[test]
fn confirmation_in_six_languages_matches_the_reviewed_snapshot() {
    compare("confirmation.txt", &render_all());
}

fn compare(file: &str, rendered: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(file);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, rendered).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("snapshot exists (UPDATE_SNAPSHOTS=1 writes it)");
    if rendered != expected {
        for (i, (a, b)) in rendered.lines().zip(expected.lines()).enumerate() {
            if a != b {
                panic!("line {}: rendered\n  {a}\nsnapshot\n  {b}", i + 1);
            }
        }
        panic!("rendered text and snapshot differ in length");
    }
}
