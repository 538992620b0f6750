//! A claimed message → its words: the facts are gathered here (the appointment as it stands
//! now, the clinic's name, the message's own facts) into a `MessageContext`, and
//! `nobat_notify::render` writes it in the recipient's language, with the clinic's own
//! wording where it set one.

use super::Dispatcher;
use anyhow::Context;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_i18n::Lang;
use nobat_notify::ics::{self, IcsEvent, IcsMethod, Party};
use nobat_notify::{Attachment, ChannelKind, MessageContext, MessageKind, Rendered};
use nobat_store::commands::ClaimedMessage;
use serde_json::Value;

/// A verification code's life (as the store gives it), said in the message.
const CODE_MINUTES: i64 = 10;

/// The words of a message, and what travels with it (an email about an appointment carries
/// the appointment as an `.ics`, so it lands in the patient's calendar at the right local time).
pub struct Composed {
    pub rendered: Rendered,
    pub attachments: Vec<Attachment>,
}

pub async fn render(d: &Dispatcher, m: &ClaimedMessage, lang: Lang) -> anyhow::Result<Composed> {
    let kind = MessageKind::parse(&m.kind).with_context(|| format!("unknown message kind {}", m.kind))?;
    let fact = |k: &str| m.facts.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let clinic_name = match d.store.clinic_name_language(m.clinic).await? {
        Some((name, _)) => name,
        // Instance-wide messages (operator alerts) belong to no clinic.
        None => "Nobat".to_owned(),
    };
    let mut ctx = MessageContext { clinic_name, ..MessageContext::default() };
    match kind {
        MessageKind::VerificationCode => {
            ctx.code = fact("code");
            ctx.minutes = Some(CODE_MINUTES);
        }
        MessageKind::StaffInvitation => ctx.link = fact("link"),
        // Facts written by planner_sources.rs: the slot as imported, in the watcher's zone.
        MessageKind::SourceSlotFree => {
            ctx.recipient_name = fact("name");
            ctx.location = fact("location");
            ctx.link = fact("link");
            ctx.stop_link = fact("stop");
            ctx.start = fact("start").and_then(|s| s.parse::<Timestamp>().ok());
            ctx.zone = Some(fact("time_zone").and_then(|z| nobat_core::zones::get(&z).ok()).unwrap_or(TimeZone::UTC));
        }
        MessageKind::WatchFree | MessageKind::WatchOffer | MessageKind::WatchBooked | MessageKind::WatchExpired => {
            super::planner_watch::context(&mut ctx, &m.facts, lang);
        }
        MessageKind::SecureMessage => {
            ctx.recipient_name = fact("patient");
            ctx.link = fact("link");
        }
        MessageKind::AdminAlert => {
            ctx.alert_key = fact("alert_key").map(|k| alert_sentence(&k).to_owned());
            ctx.detail = Some(fact("detail").unwrap_or_default());
        }
        MessageKind::QueueCalled | MessageKind::QueueNext => {
            let ticket: nobat_core::TicketId =
                fact("ticket").and_then(|t| t.parse().ok()).context("a queue message without its ticket")?;
            let f = d.store.ticket_facts(m.clinic, ticket).await?.context("the ticket is gone")?;
            ctx.recipient_name = Some(f.patient_name);
            ctx.room = f.desk;
            ctx.code = Some(f.code);
        }
        _ => {
            let appointment = m.appointment.context("an appointment message without its appointment")?;
            let f = d.store.appointment_facts(m.clinic, appointment).await?.context("the appointment is gone")?;
            ctx.recipient_name = Some(f.patient_name.clone());
            ctx.service = Some(f.service.clone());
            ctx.practitioner = Some(f.practitioner.clone());
            ctx.location = Some(f.location.clone()).filter(|l| !l.is_empty());
            ctx.address = Some(f.address.clone()).filter(|a| !a.is_empty());
            ctx.start = Some(f.start);
            ctx.end = Some(f.end);
            // The location's zone from the bundled database: never the server's.
            ctx.zone = Some(nobat_core::zones::get(&f.time_zone).unwrap_or(TimeZone::UTC));
            ctx.hours = ctx.hours_before(Timestamp::now());
            ctx.link = Some(match kind {
                // A cancelled appointment's manage link shows only the cancellation: the
                // patient is pointed at the clinic instead, to book another time.
                MessageKind::BookingCancelled => d.public_url.clone(),
                _ => format!(
                    "{}/m/{}",
                    d.public_url,
                    nobat_web::auth::links::manage_token(&d.keys, m.clinic, appointment, f.end)
                ),
            });
        }
    }
    let overrides = d.overrides.get(&d.store, &d.messages, m.clinic).await?;
    let mut rendered = nobat_notify::render(&d.messages, &overrides, kind, lang, &ctx)?;
    // Short texts (the queue's) have no subject of their own: by email, the clinic's name.
    if rendered.subject.is_none() {
        rendered.subject = Some(ctx.clinic_name.clone());
    }
    let attachments = match (ChannelKind::parse(&m.channel), m.appointment) {
        (Some(ChannelKind::Email), Some(appointment)) => {
            // The SEQUENCE the patient's calendar.ics shows for this appointment now, so both
            // files name the same version of the event.
            let sequence = d.store.appointment_sequence(m.clinic, appointment).await.unwrap_or(0);
            calendar_file(d, m, kind, &ctx, &rendered, appointment, sequence).into_iter().collect()
        }
        _ => Vec::new(),
    };
    Ok(Composed { rendered, attachments })
}

/// The `.ics` of a confirmation or a move (REQUEST) or a cancellation (CANCEL); none for the
/// other kinds. A move books a new appointment, so its file is a new event.
fn calendar_file(
    d: &Dispatcher,
    m: &ClaimedMessage,
    kind: MessageKind,
    ctx: &MessageContext,
    rendered: &Rendered,
    appointment: nobat_core::AppointmentId,
    stored_sequence: u32,
) -> Option<Attachment> {
    // A confirmation (or a move, which books a new appointment) is the event's first version,
    // 0, even when it is sent after a later change; a cancellation carries the sequence the
    // store counted (at least 1), the same number `GET /manage/{token}/calendar.ics` shows.
    let (method, sequence) = match kind {
        // A watch's auto-booking is the booking's only message: it carries the event too.
        MessageKind::BookingConfirmed | MessageKind::BookingRescheduled | MessageKind::WatchBooked => {
            (IcsMethod::Request, 0)
        }
        MessageKind::BookingCancelled => (IcsMethod::Cancel, stored_sequence.max(1)),
        _ => return None,
    };
    let host =
        d.public_url.split("://").nth(1).unwrap_or("nobat.local").split(['/', ':']).next().unwrap_or("nobat.local");
    let from = &d.settings.email.smtp_from;
    let from_address = from.rsplit_once('<').map_or(from.as_str(), |(_, a)| a.trim_end_matches('>')).trim();
    let event = IcsEvent {
        uid: ics::uid_for(&appointment.to_string(), host),
        sequence,
        method,
        start: ctx.start?,
        end: ctx.end?,
        zone: ctx.zone.clone()?,
        summary: format!("{} — {}", ctx.service.clone().unwrap_or_default(), ctx.clinic_name),
        description: Some(rendered.text.clone()),
        location: ctx.address.clone().or_else(|| ctx.location.clone()),
        url: ctx.link.clone(),
        organizer: Some(Party { name: ctx.clinic_name.clone(), email: from_address.to_owned() }),
        attendee: Some(Party { name: ctx.recipient_name.clone().unwrap_or_default(), email: m.recipient.clone() }),
        stamp: Timestamp::now(),
    };
    Some(ics::build(&event))
}

/// The catalogue sentence of an alert the store recorded by name.
fn alert_sentence(key: &str) -> &'static str {
    match key {
        "message-dead" => "alert-message-dead",
        "sms-budget-spent" => "alert-sms-budget-exhausted",
        "telegram-token-revoked" => "alert-telegram-token-revoked",
        _ => "alert-worker-failing",
    }
}
