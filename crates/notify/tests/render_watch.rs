//! Watch messages as the watcher reads them: the offer in Persian (Solar Hijri date and
//! Persian digits in Tehran's wall clock) and English, each with its one-tap accept link and
//! the stop link, bare (a tapped link must not carry a direction mark).

#![allow(clippy::unwrap_used)]

use nobat_i18n::{CalendarPref, Lang, Messages, Overrides};
use nobat_notify::{MessageContext, MessageKind, render};

fn offer() -> MessageContext {
    let start: jiff::Timestamp = "2026-12-07T06:30:00Z".parse().unwrap();
    MessageContext {
        clinic_name: "درمانگاه نوبت".into(),
        recipient_name: Some("مریم".into()),
        service: Some("معاینه".into()),
        practitioner: Some("دکتر رضایی".into()),
        location: Some("تهران".into()),
        start: Some(start),
        end: Some(start + jiff::SignedDuration::from_mins(30)),
        zone: Some(jiff::tz::TimeZone::get("Asia/Tehran").unwrap()),
        calendar: CalendarPref::LocaleDefault,
        link: Some("https://clinic.example/api/v1/watches/WaTcH/offers/0193-offer/accept".into()),
        stop_link: Some("https://clinic.example/api/v1/watches/WaTcH".into()),
        minutes: Some(15),
        ..MessageContext::default()
    }
}

#[test]
fn the_offer_reads_right_in_persian_and_english_with_its_accept_and_stop_links() {
    let messages = Messages::load().expect("catalogues");
    let ctx = offer();
    let fa = render(&messages, &Overrides::default(), MessageKind::WatchOffer, Lang::Fa, &ctx).unwrap();
    println!("--- fa subject\n{}\n--- fa text\n{}", fa.subject.clone().unwrap_or_default(), fa.text);
    assert!(fa.text.contains("۱۰:۰۰"), "10:00 in Tehran, Persian digits: {}", fa.text);
    assert!(fa.text.contains("۱۶ آذر ۱۴۰۵") || fa.text.contains("آذر"), "Solar Hijri date: {}", fa.text);
    assert!(fa.text.contains("https://clinic.example/api/v1/watches/WaTcH/offers/0193-offer/accept\n"), "{}", fa.text);
    assert!(fa.text.trim_end().ends_with("https://clinic.example/api/v1/watches/WaTcH"), "the stop link: {}", fa.text);
    let mut en_ctx = ctx.clone();
    en_ctx.clinic_name = "Nobat Clinic".into();
    en_ctx.recipient_name = Some("Maryam".into());
    en_ctx.service = Some("Consultation".into());
    en_ctx.practitioner = Some("Dr. Rezaei".into());
    en_ctx.location = Some("Tehran".into());
    let en = render(&messages, &Overrides::default(), MessageKind::WatchOffer, Lang::En, &en_ctx).unwrap();
    println!("--- en subject\n{}\n--- en text\n{}", en.subject.clone().unwrap_or_default(), en.text);
    assert!(en.text.contains("10:00"), "{}", en.text);
    assert!(en.text.contains("15 minutes"), "{}", en.text);
    assert!(en.text.contains("To stop watching: https://clinic.example/api/v1/watches/WaTcH"), "{}", en.text);
    // Every watch message in every language names the stop link.
    for kind in [MessageKind::WatchFree, MessageKind::WatchOffer, MessageKind::WatchBooked, MessageKind::WatchExpired] {
        for lang in Lang::ALL {
            let mut c = ctx.clone();
            c.last_day = Some("2026-12-14".into());
            let r = render(&messages, &Overrides::default(), kind, lang, &c).unwrap();
            assert!(r.text.contains("https://clinic.example/api/v1/watches/WaTcH"), "{kind:?} {lang:?}: {}", r.text);
        }
    }
}
