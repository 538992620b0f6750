//! Availability: load one clinic's rules, exceptions, zones and busy time for a date range in
//! a handful of queries, then let the core compute each practitioner's slots.

use crate::calendar::{self, Excluding};
use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use nobat_core::availability::{Audience, PractitionerCalendar, SlotQuery, slots};
use nobat_core::{ClinicId, LocationId, PractitionerId, Service, Slot};
use std::collections::HashMap;

/// What to compute.
#[derive(Debug, Clone, Copy)]
pub struct AvailabilityQuery {
    pub from: Date,
    pub to: Date,
    pub practitioner: Option<PractitionerId>,
    pub location: Option<LocationId>,
    pub now: Timestamp,
    pub audience: Audience,
    /// The most slots one answer may hold: computing stops once it is passed, so neither the
    /// work nor the answer grows with a wide query over a fine grid.
    pub max_slots: usize,
}

impl Store {
    /// Slots of `service` in the clinic, sorted by start, then practitioner.
    pub async fn availability(
        &self,
        clinic: ClinicId,
        service: &Service,
        q: AvailabilityQuery,
    ) -> StoreResult<Vec<Slot>> {
        self.compute_slots(clinic, service, q, true).await
    }

    /// Every slot of the grid as if nothing were booked or held: the clinic's capacity. With
    /// [`Self::availability`] it tells which slots are taken (the SMART publisher's busy slots).
    pub async fn grid_slots(
        &self,
        clinic: ClinicId,
        service: &Service,
        q: AvailabilityQuery,
    ) -> StoreResult<Vec<Slot>> {
        self.compute_slots(clinic, service, q, false).await
    }

    async fn compute_slots(
        &self,
        clinic: ClinicId,
        service: &Service,
        q: AvailabilityQuery,
        with_busy: bool,
    ) -> StoreResult<Vec<Slot>> {
        let query =
            SlotQuery { service, from: q.from, to: q.to, now: q.now, audience: q.audience, location: q.location };
        query.validate()?;
        let mut conn = self.reader().await?;
        let practitioners: Vec<PractitionerId> = {
            let found = crate::db::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND active = 1 AND ($2 IS NULL OR id = $2) ORDER BY id")
                .bind(clinic.to_string())
                .bind(q.practitioner.map(|p| p.to_string()))
                .fetch_all(&mut conn)
                .await?;
            found.iter().map(|r| rows::parse(r, "id")).collect::<StoreResult<_>>()?
        };
        if practitioners.is_empty() {
            return Ok(Vec::new());
        }
        let rules = calendar::rules(&mut conn, clinic, q.practitioner).await?;
        let exceptions = calendar::exceptions(&mut conn, clinic, q.from, q.to).await?;
        let zones = calendar::zones(&mut conn, clinic).await?;
        // Local dates span at most ±14 h around UTC; a day of margin each side covers every
        // zone, and buffers are far shorter than a day.
        let start = q
            .from
            .checked_sub(2.days())
            .unwrap_or(q.from)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| invalid_range("from", e))?
            .timestamp();
        let end =
            q.to.checked_add(3.days())
                .unwrap_or(q.to)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map_err(|e| invalid_range("to", e))?
                .timestamp();
        let busy = calendar::busy(
            &mut conn,
            clinic,
            q.practitioner,
            (start.as_microsecond(), end.as_microsecond()),
            q.now.as_microsecond(),
            Excluding::default(),
        )
        .await?;
        drop(conn);
        let mut by_practitioner: HashMap<PractitionerId, Vec<_>> = HashMap::new();
        for (p, b) in busy.into_iter().filter(|_| with_busy) {
            by_practitioner.entry(p).or_default().push(b);
        }
        let mut out = Vec::new();
        for p in practitioners {
            let cal = PractitionerCalendar {
                practitioner: p,
                rules: &rules,
                exceptions: &exceptions,
                busy: by_practitioner.get(&p).map_or(&[][..], Vec::as_slice),
            };
            out.extend(slots(&query, &cal, &zones));
            if out.len() > q.max_slots {
                return Err(nobat_core::DomainError::TooManySlots { limit: q.max_slots }.into());
            }
        }
        out.sort_by(|a, b| a.start.cmp(&b.start).then(a.practitioner.cmp(&b.practitioner)));
        Ok(out)
    }
}

/// The library's own words name its internals (`civil date`, `-9999-01-01`…); say it plainly.
fn invalid_range(field: &str, _: jiff::Error) -> crate::StoreError {
    nobat_core::DomainError::invalid(field, "the date is too far in the past or future").into()
}
