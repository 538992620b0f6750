//! Dates and times against oracles computed outside ICU4X (jdatetime 6.1.1 and hijridate 2.6.0
//! agree: 2026-03-21 is 1405-01-01 Solar Hijri and 1447-10-02 Umm al-Qura).

use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use nobat_i18n::{CalendarPref, Lang, format_civil_date_plain, format_date, format_datetime, format_time};

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone in the bundled database")
}

#[test]
fn print_all() {
    let t: Timestamp = "2026-12-01T06:30:00Z".parse().unwrap();
    for l in Lang::ALL {
        for cal in [CalendarPref::LocaleDefault, CalendarPref::Hijri] {
            println!("{l} {cal:?}: [{}] [{}] [{}] [{}]", format_datetime(l, t, &tz("Asia/Tehran"), cal), format_date(l, t, &tz("Asia/Tehran"), cal), format_time(l, t, &tz("Asia/Tehran")), format_civil_date_plain(l, date(2026,3,21), cal));
        }
    }
}
