//! Outbox deliveries → messages. Each claimed delivery's messages are written and the delivery
//! completed in one transaction (`PlanMessages`); a message's source (the delivery and the
//! recipient's role) is unique, so a delivery handed out twice plans its messages once.

use super::Dispatcher;
use anyhow::anyhow;
use futures::StreamExt;
use nobat_i18n::Lang;
use nobat_notify::plan::{self, Planned, Reach, Trigger};
use nobat_notify::{ChannelKind, MessageKind};
use nobat_store::commands::{NewMessage, OutboxItem};
use nobat_store::{Command, Output, StoreError, Subjects};
use serde_json::{Value, json};

pub const CONSUMER: &str = "dispatcher";
pub const BATCH: u32 = 64;
/// Deliveries planned at once (each a few reads and one write).
const CONCURRENCY: usize = 16;
/// A delivery is planned in one short transaction; a crashed planner's rows come back then.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Plans one claimed batch; answers how many deliveries it claimed (a full batch: there may
/// be more). The deliveries are planned concurrently and their `PlanMessages` writes reach the
/// writer together, so it commits them in a few transactions rather than one per delivery;
/// a batch holds at most one delivery per appointment (the claim keeps each appointment's
/// deliveries in order), so the order of their messages is not at stake.
pub async fn plan_batch(d: &Dispatcher) -> anyhow::Result<usize> {
    let cmd = Command::ClaimOutbox { consumer: CONSUMER.into(), limit: BATCH, lease: LEASE };
    let items = match d.store.execute(cmd).await? {
        Output::Outbox(items) => items,
        other => return Err(anyhow!("claiming the outbox answered {other:?}")),
    };
    let claimed = items.len();
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(items)
        .map(|item| async move {
            let messages = match plan_one(d, &item).await {
                Ok(m) => m,
                Err(e) => {
                    let error = format!("{e:#}");
                    tracing::warn!(topic = %item.topic, %error, "could not plan messages; retried later");
                    let retry = Command::RetryOutbox { item, after: None, error };
                    if let Err(e) = d.store.execute(retry).await {
                        tracing::warn!(error = %e, "could not give the delivery back; its lease runs out");
                    }
                    return Ok(());
                }
            };
            match d.store.execute(Command::PlanMessages { delivery: item, messages }).await {
                Ok(_) | Err(StoreError::LeaseLost) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(claimed)
}

/// The messages one delivery makes.
async fn plan_one(d: &Dispatcher, item: &OutboxItem) -> anyhow::Result<Vec<NewMessage>> {
    // The instance's channels and the clinic's own (its sealed credentials).
    let channels = super::channels_of(d, item.clinic).await?;
    let can_send = |c: ChannelKind| channels.contains(&c);
    if super::planner_queue::is_queue_topic(&item.topic) {
        return super::planner_queue::plan(d, item, &can_send).await;
    }
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
        // The queue's messages are planned in planner_queue.rs, watches' in planner_watch.rs,
        // followed sources' in planner_sources.rs.
        // A followed source's slot freed up: its watchers (planner_sources.rs).
        "source.slot_free" => return super::planner_sources::plan(d, item).await,
        "source_watch.expired" => return super::planner_sources::plan_expired(d, item).await,
        "secure_message.posted" => return super::planner_secure::plan(d, item).await,
        "watch.notified" | "watch.offered" | "watch.booked" | "watch.expired" => {
            return super::planner_watch::plan(d, item).await;
        }
        // appointment.status_changed (arrived, no-show…) says nothing to the patient.
        _ => return Ok(Vec::new()),
    };
    let subjects: Subjects = serde_json::from_value(item.payload.clone()).unwrap_or_default();
    let Some(appointment) = subjects.appointment else { return Ok(Vec::new()) };
    // Auto-booked by a watch: the watcher hears it once, from the watch's message (which says
    // why it was booked and carries the manage link and the .ics), not also as a confirmation.
    if matches!(trigger, Trigger::Booked | Trigger::Rescheduled)
        && d.store.booked_by_watch(item.clinic, appointment).await?
    {
        return Ok(Vec::new());
    }
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
