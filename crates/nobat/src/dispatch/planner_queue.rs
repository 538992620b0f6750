//! The queue's messages, planned from ticket events (which carry ids only: the patient's name
//! and addresses are read here).
//!
//! - `ticket.called` (a call or a recall) → "please come to room N" (`queue_called`) to the
//!   called ticket's patient, once per event: a recall is a new event and says it again (the
//!   patient did not come; telling them again is the point of a recall), while the same event
//!   handed out twice plans it once (the source is the delivery's). Only when the ticket is
//!   still `called` and was called to a desk or room (without one there is nothing to say).
//! - any ticket event of a queue (issued, called, changed) → "you are next" (`queue_next`) to
//!   the patient whose ticket is now first in that queue's line, once per ticket ever (the
//!   source is the ticket's): a ticket pushed back and first again later is not told twice.
//!
//! Both only to patients with an address a configured channel can reach (SMS, else email);
//! the SMS budget falls back to email as for appointments.

use super::Dispatcher;
use nobat_core::{QueueId, TicketId};
use nobat_i18n::Lang;
use nobat_notify::plan::{self, Planned, Reach};
use nobat_notify::{ChannelKind, MessageKind};
use nobat_store::Subjects;
use nobat_store::commands::{NewMessage, OutboxItem};
use nobat_store::reads::TicketFacts;
use serde_json::json;

/// The topics planned here.
pub fn is_queue_topic(topic: &str) -> bool {
    matches!(topic, "ticket.issued" | "ticket.called" | "ticket.changed")
}

pub async fn plan(
    d: &Dispatcher,
    item: &OutboxItem,
    can_send: &(dyn Fn(ChannelKind) -> bool + Sync),
) -> anyhow::Result<Vec<NewMessage>> {
    let subjects: Subjects = serde_json::from_value(item.payload.clone()).unwrap_or_default();
    let mut out = Vec::new();
    if item.topic == "ticket.called"
        && let Some(ticket) = subjects.ticket
        && let Some(f) = d.store.ticket_facts(item.clinic, ticket).await?
        && f.status == "called"
        && f.desk.is_some()
    {
        let source = format!("outbox:{}:queue_called", item.id);
        out.extend(messages(MessageKind::QueueCalled, "queue_called", ticket, &f, source, can_send));
    }
    if let Some(queue) = subjects.queue {
        out.extend(next_in_line(d, item, queue, can_send).await?);
    }
    Ok(out)
}

/// "You are next" to the patient first in `queue`'s line, unless told before.
async fn next_in_line(
    d: &Dispatcher,
    item: &OutboxItem,
    queue: QueueId,
    can_send: &(dyn Fn(ChannelKind) -> bool + Sync),
) -> anyhow::Result<Vec<NewMessage>> {
    let Some(head) = d.store.queue_head(item.clinic, queue).await? else { return Ok(Vec::new()) };
    let Some(f) = d.store.ticket_facts(item.clinic, head).await? else { return Ok(Vec::new()) };
    let source = format!("ticket:{head}:queue_next");
    Ok(messages(MessageKind::QueueNext, "queue_next", head, &f, source, can_send))
}

/// The message (with its SMS-budget fallback) to a ticket's patient.
fn messages(
    kind: MessageKind,
    role: &'static str,
    ticket: TicketId,
    f: &TicketFacts,
    source: String,
    can_send: &(dyn Fn(ChannelKind) -> bool + Sync),
) -> Vec<NewMessage> {
    let reach = Reach {
        email: f.patient_email.clone(),
        phone: f.patient_phone.clone(),
        language: f.patient_language.as_deref().and_then(Lang::from_tag),
    };
    let clinic_lang = Lang::from_tag(&f.clinic_language);
    let planned = plan::plan_reach(kind, role, &reach, clinic_lang, can_send, true);
    let fallback = plan::plan_reach(kind, role, &reach, clinic_lang, can_send, false);
    planned
        .iter()
        .map(|p: &Planned| NewMessage {
            appointment: f.appointment,
            kind: p.kind.as_str().into(),
            channel: p.channel.as_str().into(),
            recipient: p.recipient.clone(),
            language: p.lang.code().into(),
            source: source.clone(),
            facts: json!({ "ticket": ticket.to_string() }),
            fallback: fallback
                .iter()
                .find(|b| p.channel == ChannelKind::Sms && b.channel != ChannelKind::Sms)
                .map(|b| (b.channel.as_str().to_owned(), b.recipient.clone())),
        })
        .collect()
}

/// A queue message that waited (a retry) past its moment is not sent: "come to room 3" once
/// the ticket is no longer called, "you are next" once it is no longer waiting.
pub async fn superseded(d: &Dispatcher, m: &nobat_store::commands::ClaimedMessage) -> Option<String> {
    let wanted = match MessageKind::parse(&m.kind)? {
        MessageKind::QueueCalled => "called",
        MessageKind::QueueNext => "waiting",
        _ => return None,
    };
    let ticket: TicketId = m.facts.get("ticket")?.as_str()?.parse().ok()?;
    match d.store.ticket_facts(m.clinic, ticket).await {
        Ok(Some(f)) if f.status != wanted => Some(format!("superseded: the ticket is {}", f.status)),
        Ok(None) => Some("superseded: the ticket is gone".into()),
        _ => None,
    }
}
