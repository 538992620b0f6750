//! The booking flow's menus: text and buttons for a stage, in the user's language, with dates
//! in their calendar (Solar Hijri for `fa`) through nobat-i18n like every other text.

use super::{BOOK, Ctx, Flow, MAX_DAYS, MAX_TIMES, Need, SlotFact, Stage, need};
use crate::api::Keyboard;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use nobat_i18n::catalog::Args;
use nobat_i18n::datetime::{CalendarPref, format_civil_date, format_time};

pub(super) enum Menu {
    Show {
        text: String,
        keyboard: Option<Keyboard>,
    },
    /// Nothing to choose: the text says why, and the flow ends.
    Done(String),
    /// Every choice is made and the profile is known: book now.
    Book,
}

fn instant(slot: &SlotFact) -> (Timestamp, TimeZone) {
    let at = Timestamp::from_microsecond(slot.start_us).unwrap_or(Timestamp::UNIX_EPOCH);
    let zone = TimeZone::fixed(Offset::from_seconds(slot.offset_secs).unwrap_or(Offset::UTC));
    (at, zone)
}

/// The slot's local date.
fn local_date(slot: &SlotFact) -> Date {
    let (at, zone) = instant(slot);
    at.to_zoned(zone).date()
}

fn day_label(ctx: &Ctx, date: Date) -> String {
    format_civil_date(ctx.lang, date, CalendarPref::LocaleDefault)
}

/// Date and time of a slot in the user's language and calendar.
pub(crate) fn when(ctx: &Ctx, slot: &SlotFact) -> String {
    let (at, zone) = instant(slot);
    let comma = if ctx.lang.is_rtl() { "، " } else { ", " };
    format!("{}{comma}{}", day_label(ctx, local_date(slot)), format_time(ctx.lang, at, &zone))
}

/// What has been chosen so far, one line, above each menu.
fn header(flow: &Flow) -> String {
    let parts: Vec<&str> = [&flow.clinic, &flow.service, &flow.practitioner]
        .into_iter()
        .filter_map(|i| i.as_ref().map(|i| i.name.as_str()))
        .collect();
    parts.join(" · ")
}

fn with_header(flow: &Flow, text: String) -> String {
    let h = header(flow);
    if h.is_empty() { text } else { format!("{h}\n{text}") }
}

fn buttons(flow: &mut Flow, stage: Stage, labels: Vec<(String, String)>) -> Vec<Vec<(String, String)>> {
    flow.options.clear();
    labels
        .into_iter()
        .enumerate()
        .map(|(i, (label, option))| {
            flow.options.push(option);
            vec![(label, format!("{BOOK}{}:{i}", stage.letter()))]
        })
        .collect()
}

pub(super) fn menu(ctx: &Ctx, flow: &mut Flow, stage: Stage) -> Result<Menu, Need> {
    flow.stage = stage;
    let none = Args::new();
    match stage {
        Stage::Found => Ok(Menu::Done(ctx.t("bot-stale", &none))),
        Stage::Clinic => {
            let clinics = need(&ctx.facts.clinics, Need::Clinics)?;
            match clinics.as_slice() {
                [] => Ok(Menu::Done(ctx.t("bot-no-clinics", &none))),
                [only] => {
                    flow.clinic = Some(only.clone());
                    menu(ctx, flow, Stage::Service)
                }
                all => {
                    let labels = all.iter().map(|c| (c.name.clone(), json(c))).collect();
                    let rows = buttons(flow, stage, labels);
                    Ok(Menu::Show { text: ctx.t("bot-choose-clinic", &none), keyboard: Some(Keyboard::Inline(rows)) })
                }
            }
        }
        Stage::Service => {
            let Some(clinic) = flow.clinic.clone() else { return Ok(Menu::Done(ctx.t("bot-stale", &none))) };
            let services = need(&ctx.facts.services, Need::Services { clinic: clinic.id })?;
            match services.as_slice() {
                [] => Ok(Menu::Done(with_header(flow, ctx.t("bot-no-services", &none)))),
                [only] => {
                    flow.service = Some(only.clone());
                    menu(ctx, flow, Stage::Practitioner)
                }
                all => {
                    let labels = all.iter().map(|s| (s.name.clone(), json(s))).collect();
                    let rows = buttons(flow, stage, labels);
                    let text = with_header(flow, ctx.t("bot-choose-service", &none));
                    Ok(Menu::Show { text, keyboard: Some(Keyboard::Inline(rows)) })
                }
            }
        }
        Stage::Practitioner => {
            let Some(clinic) = flow.clinic.clone() else { return Ok(Menu::Done(ctx.t("bot-stale", &none))) };
            let people = need(&ctx.facts.practitioners, Need::Practitioners { clinic: clinic.id })?;
            if people.len() <= 1 {
                flow.practitioner = people.first().cloned();
                return menu(ctx, flow, Stage::Day);
            }
            let labels = people.iter().map(|p| (p.name.clone(), json(p))).collect();
            let mut rows = buttons(flow, stage, labels);
            rows.insert(0, vec![(ctx.t("bot-any-practitioner", &none), format!("{BOOK}p:any"))]);
            let text = with_header(flow, ctx.t("bot-choose-practitioner", &none));
            Ok(Menu::Show { text, keyboard: Some(Keyboard::Inline(rows)) })
        }
        Stage::Day => {
            let slots = slots(ctx, flow)?;
            let mut days: Vec<Date> = Vec::new();
            for s in &slots {
                let d = local_date(s);
                if !days.contains(&d) {
                    days.push(d);
                }
            }
            if days.is_empty() {
                return Ok(Menu::Done(with_header(flow, ctx.t("bot-no-slots", &none))));
            }
            let labels = days.iter().take(MAX_DAYS).map(|d| (day_label(ctx, *d), d.to_string())).collect();
            let rows = buttons(flow, stage, labels);
            let text = with_header(flow, ctx.t("bot-choose-day", &none));
            Ok(Menu::Show { text, keyboard: Some(Keyboard::Inline(rows)) })
        }
        Stage::Time => {
            let slots = slots(ctx, flow)?;
            let day = flow.day.as_deref().and_then(|d| d.parse::<Date>().ok());
            let mut times: Vec<SlotFact> = Vec::new();
            for s in slots.into_iter().filter(|s| Some(local_date(s)) == day) {
                // With "anyone", several practitioners free at one time show as one button.
                if !times.iter().any(|t| t.start_us == s.start_us) {
                    times.push(s);
                }
            }
            if times.is_empty() {
                // The day filled up meanwhile: back to the days that still have room.
                flow.day = None;
                return menu(ctx, flow, Stage::Day);
            }
            let labels: Vec<(String, String)> = times
                .iter()
                .take(MAX_TIMES)
                .map(|s| {
                    let (at, zone) = instant(s);
                    (format_time(ctx.lang, at, &zone), serde_json::to_string(s).unwrap_or_default())
                })
                .collect();
            let rows = buttons(flow, stage, labels);
            // Three times to a row: twelve fit without scrolling.
            let rows: Vec<Vec<(String, String)>> = rows.concat().chunks(3).map(|c| c.to_vec()).collect();
            let day = day.map(|d| day_label(ctx, d)).unwrap_or_default();
            let text = with_header(flow, ctx.t("bot-choose-time", &Args::new().str("day", day)));
            Ok(Menu::Show { text, keyboard: Some(Keyboard::Inline(rows)) })
        }
        Stage::Name => {
            let when = flow.slot.as_ref().map(|s| when(ctx, s)).unwrap_or_default();
            let text = with_header(flow, ctx.t("bot-ask-name", &Args::new().str("when", when)));
            Ok(Menu::Show { text, keyboard: None })
        }
        Stage::Phone => Ok(Menu::Book),
    }
}

fn slots(ctx: &Ctx, flow: &Flow) -> Result<Vec<SlotFact>, Need> {
    let (Some(clinic), Some(service)) = (&flow.clinic, &flow.service) else { return Ok(Vec::new()) };
    need(
        &ctx.facts.slots,
        Need::Slots {
            clinic: clinic.id.clone(),
            service: service.id.clone(),
            practitioner: flow.practitioner.as_ref().map(|p| p.id.clone()),
        },
    )
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}
