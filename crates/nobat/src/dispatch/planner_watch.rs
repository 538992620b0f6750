//! Watch deliveries → the watcher's message: a free time (notify), an offer with its one-tap
//! accept link, a booking made for them (auto-book), or the end of their window. Every message
//! carries the stop link (`DELETE /api/v1/watches/{token}`; the token is derived from the
//! instance key and the watch, never stored). The words themselves are read again at sending
//! time from the facts written here (names, the slot, the location's zone).

use super::Dispatcher;
use nobat_i18n::Lang;
use nobat_notify::{ChannelKind, MessageKind};
use nobat_store::commands::{NewMessage, OutboxItem};
use nobat_web::routes::watches::{manage_url, watch_token};
use serde_json::json;

pub async fn plan(d: &Dispatcher, item: &OutboxItem) -> anyhow::Result<Vec<NewMessage>> {
    let Some(notice) = item.payload.get("notice").and_then(|v| v.as_str()) else { return Ok(Vec::new()) };
    let Some(f) = d.store.watch_notice_facts(item.clinic, notice).await? else { return Ok(Vec::new()) };
    let kind = match (item.topic.as_str(), f.kind.as_str()) {
        ("watch.notified", _) => MessageKind::WatchFree,
        ("watch.offered", _) if f.outcome == "offered" => MessageKind::WatchOffer,
        ("watch.booked", "booked") => MessageKind::WatchBooked,
        ("watch.expired", _) => MessageKind::WatchExpired,
        // An accepted offer: the booking's own confirmation tells the patient.
        _ => return Ok(Vec::new()),
    };
    // The channel the watcher chose, else email, else SMS — among those this instance can use.
    let email = f.email.clone().filter(|_| d.registry.has(ChannelKind::Email)).map(|e| (ChannelKind::Email, e));
    let sms = f.phone.clone().filter(|_| d.registry.has(ChannelKind::Sms)).map(|p| (ChannelKind::Sms, p));
    let reach = match f.channel.as_deref() {
        Some("sms") => sms.or(email),
        _ => email.or(sms),
    };
    let Some((channel, recipient)) = reach else { return Ok(Vec::new()) };
    let lang = Lang::negotiate(f.language.as_deref().and_then(Lang::from_tag), Lang::from_tag(&f.clinic_language));
    let public = d.public_url.trim_end_matches('/');
    let token = watch_token(&d.keys, item.clinic, &f.watch);
    let stop = manage_url(public, &token);
    let link = match kind {
        MessageKind::WatchOffer => format!("{stop}/offers/{}/accept", f.notice),
        MessageKind::WatchBooked => match (f.appointment, f.end) {
            (Some(a), Some(end)) => {
                format!("{public}/api/v1/manage/{}", nobat_web::auth::links::manage_token(&d.keys, item.clinic, a, end))
            }
            _ => public.to_owned(),
        },
        _ => public.to_owned(),
    };
    let minutes = match (f.expires_at, kind) {
        (Some(until), MessageKind::WatchOffer) => {
            Some(((until.as_second() - jiff::Timestamp::now().as_second()).max(60) + 30) / 60)
        }
        _ => None,
    };
    let facts = json!({
        "patient": f.patient_name,
        "service": f.service,
        "practitioner": f.practitioner,
        "location": f.location,
        "start": f.start.map(|t| t.to_string()),
        "end": f.end.map(|t| t.to_string()),
        "zone": f.time_zone,
        "last_day": f.to.to_string(),
        "link": link,
        "stop": stop,
        "minutes": minutes,
    });
    Ok(vec![NewMessage {
        appointment: f.appointment.filter(|_| kind == MessageKind::WatchBooked),
        kind: kind.as_str().into(),
        channel: channel.as_str().into(),
        recipient,
        language: lang.code().into(),
        source: format!("outbox:{}:watcher", item.id),
        facts,
        fallback: None,
    }])
}

/// The context of a watch message, from the facts planned above.
pub fn context(ctx: &mut nobat_notify::MessageContext, facts: &serde_json::Value, lang: Lang) {
    let fact = |k: &str| facts.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_owned);
    ctx.recipient_name = fact("patient");
    ctx.service = fact("service");
    ctx.practitioner = fact("practitioner");
    ctx.location = fact("location");
    let zone = fact("zone").and_then(|z| nobat_core::zones::get(&z).ok()).unwrap_or(jiff::tz::TimeZone::UTC);
    ctx.start = fact("start").and_then(|s| s.parse().ok());
    ctx.end = fact("end").and_then(|s| s.parse().ok());
    ctx.link = fact("link");
    ctx.stop_link = fact("stop");
    ctx.minutes = facts.get("minutes").and_then(|v| v.as_i64());
    // The last day in the recipient's calendar (Solar Hijri for fa), at noon in the location's zone.
    ctx.last_day = fact("last_day")
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .and_then(|d| d.at(12, 0, 0, 0).to_zoned(zone.clone()).ok())
        .map(|z| nobat_i18n::format_date(lang, z.timestamp(), &zone, ctx.calendar));
    ctx.zone = Some(zone);
}
