//! Dates and times against oracles computed outside ICU4X: Python's jdatetime 6.1.1 and
//! hijridate 2.6.0 agree that 2026-03-21 is 1405-01-01 (Solar Hijri) and 1447-10-02
//! (Umm al-Qura); Tehran is UTC+3:30 all year since Iran dropped daylight saving in 2022.

use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use nobat_i18n::{CalendarPref, Lang, format_civil_date_plain, format_date, format_datetime, format_time};

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone in the bundled database")
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

#[test]
fn nowruz_1405_in_persian() {
    let d = date(2026, 3, 21);
    assert_eq!(format_civil_date_plain(Lang::Fa, d, CalendarPref::LocaleDefault), "۱ فروردین ۱۴۰۵");
    // A clinic in Iran that prefers Gregorian dates still gets Persian digits.
    assert_eq!(format_civil_date_plain(Lang::Fa, d, CalendarPref::Gregorian), "۲۱ مارس ۲۰۲۶");
}

#[test]
fn arabic_is_gregorian_unless_the_clinic_chooses_hijri() {
    let d = date(2026, 3, 21);
    assert_eq!(format_civil_date_plain(Lang::Ar, d, CalendarPref::LocaleDefault), "٢١ مارس ٢٠٢٦");
    assert_eq!(format_civil_date_plain(Lang::Ar, d, CalendarPref::Hijri), "٢ شوال ١٤٤٧ هـ");
}

#[test]
fn other_locales_write_their_own_forms() {
    let d = date(2026, 3, 21);
    let cal = CalendarPref::LocaleDefault;
    assert_eq!(format_civil_date_plain(Lang::En, d, cal), "March 21, 2026");
    assert_eq!(format_civil_date_plain(Lang::Fr, d, cal), "21 mars 2026");
    assert_eq!(format_civil_date_plain(Lang::Ru, d, cal), "21 марта 2026\u{202f}г.");
    assert_eq!(format_civil_date_plain(Lang::Tr, d, cal), "21 Mart 2026");
}

#[test]
fn a_tehran_appointment_booked_in_utc_reads_in_tehran_time() {
    let t = at("2026-12-01T06:30:00Z");
    let tehran = tz("Asia/Tehran");
    assert_eq!(format_time(Lang::Fa, t, &tehran), "۱۰:۰۰");
    assert_eq!(format_date(Lang::Fa, t, &tehran, CalendarPref::LocaleDefault), "سه‌شنبه ۱۰ آذر ۱۴۰۵");
    assert_eq!(format_datetime(Lang::Fa, t, &tehran, CalendarPref::LocaleDefault), "سه‌شنبه ۱۰ آذر ۱۴۰۵ ساعت ۱۰:۰۰");
    // The same instant for staff who read it in English: still 10:00 in Tehran, not 06:30.
    assert_eq!(format_time(Lang::En, t, &tehran), "10:00\u{202f}AM");
    assert_eq!(format_time(Lang::Ar, t, &tehran), "١٠:٠٠ ص");
    assert_eq!(format_time(Lang::Ru, t, &tehran), "10:00");
    assert_eq!(format_time(Lang::Fr, t, &tz("UTC")), "06:30");
}

#[test]
fn the_date_is_the_one_on_the_location_wall_calendar() {
    // 21:00 UTC on 20 March is 00:30 on 21 March in Tehran: Nowruz there, not in UTC.
    let t = at("2026-03-20T21:00:00Z");
    assert_eq!(format_date(Lang::Fa, t, &tz("Asia/Tehran"), CalendarPref::LocaleDefault), "شنبه ۱ فروردین ۱۴۰۵");
    assert_eq!(format_date(Lang::Fa, t, &tz("UTC"), CalendarPref::LocaleDefault), "جمعه ۲۹ اسفند ۱۴۰۴");
    // Summer time is applied where the zone has it: Paris is UTC+2 in July.
    let summer = at("2026-07-01T08:00:00Z");
    assert_eq!(format_time(Lang::Fr, summer, &tz("Europe/Paris")), "10:00");
    assert_eq!(
        format_datetime(Lang::Fr, summer, &tz("Europe/Paris"), CalendarPref::LocaleDefault),
        "mercredi 1 juillet 2026 à 10:00"
    );
    assert_eq!(
        format_datetime(Lang::Ar, at("2026-03-21T07:00:00Z"), &tz("Asia/Riyadh"), CalendarPref::Hijri),
        "السبت، ٢ شوال ١٤٤٧ هـ في ١٠:٠٠ ص"
    );
    assert_eq!(
        format_datetime(Lang::Tr, at("2026-03-21T07:00:00Z"), &tz("Europe/Istanbul"), CalendarPref::LocaleDefault),
        "21 Mart 2026 Cumartesi 10:00"
    );
    assert_eq!(
        format_datetime(Lang::Ru, at("2026-03-21T07:00:00Z"), &tz("Europe/Moscow"), CalendarPref::LocaleDefault),
        "суббота, 21 марта 2026\u{202f}г. в 10:00"
    );
    assert_eq!(
        format_datetime(Lang::En, at("2026-03-21T14:00:00Z"), &tz("America/New_York"), CalendarPref::LocaleDefault),
        "Saturday, March 21, 2026 at 10:00\u{202f}AM"
    );
}
