//! A week of free times, as the booking and manage pages show it: the days with their number of
//! free times, and the times of one chosen day as buttons of a plain form. The slots come from
//! the same store query the availability API answers with (patients' rules: notice, horizon).

use super::page::Page;
use crate::AppState;
use crate::context::ClinicCtx;
use crate::problem::ApiResult;
use crate::routes::availability::MAX_SLOTS;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use nobat_core::availability::Audience;
use nobat_core::{PractitionerId, Service};
use nobat_i18n::{Args, CalendarPref, format_civil_date, format_time};
use nobat_store::reads::AvailabilityQuery;

/// How many days one page shows.
pub const DAYS: i64 = 7;

pub struct DayItem {
    pub label: String,
    pub href: String,
    pub current: bool,
    pub free: bool,
}

pub struct SlotItem {
    pub label: String,
    /// `practitioner|start`, the value of the slot's button.
    pub value: String,
}

pub struct Week {
    pub days: Vec<DayItem>,
    /// "Free times on …" for the chosen day; empty when the week has none.
    pub heading: String,
    pub slots: Vec<SlotItem>,
    pub earlier: Option<String>,
    pub later: String,
    /// "No free times in the next 7 days", when so.
    pub none: Option<String>,
}

/// Today at the clinic's first location (where the week starts by default).
pub fn today(ctx: &ClinicCtx) -> Date {
    let tz = ctx.locations.first().map(|l| ctx.tz(l.id)).unwrap_or(jiff::tz::TimeZone::UTC);
    Timestamp::now().to_zoned(tz).date()
}

/// The week from `from` (not before today) with `day` chosen (else its first free day).
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub from: Option<Date>,
    pub day: Option<Date>,
}

/// The week of `span`, its days linked as `{base}from=…&day=…`.
pub async fn week(
    state: &AppState,
    ctx: &ClinicCtx,
    page: &Page,
    service: &Service,
    practitioner: Option<PractitionerId>,
    span: Span,
    base: &str,
) -> ApiResult<Week> {
    let Span { from, day } = span;
    let today = today(ctx);
    let from = from.filter(|d| *d > today).unwrap_or(today);
    let to = from.checked_add((DAYS - 1).days()).unwrap_or(from);
    let query = AvailabilityQuery {
        from,
        to,
        practitioner,
        location: None,
        now: Timestamp::now(),
        audience: Audience::Patient,
        max_slots: MAX_SLOTS,
    };
    let slots = state.store.availability(ctx.clinic.id, service, query).await?;
    let local = |s: &nobat_core::Slot| s.start.to_zoned(ctx.tz(s.location));
    let mut dates: Vec<Date> = Vec::new();
    let mut d = from;
    while d <= to {
        dates.push(d);
        d = match d.tomorrow() {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    let free = |d: Date| slots.iter().any(|s| local(s).date() == d);
    let chosen = day.filter(|d| dates.contains(d) && free(*d)).or_else(|| dates.iter().copied().find(|d| free(*d)));
    let days = dates
        .iter()
        .map(|&d| DayItem {
            label: format_civil_date(page.lang, d, CalendarPref::LocaleDefault),
            href: format!("{base}from={from}&day={d}"),
            current: Some(d) == chosen,
            free: free(d),
        })
        .collect();
    let mut times: Vec<SlotItem> = Vec::new();
    let mut seen: Vec<Timestamp> = Vec::new();
    for s in slots.iter().filter(|s| Some(local(s).date()) == chosen) {
        // "Any practitioner" shows each time once: the first practitioner free then takes it.
        if seen.contains(&s.start) {
            continue;
        }
        seen.push(s.start);
        let tz = ctx.tz(s.location);
        times.push(SlotItem {
            label: format_time(page.lang, s.start, &tz),
            value: format!("{}|{}", s.practitioner, crate::dto::local_time(s.start, &tz)),
        });
    }
    let heading = chosen
        .map(|d| page.t1("pages-slots-on", "date", &format_civil_date(page.lang, d, CalendarPref::LocaleDefault)))
        .unwrap_or_default();
    let none = chosen.is_none().then(|| page.ta("pages-no-slots", &Args::new().num("days", DAYS)));
    let earlier = (from > today).then(|| {
        let back = from.checked_sub(DAYS.days()).unwrap_or(today);
        format!("{base}from={}", if back < today { today } else { back })
    });
    let later = format!("{base}from={}", to.tomorrow().unwrap_or(to));
    Ok(Week { days, heading, slots: times, earlier, later, none })
}

/// Reads a slot button's value back: the practitioner and the start as the API takes it.
pub fn parse_slot(value: &str) -> Option<(String, String)> {
    let (p, start) = value.split_once('|')?;
    Some((p.to_owned(), start.to_owned()))
}
