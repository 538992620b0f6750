//! Answers the patient flows' needs (`nobat_bot::Need`) with the store's own reads and the
//! ordinary booking command: the bot holds no booking rule of its own. Called by the poller
//! (`telegram_bot.rs`) between runs of the conversation core.

use jiff::{Timestamp, ToSpan};
use nobat_bot::patient::{Booked, Found, Item, Order, SlotFact};
use nobat_bot::{Facts, Need};
use nobat_core::availability::Audience;
use nobat_core::booking::Actor;
use nobat_core::hold::HoldClaim;
use nobat_core::{ClinicId, DomainError, PatientContact, PractitionerId, ServiceId};
use nobat_store::commands::{BookRequest, Idempotency};
use nobat_store::reads::AvailabilityQuery;
use nobat_store::{AuditActor, Command, Output, Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// How far ahead the bot looks for free time, and how many slots it reads at most.
const DAYS_AHEAD: i64 = 14;
/// Days with free time the bot reads: one menu's worth.
const DAYS_WANTED: usize = 7;
/// Per day; a day with more slots than this is refused by the store (no clinic has one).
const MAX_SLOTS: usize = 1000;
/// Clinics searched by text at most (an instance with more should be searched on the web).
const MAX_CLINICS: usize = 200;

/// What the shell needs besides the store: where manage links point and the key that signs them.
#[derive(Clone)]
pub struct Links {
    pub auth: Arc<nobat_web::auth::AuthConfig>,
}

/// Answers one need into `facts`. `update` names the booking's idempotency key, so the same
/// update can never book twice.
pub async fn answer(
    store: &Store,
    links: Option<&Links>,
    bot: &str,
    update_id: i64,
    need: Need,
    facts: &mut Facts,
) -> anyhow::Result<()> {
    match need {
        Need::Clinics => {
            let clinics = store.clinics().await?;
            facts.clinics = Some(clinics.into_iter().map(|(c, _)| Item::new(c.id.to_string(), c.name)).collect());
        }
        Need::Search(q) => facts.search = Some(search(store, &q).await?),
        Need::Services { clinic } => {
            let clinic: ClinicId = clinic.parse()?;
            let services = store.services(clinic).await?;
            facts.services =
                Some(services.into_iter().filter(|s| s.active).map(|s| Item::new(s.id.to_string(), s.name)).collect());
        }
        Need::Practitioners { clinic } => {
            let clinic: ClinicId = clinic.parse()?;
            let people = store.practitioners(clinic).await?;
            facts.practitioners =
                Some(people.into_iter().filter(|p| p.active).map(|p| Item::new(p.id.to_string(), p.name)).collect());
        }
        Need::Slots { clinic, service, practitioner } => {
            facts.slots = Some(slots(store, &clinic, &service, practitioner.as_deref()).await?);
        }
        Need::Book(order) => facts.booked = Some(book(store, links, bot, update_id, *order).await?),
    }
    Ok(())
}

/// Clinics whose name or slug, and services whose name, contain the words typed.
async fn search(store: &Store, q: &str) -> anyhow::Result<Vec<Found>> {
    let q = q.to_lowercase();
    let mut hits = Vec::new();
    for (clinic, _) in store.clinics().await?.into_iter().take(MAX_CLINICS) {
        let c = Item::new(clinic.id.to_string(), clinic.name.clone());
        if clinic.name.to_lowercase().contains(&q) || clinic.slug.contains(&q) {
            hits.push(Found { clinic: c.clone(), service: None });
        }
        for s in store.services(clinic.id).await?.into_iter().filter(|s| s.active) {
            if s.name.to_lowercase().contains(&q) {
                hits.push(Found { clinic: c.clone(), service: Some(Item::new(s.id.to_string(), s.name)) });
            }
        }
    }
    Ok(hits)
}

/// The next free slots a patient may book, in the clinic's own availability.
async fn slots(
    store: &Store,
    clinic: &str,
    service: &str,
    practitioner: Option<&str>,
) -> anyhow::Result<Vec<SlotFact>> {
    let clinic: ClinicId = clinic.parse()?;
    let service = store.service(clinic, service.parse::<ServiceId>()?).await?;
    let practitioner = practitioner.map(str::parse::<PractitionerId>).transpose()?;
    let locations = store.locations(clinic).await?;
    let zones: HashMap<String, jiff::tz::TimeZone> = locations
        .iter()
        .filter_map(|l| nobat_core::zones::get(&l.time_zone).ok().map(|z| (l.id.to_string(), z)))
        .collect();
    let names: HashMap<String, String> =
        store.practitioners(clinic).await?.into_iter().map(|p| (p.id.to_string(), p.name)).collect();
    let now = Timestamp::now();
    // "Today" where the clinic is (its first location), a day early so no zone misses today.
    let zone = locations.first().and_then(|l| zones.get(&l.id.to_string())).cloned().unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(zone).date();
    let last = today.checked_add(DAYS_AHEAD.min(i64::from(service.horizon_days.max(1))).days()).unwrap_or(today);
    // One day at a time (a fortnight of "anyone" easily passes the per-query cap), until a
    // menu's worth of days with free time is found. From yesterday where the clinic is, so a
    // location ahead of the first one loses none of its today.
    let mut day = today.checked_sub(1.day()).unwrap_or(today);
    let mut found = Vec::new();
    let mut days_with_room = 0;
    while day <= last && days_with_room < DAYS_WANTED {
        let q = AvailabilityQuery {
            from: day,
            to: day,
            practitioner,
            location: None,
            now,
            audience: Audience::Patient,
            max_slots: MAX_SLOTS,
        };
        let mut these = store.availability(clinic, &service, q).await?;
        these.retain(|s| s.start > now);
        if !these.is_empty() {
            days_with_room += 1;
        }
        found.extend(these);
        day = day.checked_add(1.day())?;
    }
    Ok(found
        .into_iter()
        .map(|s| {
            let loc = s.location.to_string();
            let offset = zones.get(&loc).map(|z| z.to_offset(s.start).seconds()).unwrap_or(0);
            let who = s.practitioner.to_string();
            SlotFact {
                start_us: s.start.as_microsecond(),
                offset_secs: offset,
                practitioner: Item::new(who.clone(), names.get(&who).cloned().unwrap_or_default()),
                location: loc,
            }
        })
        .collect())
}

/// Books through the ordinary booking command, as the patient.
async fn book(store: &Store, links: Option<&Links>, bot: &str, update_id: i64, o: Order) -> anyhow::Result<Booked> {
    let clinic = store.clinic(&o.clinic).await?;
    let country = clinic.country.as_deref().and_then(|c| nobat_core::phone::Country::parse("country", c).ok());
    // Telegram gives the number without its `+` in some clients; it is always international.
    let phone = if o.phone.starts_with('+') { o.phone.clone() } else { format!("+{}", o.phone) };
    let Ok(patient) = PatientContact::parse_in(&o.name, Some(&phone), None, Some(&o.lang), country) else {
        return Ok(Booked::Refused);
    };
    let key = format!("telegram:{bot}:{update_id}");
    let req = BookRequest {
        clinic: clinic.id,
        service: o.service.parse()?,
        practitioner: o.slot.practitioner.id.parse()?,
        location: Some(o.slot.location.parse()?),
        start: Timestamp::from_microsecond(o.slot.start_us)?,
        start_offset: None,
        patient,
        hold: None,
        hold_claim: HoldClaim::default(),
        note: None,
        actor: Actor::Patient,
        // Never the patient's name: the audit trail outlives erasure.
        audit_actor: AuditActor::new("telegram-bot", "the patient, through the Telegram bot"),
        idempotency: Some(Idempotency { request_hash: key.clone(), key }),
        user: None,
        consents: Vec::new(),
        // The number came from Telegram's contact button: the user's own, as Telegram verified it.
        contact_verified: true,
    };
    match store.execute(Command::Book(req)).await {
        Ok(Output::Appointment { appointment: a, .. }) => {
            let manage_url = match links {
                Some(l) => {
                    let token = nobat_web::auth::links::manage_token(&l.auth.keys, a.clinic, a.id, a.end);
                    format!("{}/api/v1/manage/{token}", l.auth.public_url)
                }
                None => String::new(),
            };
            Ok(Booked::Done { manage_url })
        }
        Ok(other) => Err(anyhow::anyhow!("unexpected output {other:?}")),
        Err(StoreError::Domain(DomainError::SlotTaken | DomainError::SlotNotOffered(_))) => Ok(Booked::Taken),
        Err(StoreError::Domain(e)) => {
            tracing::info!(error = %e, "a booking through the Telegram bot was refused");
            Ok(Booked::Refused)
        }
        Err(e) => Err(e.into()),
    }
}
