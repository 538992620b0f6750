//! Outbox deliveries → messages. Each claimed delivery's messages are written and the delivery
//! completed in one transaction (`PlanMessages`); a message's source (the delivery and the
//! recipient's role) is unique, so a delivery handed out twice plans its messages once.

use super::Dispatcher;
use anyhow::anyhow;
use nobat_i18n::Lang;
use nobat_notify::plan::{self, Planned, Reach, Trigger};
use nobat_notify::{ChannelKind, MessageKind};
use nobat_store::commands::{NewMessage, OutboxItem};
use nobat_store::{Command, Output, StoreError, Subjects};
use serde_json::{Value, json};

pub const CONSUMER: &str = "dispatcher";
const BATCH: u32 = 64;
/// A delivery is planned in one short transaction; a crashed planner's rows come back then.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

pub async fn plan_all(d: &Dispatcher) -> anyhow::Result<()> {
    loop {
        let cmd = Command::ClaimOutbox { consumer: CONSUMER.into(), limit: BATCH, lease: LEASE };
        let items = match d.store.execute(cmd).await? {
            Output::Outbox(items) => items,
            other => return Err(anyhow!("claiming the outbox answered {other:?}")),
        };
        let claimed = items.len();
        for item in items {
            let messages = match plan_one(d, &item).await {
                Ok(m) => m,
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::warn!(topic = %item.topic, %error, "could not plan messages; retried later");
                    let retry = Command::RetryOutbox { item, after: None, error };
                    if let Err(e) = d.store.execute(retry).await {
                        tracing::warn!(error = %e, "could not give the delivery back; its lease runs out");
                    }
                    continue;
                }
            };
            match d.store.execute(Command::PlanMessages { delivery: item, messages }).await {
                Ok(_) | Err(StoreError::LeaseLost) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if claimed < BATCH as usize {
            return Ok(());
        }
    }
}

/// The messages one delivery makes.
async fn plan_one(d: &Dispatcher, item: &OutboxItem) -> anyhow::Result<Vec<NewMessage>> {
    let can_send = |c: ChannelKind| d.registry.has(c);
    let source = |p: &Planned| format!("outbox:{}:{}", item.id, p.role);
    let trigger = match item.topic.as_str() {
        "appointment.booked" => Trigger::Booked,
        "appointment.rescheduled" => Trigger::Rescheduled,
        "appointment.cancelled" => Trigger::Cancelled,
        "appointment.reminder" => Trigger::Reminder { booked: true },
        "verification.requested" => {
            let language = Lang::from_tag(text(&item.payload, "language")).unwrap_or(Lang::En);
            let planned = plan::plan_code(text(&item.payload, "channel"), text(&item.payload, "to"), language);
            let facts = json!({ "code": text(&item.payload, "code") });
            return Ok(planned
                .filter(|p| can_send(p.channel))
                .map(|p| new(&p, None, source(&p), facts))
                .into_iter()
                .collect());
        }
        "staff.invitation" => {
            let to = text(&item.payload, "to");
            if to.is_empty() || !can_send(ChannelKind::Email) {
                return Ok(Vec::new());
            }
            let lang = d.store.clinic_name_language(item.clinic).await?.and_then(|(_, l)| Lang::from_tag(&l));
            let p = Planned {
                kind: MessageKind::StaffInvitation,
                channel: ChannelKind::Email,
                recipient: to.to_owned(),
                lang: Lang::negotiate(None, lang),
                role: "invitee",
            };
            let link = format!(
                "{}/api/v1/invitations/{}/accept",
                d.public_url.trim_end_matches('/'),
                text(&item.payload, "token")
            );
            let facts = json!({ "link": link, "role": text(&item.payload, "role") });
            return Ok(vec![new(&p, None, source(&p), facts)]);
        }
        "watch.notified" | "watch.offered" | "watch.booked" | "watch.expired" => {
            return super::planner_watch::plan(d, item).await;
        }
        // Hooks: the queue's "you are next" / "please come to room 3" (MessageKind::QueueNext,
        // QueueCalled) and watch offers (MessageKind::WatchOffer) are planned here when their
        // events exist: add the topic to the dispatcher's `wants` (store commands/outbox.rs)
        // and an arm that plans the patient's message like the appointment arms below.
        // appointment.status_changed (arrived, no-show…) says nothing to the patient.
        _ => return Ok(Vec::new()),
    };
    let subjects: Subjects = serde_json::from_value(item.payload.clone()).unwrap_or_default();
    let Some(appointment) = subjects.appointment else { return Ok(Vec::new()) };
    // Gone (erased): nobody to tell.
    let Some(facts) = d.store.appointment_facts(item.clinic, appointment).await? else { return Ok(Vec::new()) };
    let trigger = match trigger {
        Trigger::Reminder { .. } => Trigger::Reminder { booked: facts.status == "booked" },
        t => t,
    };
    let reach = Reach {
        email: facts.patient_email.clone(),
        phone: facts.patient_phone.clone(),
        language: facts.patient_language.as_deref().and_then(Lang::from_tag),
    };
    // The SMS budget is checked where the message is written (PlanMessages, in the write
    // transaction that counts the month's SMS): this plan says where to fall back to.
    let planned = plan::plan_patient(trigger, &reach, Lang::from_tag(&facts.clinic_language), can_send, true);
    let fallback = plan::plan_patient(trigger, &reach, Lang::from_tag(&facts.clinic_language), can_send, false);
    Ok(planned
        .iter()
        .map(|p| {
            let mut m = new(p, Some(appointment), source(p), json!({}));
            m.fallback = fallback
                .iter()
                .find(|f| p.channel == ChannelKind::Sms && f.channel != ChannelKind::Sms)
                .map(|f| (f.channel.as_str().to_owned(), f.recipient.clone()));
            m
        })
        .collect())
}

fn new(p: &Planned, appointment: Option<nobat_core::AppointmentId>, source: String, facts: Value) -> NewMessage {
    NewMessage {
        appointment,
        kind: p.kind.as_str().into(),
        channel: p.channel.as_str().into(),
        recipient: p.recipient.clone(),
        language: p.lang.code().into(),
        source,
        facts,
        fallback: None,
    }
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}
