//! Appointment types ("services") and the booking policy each carries.

use crate::error::DomainError;
use crate::ids::{ClinicId, ServiceId};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

/// An appointment type: how long it lasts, how it sits on the grid, who may book it when.
///
/// All durations are whole minutes; they are validated by [`Service::validate`] so the slot
/// engine can trust them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub clinic: ClinicId,
    pub name: String,
    /// Length of the appointment itself.
    pub duration_min: u32,
    /// Time kept free before the appointment (preparation); not bookable by others.
    pub buffer_before_min: u32,
    /// Time kept free after the appointment (cleaning, notes); not bookable by others.
    pub buffer_after_min: u32,
    /// How many patients one slot takes (1, or more for group or vaccination sessions).
    pub capacity: u32,
    /// Distance between slot starts on the local wall-clock grid, counted from the start of
    /// each open interval. The API defaults it to duration + buffers, so slots do not overlap.
    pub slot_step_min: u32,
    /// A patient cannot book a slot starting sooner than this.
    pub min_notice_min: u32,
    /// A patient cannot book further ahead than this many days.
    pub horizon_days: u32,
    /// A patient cannot cancel within this many minutes of the start.
    pub cancel_cutoff_min: u32,
    /// A patient cannot reschedule within this many minutes of the start.
    pub reschedule_cutoff_min: u32,
    /// An inactive service is offered in no availability and takes no new holds or bookings;
    /// its existing appointments stay (they can be cancelled, attended, marked).
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// A change to a service: only the fields given change. Applied by the update command to the
/// service as it reads it inside the write transaction, so two concurrent changes to different
/// fields both survive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServicePatch {
    pub name: Option<String>,
    pub duration_min: Option<u32>,
    pub buffer_before_min: Option<u32>,
    pub buffer_after_min: Option<u32>,
    pub capacity: Option<u32>,
    pub slot_step_min: Option<u32>,
    pub min_notice_min: Option<u32>,
    pub horizon_days: Option<u32>,
    pub cancel_cutoff_min: Option<u32>,
    pub reschedule_cutoff_min: Option<u32>,
    pub active: Option<bool>,
}

impl ServicePatch {
    /// `base` with the given fields replaced. A base without a grid step (a new service) gets
    /// duration plus buffers, so its slots do not overlap. Not validated: call
    /// [`Service::validate`] on the result.
    pub fn apply(&self, base: &Service) -> Service {
        let duration_min = self.duration_min.unwrap_or(base.duration_min);
        let before = self.buffer_before_min.unwrap_or(base.buffer_before_min);
        let after = self.buffer_after_min.unwrap_or(base.buffer_after_min);
        let step = if base.slot_step_min == 0 {
            duration_min.saturating_add(before).saturating_add(after)
        } else {
            base.slot_step_min
        };
        Service {
            name: self.name.as_deref().map_or_else(|| base.name.clone(), |n| n.trim().to_owned()),
            duration_min,
            buffer_before_min: before,
            buffer_after_min: after,
            capacity: self.capacity.unwrap_or(base.capacity),
            slot_step_min: self.slot_step_min.unwrap_or(step),
            min_notice_min: self.min_notice_min.unwrap_or(base.min_notice_min),
            horizon_days: self.horizon_days.unwrap_or(base.horizon_days),
            cancel_cutoff_min: self.cancel_cutoff_min.unwrap_or(base.cancel_cutoff_min),
            reschedule_cutoff_min: self.reschedule_cutoff_min.unwrap_or(base.reschedule_cutoff_min),
            active: self.active.unwrap_or(base.active),
            ..base.clone()
        }
    }
}

/// Upper bounds that keep the slot engine's work bounded whatever an admin types.
const MAX_DURATION_MIN: u32 = 24 * 60;
const MAX_BUFFER_MIN: u32 = 12 * 60;
const MAX_CAPACITY: u32 = 10_000;
const MAX_HORIZON_DAYS: u32 = 2 * 366;
const MIN_STEP_MIN: u32 = 5;

impl Service {
    /// A new service's settings before the caller's own are applied (a [`ServicePatch`]): what
    /// the API and a CSV import assume for every field left out. The duration and name must
    /// still be given; the grid step follows the duration when left at 0.
    pub fn with_defaults(id: ServiceId, clinic: ClinicId) -> Service {
        Service {
            id,
            clinic,
            name: String::new(),
            duration_min: 0,
            buffer_before_min: 0,
            buffer_after_min: 0,
            capacity: 1,
            slot_step_min: 0,
            min_notice_min: 60,
            horizon_days: 90,
            cancel_cutoff_min: 24 * 60,
            reschedule_cutoff_min: 24 * 60,
            active: true,
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(DomainError::invalid("name", "must be 1 to 200 characters"));
        }
        if self.duration_min == 0 || self.duration_min > MAX_DURATION_MIN {
            return Err(DomainError::invalid("duration_min", "must be between 1 and 1440 minutes"));
        }
        if self.buffer_before_min > MAX_BUFFER_MIN {
            return Err(DomainError::invalid("buffer_before_min", "must be at most 720 minutes"));
        }
        if self.buffer_after_min > MAX_BUFFER_MIN {
            return Err(DomainError::invalid("buffer_after_min", "must be at most 720 minutes"));
        }
        if self.capacity == 0 || self.capacity > MAX_CAPACITY {
            return Err(DomainError::invalid("capacity", "must be between 1 and 10000"));
        }
        if self.slot_step_min < MIN_STEP_MIN || self.slot_step_min > MAX_DURATION_MIN {
            return Err(DomainError::invalid("slot_step_min", "must be between 5 and 1440 minutes"));
        }
        if self.horizon_days == 0 || self.horizon_days > MAX_HORIZON_DAYS {
            return Err(DomainError::invalid("horizon_days", "must be between 1 and 732 days"));
        }
        if self.min_notice_min > MAX_HORIZON_DAYS * 24 * 60 {
            return Err(DomainError::invalid("min_notice_min", "is longer than any horizon"));
        }
        Ok(())
    }

    pub fn duration(&self) -> SignedDuration {
        minutes(self.duration_min)
    }
    pub fn buffer_before(&self) -> SignedDuration {
        minutes(self.buffer_before_min)
    }
    pub fn buffer_after(&self) -> SignedDuration {
        minutes(self.buffer_after_min)
    }
    pub fn min_notice(&self) -> SignedDuration {
        minutes(self.min_notice_min)
    }
    pub fn horizon(&self) -> SignedDuration {
        SignedDuration::from_hours(i64::from(self.horizon_days) * 24)
    }
    pub fn cancel_cutoff(&self) -> SignedDuration {
        minutes(self.cancel_cutoff_min)
    }
    pub fn reschedule_cutoff(&self) -> SignedDuration {
        minutes(self.reschedule_cutoff_min)
    }
}

fn minutes(m: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(m))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 30-minute consultation with no buffers: the base most tests tweak.
    pub fn consult() -> Service {
        Service {
            id: ServiceId::new(),
            clinic: ClinicId::new(),
            name: "Consultation".into(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            capacity: 1,
            slot_step_min: 30,
            min_notice_min: 0,
            horizon_days: 365,
            cancel_cutoff_min: 0,
            reschedule_cutoff_min: 0,
            active: true,
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = consult();
        assert!(s.validate().is_ok());
        s.capacity = 0;
        assert!(matches!(s.validate(), Err(DomainError::Invalid { field, .. }) if field == "capacity"));
        let mut s = consult();
        s.slot_step_min = 1;
        assert!(matches!(s.validate(), Err(DomainError::Invalid { field, .. }) if field == "slot_step_min"));
    }
}
