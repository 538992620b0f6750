//! The writer's calendar cache: what decides a practitioner's slots — weekly rules, exceptions,
//! the clinic's locations and services — kept between bookings and keyed by the practitioner's
//! `schedule_seq`.
//!
//! The booking command reads `schedule_seq` from the same `UPDATE … RETURNING` that takes the
//! practitioner's lock, and every change to those inputs bumps it under the same lock (in this
//! process or another), so a cached calendar is used only while it is exactly current. Data
//! loaded inside a transaction that then fails to commit could describe changes that never
//! happened, so the writer empties the cache whenever a transaction with such changes is lost.

use crate::calendar;
use crate::db::Conn;
use crate::error::StoreResult;
use jiff::ToSpan;
use jiff::civil::Date;
use nobat_core::{ClinicId, Exception, LocationZone, PractitionerId, Service, ServiceId, WeeklyRule};
use std::collections::HashMap;
use std::sync::Arc;

/// Everything the slot engine needs about one practitioner, except busy time.
pub(crate) struct Calendar {
    pub rules: Vec<WeeklyRule>,
    /// Exceptions for this practitioner or everyone, from a few days ago on.
    pub exceptions: Vec<Exception>,
    pub zones: Vec<LocationZone>,
    /// The clinic's bookable services.
    pub services: HashMap<ServiceId, Service>,
}

/// Bounded: a deployment with more practitioners than this just reloads more often.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(crate) struct CalendarCache {
    entries: HashMap<PractitionerId, (i64, Arc<Calendar>)>,
}

impl CalendarCache {
    /// The practitioner's calendar at `seq`, from memory or freshly loaded through `conn`.
    pub(crate) async fn get(
        &mut self,
        conn: &mut Conn,
        clinic: ClinicId,
        practitioner: PractitionerId,
        seq: i64,
        today: Date,
    ) -> StoreResult<Arc<Calendar>> {
        if let Some((cached, cal)) = self.entries.get(&practitioner)
            && *cached == seq
        {
            return Ok(cal.clone());
        }
        let from = today.checked_sub(3.days()).unwrap_or(today);
        let rules = calendar::rules(conn, clinic, Some(practitioner)).await?;
        let exceptions = calendar::exceptions(conn, clinic, from, Date::MAX)
            .await?
            .into_iter()
            .filter(|e| e.practitioner.is_none_or(|p| p == practitioner))
            .collect();
        let zones = calendar::zones(conn, clinic).await?;
        let services = calendar::services(conn, clinic).await?.into_iter().map(|s| (s.id, s)).collect();
        let cal = Arc::new(Calendar { rules, exceptions, zones, services });
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(practitioner, (seq, cal.clone()));
        Ok(cal)
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
