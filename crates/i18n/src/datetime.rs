//! Dates and times as each locale writes them, through ICU4X with its compiled CLDR data.
//!
//! The instant is first turned into the wall clock of the *location's* zone with jiff (the
//! zone database Nobat already uses), and only that civil date and time is handed to ICU4X.
//! So a Tehran appointment booked by staff working in UTC reads in Tehran time, whatever zone
//! the server, the staff member or the patient's phone is in.
//!
//! Calendars and digits: `fa` uses the Solar Hijri calendar and Persian digits; `ar` uses
//! Arabic-Indic digits and the Gregorian calendar unless the clinic chooses Hijri (Umm al-Qura).
//! The locale is built at run time because `locale!()` rejects tags with two unicode keywords.

use crate::lang::Lang;
use icu_calendar::Date;
use icu_datetime::fieldsets::{T, YMD, YMDE, YMDET};
use icu_datetime::{DateTimeFormatter, NoCalendarFormatter};
use icu_locale_core::Locale;
use icu_time::{DateTime, Time};
use jiff::Timestamp;
use jiff::civil;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;
use std::thread::LocalKey;

/// Which calendar a clinic writes dates in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CalendarPref {
    /// What CLDR says for the language: Solar Hijri for `fa`, Gregorian for the others.
    #[default]
    LocaleDefault,
    Gregorian,
    /// Solar Hijri (the Iranian civil calendar).
    Persian,
    /// Hijri, Umm al-Qura (Saudi Arabia's civil reckoning).
    Hijri,
}

impl CalendarPref {
    fn keyword(self) -> Option<&'static str> {
        match self {
            CalendarPref::LocaleDefault => None,
            CalendarPref::Gregorian => Some("gregory"),
            CalendarPref::Persian => Some("persian"),
            CalendarPref::Hijri => Some("islamic-umalqura"),
        }
    }
}

/// The ICU locale for a language, calendar and the language's digits. Unicode extension keys
/// are written in canonical (alphabetical) order: `ca` before `nu`.
pub(crate) fn icu_locale(lang: Lang, cal: CalendarPref) -> Locale {
    let mut tag = lang.icu_base().to_owned();
    let mut keys = Vec::new();
    if let Some(ca) = cal.keyword() {
        keys.push(format!("ca-{ca}"));
    }
    if let Some(nu) = lang.numbering() {
        keys.push(format!("nu-{nu}"));
    }
    if !keys.is_empty() {
        tag.push_str("-u-");
        tag.push_str(&keys.join("-"));
    }
    // Every tag built here is valid; the fallback only guards against a future edit.
    Locale::try_from_str(&tag).unwrap_or(Locale::UNKNOWN)
}

/// A per-thread cache of ICU4X formatters. Building one costs ~100-250 µs in a debug build
/// (ten times what rendering a whole message costs), and they are not `Sync` without
/// icu_provider's `sync` feature, so each thread keeps its own: at most a few dozen small
/// objects (six languages by four calendars by a handful of field sets). Failures are cached
/// too, so a missing locale does not retry on every message.
pub(crate) type Cache<K, F> = RefCell<HashMap<K, Option<Rc<F>>>>;

pub(crate) fn cached<K: Hash + Eq + Copy, F>(
    cache: &'static LocalKey<Cache<K, F>>,
    key: K,
    make: impl FnOnce() -> Option<F>,
) -> Option<Rc<F>> {
    cache.with(|c| {
        if let Some(hit) = c.borrow().get(&key) {
            return hit.clone();
        }
        let made = make().map(Rc::new);
        c.borrow_mut().insert(key, made.clone());
        made
    })
}

thread_local! {
    static DATETIME: Cache<(Lang, CalendarPref), DateTimeFormatter<YMDET>> = RefCell::default();
    static DATE: Cache<(Lang, CalendarPref), DateTimeFormatter<YMDE>> = RefCell::default();
    static DATE_PLAIN: Cache<(Lang, CalendarPref), DateTimeFormatter<YMD>> = RefCell::default();
    static TIME: Cache<Lang, NoCalendarFormatter<T>> = RefCell::default();
}

fn wall_clock(instant: Timestamp, zone: &TimeZone) -> civil::DateTime {
    instant.to_zoned(zone.clone()).datetime()
}

fn icu_date(c: civil::DateTime) -> Option<Date<icu_calendar::Iso>> {
    Date::try_new_iso(i32::from(c.year()), c.month() as u8, c.day() as u8).ok()
}

fn icu_time(c: civil::DateTime) -> Option<Time> {
    Time::try_new(c.hour() as u8, c.minute() as u8, 0, 0).ok()
}

/// Weekday, date and time in the location's zone, e.g. `Saturday, March 21, 2026 at 10:00 AM`.
pub fn format_datetime(lang: Lang, instant: Timestamp, zone: &TimeZone, cal: CalendarPref) -> String {
    let c = wall_clock(instant, zone);
    let formatted = (|| {
        let fmt = cached(&DATETIME, (lang, cal), || {
            DateTimeFormatter::try_new((&icu_locale(lang, cal)).into(), YMDE::long().with_time_hm()).ok()
        })?;
        let dt = DateTime { date: icu_date(c)?, time: icu_time(c)? };
        Some(fmt.format(&dt).to_string())
    })();
    // ICU4X with compiled data covers all six locales; the ISO form is a last resort that
    // still names the right wall-clock time.
    formatted.unwrap_or_else(|| c.strftime("%Y-%m-%d %H:%M").to_string())
}

/// Weekday and date in the location's zone, e.g. `شنبه ۱ فروردین ۱۴۰۵`.
pub fn format_date(lang: Lang, instant: Timestamp, zone: &TimeZone, cal: CalendarPref) -> String {
    let c = wall_clock(instant, zone);
    format_civil_date(lang, c.date(), cal)
}

/// A civil date with its weekday, in a locale and calendar (for dates without a time: a day
/// off, a birthday).
pub fn format_civil_date(lang: Lang, date: civil::Date, cal: CalendarPref) -> String {
    let formatted = (|| {
        let fmt = cached(&DATE, (lang, cal), || {
            DateTimeFormatter::try_new((&icu_locale(lang, cal)).into(), YMDE::long()).ok()
        })?;
        let d = icu_date(date.to_datetime(civil::Time::midnight()))?;
        Some(fmt.format(&d).to_string())
    })();
    formatted.unwrap_or_else(|| date.to_string())
}

/// Day, month and year without the weekday, e.g. `۱ فروردین ۱۴۰۵` (what the oracles check).
pub fn format_civil_date_plain(lang: Lang, date: civil::Date, cal: CalendarPref) -> String {
    let formatted = (|| {
        let fmt = cached(&DATE_PLAIN, (lang, cal), || {
            DateTimeFormatter::try_new((&icu_locale(lang, cal)).into(), YMD::long()).ok()
        })?;
        let d = icu_date(date.to_datetime(civil::Time::midnight()))?;
        Some(fmt.format(&d).to_string())
    })();
    formatted.unwrap_or_else(|| date.to_string())
}

/// Hours and minutes in the location's zone, in the locale's clock (12 h for `en`) and digits.
pub fn format_time(lang: Lang, instant: Timestamp, zone: &TimeZone) -> String {
    let c = wall_clock(instant, zone);
    let formatted = (|| {
        let fmt = cached(&TIME, lang, || {
            NoCalendarFormatter::try_new((&icu_locale(lang, CalendarPref::LocaleDefault)).into(), T::hm()).ok()
        })?;
        Some(fmt.format(&icu_time(c)?).to_string())
    })();
    formatted.unwrap_or_else(|| c.strftime("%H:%M").to_string())
}

/// A Solar Hijri date as a patient writes it (`1405/01/15`, `۱۴۰۵-۰۱-۱۵`, Persian, Arabic-Indic
/// or Latin digits), as the ISO civil date it names; `None` if it is not a real date of that
/// calendar (month 1–12, day within the month, 30 Esfand only in a leap year).
pub fn parse_persian_date(raw: &str) -> Option<civil::Date> {
    let digits: String = raw.trim().chars().map(latin_digit).collect();
    let mut parts = digits.split(['/', '-', '.']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || [y, m, d].iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (y, m, d): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=9999).contains(&y) {
        return None;
    }
    let iso = Date::try_new_persian(y, m, d).ok()?.to_calendar(icu_calendar::Iso);
    civil::Date::new(
        i16::try_from(iso.year().extended_year()).ok()?,
        iso.month().ordinal as i8,
        iso.day_of_month().0 as i8,
    )
    .ok()
}

/// The Solar Hijri `year/month/day` of an ISO date, in Latin digits (what a Farsi form shows
/// back in its date field).
pub fn persian_ymd(date: civil::Date) -> Option<(i32, u8, u8)> {
    let iso = Date::try_new_iso(i32::from(date.year()), date.month() as u8, date.day() as u8).ok()?;
    let p = iso.to_calendar(icu_calendar::cal::Persian);
    Some((p.year().extended_year(), p.month().ordinal, p.day_of_month().0))
}

/// Persian (U+06F0…) and Arabic-Indic (U+0660…) digits to Latin; anything else unchanged.
fn latin_digit(c: char) -> char {
    match c {
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        _ => c,
    }
}

#[cfg(test)]
mod persian_tests {
    use super::*;

    #[test]
    fn solar_hijri_dates_convert_both_ways_and_impossible_ones_are_refused() {
        // Nowruz 1405 is 21 March 2026.
        assert_eq!(parse_persian_date("1405/01/01"), Some(civil::date(2026, 3, 21)));
        assert_eq!(parse_persian_date("۱۴۰۵/۰۱/۱۵"), Some(civil::date(2026, 4, 4)));
        assert_eq!(parse_persian_date("١٤٠٥-٠١-١٥"), Some(civil::date(2026, 4, 4)));
        assert_eq!(persian_ymd(civil::date(2026, 4, 4)), Some((1405, 1, 15)));
        for bad in ["1405/13/01", "1405/07/31", "1405/01", "1405/01/01/01", "abc", "", "1405/1a/01"] {
            assert_eq!(parse_persian_date(bad), None, "{bad}");
        }
    }
}
