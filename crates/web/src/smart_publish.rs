//! The SMART Scheduling Links publication of one clinic, computed on request from the rules
//! with the same availability core as the booking API (never stored, so always current):
//! Locations, one Schedule per practitioner × location × service, and Slots — free ones with
//! the capacity left, busy ones for what is taken — over a bounded horizon.

use crate::AppState;
use crate::context::ClinicCtx;
use crate::problem::ApiResult;
use jiff::{Timestamp, ToSpan};
use nobat_core::availability::Audience;
use nobat_core::smart::{self, Coding, Location, Schedule, Slot, SlotStatus, link, write};
use nobat_core::{LocationId, PractitionerId, ServiceId};
use nobat_store::reads::AvailabilityQuery;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// What the publisher serves: horizon and polling hint (config `smart_horizon_days`,
/// `smart_max_age_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publishing {
    /// Days of slots published from today: a file stays small however far rules reach.
    pub horizon_days: u32,
    /// `Cache-Control: max-age`, the spec's polling hint to consumers.
    pub max_age_seconds: u32,
}

impl Default for Publishing {
    fn default() -> Self {
        Publishing { horizon_days: 28, max_age_seconds: 300 }
    }
}

/// The three files, and when what they show last changed.
pub struct Publication {
    pub locations: String,
    pub schedules: String,
    pub slots: String,
    /// The newest event of the clinic, or the start of today (UTC) when the horizon last moved:
    /// what `transactionTime`, `Last-Modified` and `_since` go by.
    pub modified: Timestamp,
}

/// A short stable id within the spec's alphabet (`[A-Za-z0-9-.]`, ≤ 64).
fn schedule_id(p: PractitionerId, l: LocationId, s: ServiceId) -> String {
    let h = Sha256::digest(format!("{p}|{l}|{s}").as_bytes());
    hex::encode(&h[..8])
}

pub async fn publication(state: &AppState, ctx: &ClinicCtx) -> ApiResult<Publication> {
    let clinic = &ctx.clinic;
    let base = state.auth.public_url.trim_end_matches('/').to_owned();
    let now = Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let horizon = i64::from(state.smart.horizon_days.clamp(1, 92));
    let to = today.checked_add(horizon.days()).unwrap_or(today);
    let services: Vec<_> = state.store.services(clinic.id).await?.into_iter().filter(|s| s.active).collect();
    let practitioners: HashMap<PractitionerId, String> =
        state.store.practitioners(clinic.id).await?.into_iter().map(|p| (p.id, p.name)).collect();
    let mut schedules: BTreeMap<String, Schedule> = BTreeMap::new();
    let mut slots: Vec<(Slot, LocationId)> = Vec::new();
    for service in &services {
        let q = AvailabilityQuery {
            from: today,
            to,
            practitioner: None,
            location: None,
            now,
            audience: Audience::Patient,
            max_slots: 200_000,
        };
        let free = state.store.availability(clinic.id, service, q).await?;
        let grid = state.store.grid_slots(clinic.id, service, q).await?;
        let left: HashMap<(PractitionerId, LocationId, Timestamp), u32> =
            free.iter().map(|s| ((s.practitioner, s.location, s.start), s.capacity_left)).collect();
        for g in &grid {
            let sid = schedule_id(g.practitioner, g.location, service.id);
            schedules.entry(sid.clone()).or_insert_with(|| Schedule {
                id: sid.clone(),
                location: g.location.to_string(),
                other_actors: vec![format!("Practitioner/{}", g.practitioner)],
                service_types: vec![Coding {
                    system: format!("{base}/smart/{}/service-type", clinic.slug),
                    code: service.id.to_string(),
                    display: Some(service.name.clone()),
                }],
                display: practitioners.get(&g.practitioner).cloned(),
            });
            let tz = ctx.tz(g.location);
            let start_text = write::instant(g.start, &tz);
            let deep_link = link::merge_query(
                &format!("{base}/c/{}", clinic.slug),
                &[
                    ("service", &service.id.to_string()),
                    ("practitioner", &g.practitioner.to_string()),
                    ("start", &start_text),
                ],
            );
            let free_left = left.get(&(g.practitioner, g.location, g.start)).copied().unwrap_or(0);
            let total = service.capacity.max(1);
            let id = format!("{sid}-{}", g.start.as_second());
            if free_left > 0 {
                let slot = Slot {
                    id: id.clone(),
                    schedule: sid.clone(),
                    status: SlotStatus::Free,
                    start: g.start,
                    end: g.end,
                    booking_links: vec![deep_link],
                    // The location's own number (migration 0027), for those who would rather call.
                    booking_phone: ctx.locations.iter().find(|l| l.id == g.location).and_then(|l| l.phone.clone()),
                    capacity: free_left.min(total),
                };
                slots.push((slot, g.location));
            }
            if free_left < total {
                let slot = Slot {
                    id: format!("{id}-b"),
                    schedule: sid.clone(),
                    status: SlotStatus::Busy,
                    start: g.start,
                    end: g.end,
                    booking_links: Vec::new(),
                    booking_phone: None,
                    capacity: total - free_left,
                };
                slots.push((slot, g.location));
            }
        }
    }
    slots.sort_by(|(a, _), (b, _)| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)));
    let locations: Vec<Value> = ctx
        .locations
        .iter()
        .map(|l| {
            write::location(&Location {
                id: l.id.to_string(),
                name: format!("{} — {}", clinic.name, l.name),
                phone: l.phone.clone(),
                url: Some(format!("{base}/c/{}", clinic.slug)),
                address: smart::Address {
                    lines: vec![l.address.clone()],
                    city: String::new(),
                    state: String::new(),
                    postal_code: String::new(),
                    district: None,
                },
                identifiers: vec![Coding { system: format!("{base}/location"), code: l.id.to_string(), display: None }],
                description: None,
            })
        })
        .collect();
    let schedules: Vec<Value> = schedules.values().map(write::schedule).collect();
    let slots: Vec<Value> = slots.iter().map(|(s, l)| write::slot(s, &ctx.tz(*l))).collect();
    let midnight = today.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).unwrap_or(now);
    let last_event = state.store.last_event_at(clinic.id).await?;
    // To the millisecond, as `transactionTime` is written: `_since` compares at that
    // resolution, so a change in the same second as a consumer's last poll is not missed (whole
    // seconds made that a real gap). Only `Last-Modified` / `If-Modified-Since` go by whole
    // seconds (HTTP dates have no finer resolution); the ETag covers what they cannot tell apart.
    let modified = last_event.map_or(midnight, |e| e.max(midnight));
    let modified = Timestamp::from_millisecond(modified.as_millisecond()).unwrap_or(modified);
    Ok(Publication {
        locations: write::ndjson(&locations),
        schedules: write::ndjson(&schedules),
        slots: write::ndjson(&slots),
        modified,
    })
}
