//! Watches on this instance's own slots: a patient waits for a time that suits them, and the
//! moment one frees up they are told (`notify`), offered a hold on it in turn (`offer`), or
//! booked into it (`auto_book`).
//!
//! Pure decisions only (no I/O, `now` passed in): the states and modes here, who gets a freed
//! slot and in what order ([`decide`]), and the per-watcher rate limit ([`rate`]). The store
//! runs them inside the write transaction that re-reads the slot under the practitioner's lock.
//! When a slot suits a watcher's dates and times is [`crate::watch_criteria`].

pub mod decide;
pub mod rate;

pub use decide::{Action, Candidate, decide};
pub use rate::RateLimits;

use crate::DomainError;

/// What a watcher wants done when a suitable slot frees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Everyone matching is told; the first to book it has it.
    Notify,
    /// The earliest watcher gets a hold on the slot for a few minutes and a one-tap accept
    /// link; when the hold lapses the next watcher gets it.
    Offer,
    /// Booked at once (or the linked appointment moved) within the watcher's criteria.
    AutoBook,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Notify => "notify",
            Mode::Offer => "offer",
            Mode::AutoBook => "auto_book",
        }
    }

    pub fn parse(s: &str) -> Result<Mode, DomainError> {
        match s {
            "notify" => Ok(Mode::Notify),
            "offer" => Ok(Mode::Offer),
            "auto_book" => Ok(Mode::AutoBook),
            _ => Err(DomainError::invalid("mode", "one of notify, offer, auto_book")),
        }
    }

    /// Whether the slot goes to one watcher only (a hold or a booking), not to everyone.
    pub fn exclusive(self) -> bool {
        !matches!(self, Mode::Notify)
    }
}

/// Where a watch stands. Only `Active` watches are matched; the others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    /// It got its slot (auto-booked, or an offer accepted).
    Fulfilled,
    /// Its window ended without a slot; the watcher was told once.
    Expired,
    /// The watcher (or staff) stopped it.
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Fulfilled => "fulfilled",
            Status::Expired => "expired",
            Status::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Active, Status::Fulfilled, Status::Expired, Status::Stopped].into_iter().find(|x| x.as_str() == s)
    }

    /// Whether it may move to `to`: only an active watch changes; stopping twice is no change.
    pub fn may_become(self, to: Status) -> bool {
        self == Status::Active && to != Status::Active
    }
}

/// The clinic's watch settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// How long an offered slot is held for its watcher.
    pub offer_minutes: u32,
    pub limits: RateLimits,
    /// Guests must prove their phone or email (a verification code) to create a watch.
    pub verify_guests: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { offer_minutes: 15, limits: RateLimits::default(), verify_guests: false }
    }
}

impl Settings {
    pub fn new(offer_minutes: u32, limits: RateLimits, verify_guests: bool) -> Result<Settings, DomainError> {
        if !(1..=24 * 60).contains(&offer_minutes) {
            return Err(DomainError::invalid("offer_minutes", "between 1 and 1440 minutes"));
        }
        if limits.per_hour == 0 || limits.per_day == 0 {
            return Err(DomainError::invalid("per_hour", "a watcher must be told at least once an hour and a day"));
        }
        if limits.per_day < limits.per_hour {
            return Err(DomainError::invalid("per_day", "at least as many a day as an hour"));
        }
        Ok(Settings { offer_minutes, limits, verify_guests })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_states_round_trip_and_only_active_watches_change() {
        for m in [Mode::Notify, Mode::Offer, Mode::AutoBook] {
            assert_eq!(Mode::parse(m.as_str()).unwrap(), m);
        }
        assert!(Mode::parse("book").is_err());
        assert!(Status::Active.may_become(Status::Stopped));
        assert!(!Status::Stopped.may_become(Status::Stopped));
        assert!(!Status::Fulfilled.may_become(Status::Expired));
        assert!(!Status::Active.may_become(Status::Active));
    }

    #[test]
    fn settings_are_bounded() {
        assert!(Settings::new(0, RateLimits::default(), false).is_err());
        assert!(Settings::new(15, RateLimits { per_hour: 5, per_day: 2 }, false).is_err());
        assert!(Settings::new(15, RateLimits { per_hour: 0, per_day: 2 }, false).is_err());
        assert!(Settings::new(15, RateLimits { per_hour: 2, per_day: 5 }, true).is_ok());
    }
}
