//! `source.slot_free` → a message to each watcher of that source whose window the slot suits.
//! The message's unique source is `source-watch:{watch}:{slot}`, so a watcher is never told
//! twice about the same slot, however often it frees again or the delivery is handed out.
//! The link is the publisher's booking deep link with `source` and `booking-referral` merged
//! into its query string (the spec's client parameters); without one, the publisher's phone.

use super::Dispatcher;
use nobat_core::smart::{link, watch};
use nobat_i18n::Lang;
use nobat_notify::{ChannelKind, MessageKind};
use nobat_store::Subjects;
use nobat_store::commands::{NewMessage, OutboxItem, SOURCES_CLINIC};
use nobat_web::routes::watches::{manage_url, watch_token};
use serde_json::json;

/// Who we are to the publisher: the `source` parameter of its deep links.
const CLIENT_ID: &str = "nobat";

pub async fn plan(d: &Dispatcher, item: &OutboxItem) -> anyhow::Result<Vec<NewMessage>> {
    let subjects: Subjects = serde_json::from_value(item.payload.clone()).unwrap_or_default();
    let (Some(source), Some(slot_id)) = (subjects.source, subjects.slot) else { return Ok(Vec::new()) };
    // As it stands now: taken again since, or gone, tells nobody.
    let Some(slot) = d.store.source_slot(&source, &slot_id).await? else { return Ok(Vec::new()) };
    if slot.status != "free" || slot.start <= jiff::Timestamp::now() {
        return Ok(Vec::new());
    }
    let watches = d.store.source_watches_for(&source, &slot.location_id, &slot.schedule_id).await?;
    let mut out = Vec::new();
    // Only watchers who were waiting when it freed: a slot already free when a watch is made
    // is on the slots list for them to see, not news.
    for w in watches.into_iter().filter(|w| w.after_seq < item.seq) {
        let Ok(tz) = nobat_core::zones::get(&w.time_zone) else { continue };
        let today = jiff::Timestamp::now().to_zoned(tz.clone()).date();
        // A window that has ended (or was stored before a rule changed) matches nothing.
        let Ok(criteria) = watch::criteria(w.from, w.to, &w.weekdays, &w.times, today) else { continue };
        if !watch::suits(&criteria, slot.start, &tz) {
            continue;
        }
        let target = match (slot.booking_links.first(), &slot.booking_phone) {
            (Some(l), _) => link::merge_query(l, &[("source", CLIENT_ID), ("booking-referral", &w.id)]),
            (None, Some(phone)) => format!("tel:{}", phone.replace(' ', "")),
            (None, None) => continue,
        };
        let channel = [
            (ChannelKind::Email, &w.email),
            (ChannelKind::Telegram, &w.telegram_chat),
            (ChannelKind::Sms, &w.phone),
            (ChannelKind::Whatsapp, &w.phone),
        ]
        .into_iter()
        .find_map(|(c, to)| to.as_ref().filter(|_| d.registry.has(c)).map(|to| (c, to.clone())));
        let Some((channel, recipient)) = channel else { continue };
        let lang = w.language.as_deref().and_then(Lang::from_tag).unwrap_or(Lang::En);
        out.push(NewMessage {
            appointment: None,
            kind: MessageKind::SourceSlotFree.as_str().into(),
            channel: channel.as_str().into(),
            recipient,
            language: lang.code().into(),
            source: format!("source-watch:{}:{}", w.id, slot.slot_id),
            facts: json!({
                "name": w.name,
                "location": if slot.location_name.is_empty() { slot.schedule_id.clone() } else { slot.location_name.clone() },
                "start": slot.start.to_string(),
                "time_zone": w.time_zone,
                "link": target,
                "stop": stop_link(d, &w.id),
            }),
            fallback: None,
        });
    }
    Ok(out)
}

/// The stop link of an outside watch (`DELETE /api/v1/watches/{token}`), as for local ones.
fn stop_link(d: &Dispatcher, watch: &str) -> String {
    manage_url(&d.public_url, &watch_token(&d.keys, SOURCES_CLINIC, watch))
}

/// `source_watch.expired` → the watcher is told, once, that their window ended (the same words
/// as a local watch's end, the publisher's location standing for the service).
pub async fn plan_expired(d: &Dispatcher, item: &OutboxItem) -> anyhow::Result<Vec<NewMessage>> {
    let subjects: Subjects = serde_json::from_value(item.payload.clone()).unwrap_or_default();
    let Some(id) = subjects.watch else { return Ok(Vec::new()) };
    let Some(w) = d.store.source_watch(&id).await? else { return Ok(Vec::new()) };
    let channel =
        [(ChannelKind::Email, &w.email), (ChannelKind::Telegram, &w.telegram_chat), (ChannelKind::Sms, &w.phone)]
            .into_iter()
            .find_map(|(c, to)| to.as_ref().filter(|_| d.registry.has(c)).map(|to| (c, to.clone())));
    let Some((channel, recipient)) = channel else { return Ok(Vec::new()) };
    let lang = w.language.as_deref().and_then(Lang::from_tag).unwrap_or(Lang::En);
    let place = w.location.clone().or(w.schedule.clone()).unwrap_or_default();
    Ok(vec![NewMessage {
        appointment: None,
        kind: MessageKind::WatchExpired.as_str().into(),
        channel: channel.as_str().into(),
        recipient,
        language: lang.code().into(),
        source: format!("source-watch-end:{}", w.id),
        facts: json!({
            "patient": w.name,
            "service": place,
            "zone": w.time_zone,
            "last_day": w.to.to_string(),
            "link": d.public_url.trim_end_matches('/'),
            "stop": stop_link(d, &w.id),
        }),
        fallback: None,
    }])
}
