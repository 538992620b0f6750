//! Appointment statuses, aligned with FHIR R4 `Appointment.status`, and the one table that says
//! which changes are allowed. R4 gives only "typical flows"; this table is our reading of them
//! (research/prior-art.md §4.1): `proposed → pending → booked → arrived/checked-in → fulfilled`,
//! `waitlist → pending/booked`, any open status → `cancelled`, `booked/arrived → noshow`, and
//! anything (but itself) → `entered-in-error`.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// FHIR R4 `Appointment.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppointmentStatus {
    Proposed,
    Pending,
    Booked,
    Arrived,
    Fulfilled,
    Cancelled,
    Noshow,
    EnteredInError,
    CheckedIn,
    Waitlist,
}

use AppointmentStatus::*;

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 10] =
        [Proposed, Pending, Booked, Arrived, Fulfilled, Cancelled, Noshow, EnteredInError, CheckedIn, Waitlist];

    /// The FHIR code.
    pub fn as_str(self) -> &'static str {
        match self {
            Proposed => "proposed",
            Pending => "pending",
            Booked => "booked",
            Arrived => "arrived",
            Fulfilled => "fulfilled",
            Cancelled => "cancelled",
            Noshow => "noshow",
            EnteredInError => "entered-in-error",
            CheckedIn => "checked-in",
            Waitlist => "waitlist",
        }
    }

    /// Whether an appointment in this status occupies the practitioner's time (counts against
    /// capacity). Fulfilled visits did take the time; a no-show frees it for a walk-in.
    pub fn occupies_time(self) -> bool {
        matches!(self, Pending | Booked | Arrived | CheckedIn | Fulfilled)
    }

    /// Whether the front desk may set this status through the status endpoint: the steps of a
    /// visit (arrived, checked-in, fulfilled, no-show) and marking a record entered-in-error (a
    /// correction of a data-entry mistake, announced like any status change). Cancelling is
    /// not one of them: it has its own command, capability, cut-off, reason and event, and a
    /// status change must not be a way around them. Nor are the booking-side statuses
    /// (proposed, pending, booked, waitlist), which take time and need a booking's checks.
    pub fn is_front_desk(self) -> bool {
        matches!(self, Arrived | CheckedIn | Fulfilled | Noshow | EnteredInError)
    }

    /// No further change except marking it entered-in-error.
    pub fn is_final(self) -> bool {
        matches!(self, Fulfilled | Cancelled | Noshow | EnteredInError)
    }

    /// The transition table.
    pub fn can_become(self, to: AppointmentStatus) -> bool {
        match (self, to) {
            (EnteredInError, _) => false,
            (_, EnteredInError) => true,
            (Proposed, Pending | Booked | Cancelled) => true,
            (Pending, Booked | Cancelled) => true,
            (Waitlist, Pending | Booked | Cancelled) => true,
            (Booked, Arrived | CheckedIn | Fulfilled | Noshow | Cancelled) => true,
            (Arrived, CheckedIn | Fulfilled | Noshow | Cancelled) => true,
            (CheckedIn, Fulfilled | Cancelled) => true,
            _ => false,
        }
    }

    /// `Ok` if the table allows `self → to`, else [`DomainError::IllegalTransition`].
    pub fn transition(self, to: AppointmentStatus) -> Result<AppointmentStatus, DomainError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(DomainError::IllegalTransition { from: self.as_str(), to: to.as_str() })
        }
    }
}

impl FromStr for AppointmentStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| DomainError::invalid("status", format!("`{s}` is not an appointment status")))
    }
}

impl std::fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code the API, the database and `FromStr` use is the one serde writes and reads:
    /// a renamed variant or a changed `rename_all` would break stored rows and clients.
    #[test]
    fn codes_round_trip() {
        for s in AppointmentStatus::ALL {
            assert_eq!(s.as_str().parse::<AppointmentStatus>().ok(), Some(s));
            let json = serde_json::to_string(&s).expect("serializes");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            let back: AppointmentStatus = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, s);
        }
        assert!(serde_json::from_str::<AppointmentStatus>("\"checked_in\"").is_err());
    }

    #[test]
    fn cancelling_is_not_a_front_desk_status() {
        let front: Vec<_> = AppointmentStatus::ALL.into_iter().filter(|s| s.is_front_desk()).collect();
        assert_eq!(front, [Arrived, Fulfilled, Noshow, EnteredInError, CheckedIn]);
        assert!(!Cancelled.is_front_desk());
    }

    #[test]
    fn final_states_only_go_to_entered_in_error() {
        for from in AppointmentStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for to in AppointmentStatus::ALL {
                let allowed = from.can_become(to);
                assert_eq!(allowed, to == EnteredInError && from != EnteredInError, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn typical_flows_are_allowed_and_odd_ones_refused() {
        for (a, b) in [
            (Proposed, Pending),
            (Pending, Booked),
            (Booked, Arrived),
            (Arrived, Fulfilled),
            (Booked, Noshow),
            (Waitlist, Booked),
            (Booked, Cancelled),
        ] {
            assert!(a.can_become(b), "{a} -> {b}");
        }
        for (a, b) in [
            (Cancelled, Booked),
            (Fulfilled, Booked),
            (Noshow, Arrived),
            (Booked, Pending),
            (Booked, Booked),
            (CheckedIn, Noshow),
        ] {
            assert_eq!(a.transition(b), Err(DomainError::IllegalTransition { from: a.as_str(), to: b.as_str() }));
        }
    }
}
