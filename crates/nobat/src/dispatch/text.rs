//! TEMPORARY (dispatch helper, issue 12): a minimal English text per message kind, until
//! `nobat_notify::render` (the content work: six languages, ICU dates, clinic overrides)
//! lands. At the merge, replace `render` below by building a `MessageContext` from the same
//! facts and calling `nobat_notify::render`; nothing else in the dispatcher changes.

use super::Dispatcher;
use anyhow::Context;
use jiff::tz::TimeZone;
use nobat_i18n::Lang;
use nobat_notify::{MessageKind, Rendered};
use nobat_store::commands::ClaimedMessage;
use serde_json::Value;

pub async fn render(d: &Dispatcher, m: &ClaimedMessage, _lang: Lang) -> anyhow::Result<Rendered> {
    let kind = MessageKind::parse(&m.kind).with_context(|| format!("unknown message kind {}", m.kind))?;
    let fact = |k: &str| m.facts.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let clinic = d.store.clinic_name_language(m.clinic).await?.map(|(n, _)| n).unwrap_or_default();
    let (subject, text) = match kind {
        MessageKind::VerificationCode => (
            format!("{clinic}: your code"),
            format!("Your {clinic} code is {}. It is valid for 10 minutes.", fact("code")),
        ),
        MessageKind::StaffInvitation => (
            format!("{clinic}: you are invited"),
            format!("You are invited to join {clinic} as {}. Accept: {}", fact("role"), fact("link")),
        ),
        MessageKind::AdminAlert => (format!("{clinic}: a message could not be delivered"), fact("detail")),
        _ => {
            let appointment = m.appointment.context("an appointment message without its appointment")?;
            let f = d.store.appointment_facts(m.clinic, appointment).await?.context("the appointment is gone")?;
            let zone = TimeZone::get(&f.time_zone).unwrap_or(TimeZone::UTC);
            let when = f.start.to_zoned(zone).strftime("%Y-%m-%d %H:%M %Z").to_string();
            let what = format!("{} with {} at {} ({}), {when}", f.service, f.practitioner, f.location, f.address);
            let (s, t) = match kind {
                MessageKind::BookingConfirmed => ("booked", format!("Your appointment is booked: {what}.")),
                MessageKind::BookingRescheduled => ("moved", format!("Your appointment was moved: {what}.")),
                MessageKind::BookingCancelled => ("cancelled", format!("Your appointment was cancelled: {what}.")),
                MessageKind::Reminder => ("reminder", format!("A reminder of your appointment: {what}.")),
                _ => ("update", format!("About your appointment: {what}.")),
            };
            (format!("{clinic}: appointment {s}"), format!("{}, {t}", f.patient_name))
        }
    };
    Ok(Rendered { subject: Some(subject), text, html: None })
}
