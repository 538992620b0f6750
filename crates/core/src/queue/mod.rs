//! The day-of queue, as decisions: ticket statuses and their transition table ([`state`]),
//! the call order ([`order`]), and who may call from which queue. No I/O: the store reads
//! the line inside its write transaction, asks here, and writes the answer.

pub mod day_end;
pub mod order;
pub mod remote;
pub mod state;

pub use order::{Arrival, InLine, Kind, Placement, Rule};
pub use state::{Action, TicketStatus, apply};

use crate::access::Role;
use crate::ids::PractitionerId;
use jiff::SignedDuration;

/// How long an absent patient keeps their ticket unless the clinic says otherwise.
pub const DEFAULT_GRACE: SignedDuration = SignedDuration::from_mins(15);

/// Whether a member may run (call from, act on) a queue: reception and managers run any; a
/// practitioner runs the queues of their own practitioner record and the per-service ones,
/// never a colleague's.
pub fn may_run(role: Role, own: Option<PractitionerId>, queue_practitioner: Option<PractitionerId>) -> bool {
    match (role, queue_practitioner) {
        (Role::Practitioner, Some(q)) => own == Some(q),
        _ => true,
    }
}

/// A clinic's queue settings, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Minutes an absent patient keeps their ticket (0–240).
    pub grace_min: u32,
    /// One walk-in after every this many booked patients (0–20; 0: walk-ins join at the end).
    pub walk_in_every: u32,
    /// Whether patients may join a line themselves from a join link or QR code (off unless
    /// the clinic turns it on).
    pub remote_join: bool,
    /// The longest waiting line a patient may still join remotely (1–500): past it the link
    /// says the queue is full and the patient comes to the desk.
    pub remote_cap: u32,
    /// Minutes after the location's last opening hour at which a queue's day is closed by
    /// itself (0–720).
    pub close_after_min: u32,
}

/// Defaults of the settings added after the first two.
pub const DEFAULT_REMOTE_CAP: u32 = 30;
pub const DEFAULT_CLOSE_AFTER_MIN: u32 = 60;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            grace_min: 15,
            walk_in_every: Rule::default().walk_in_every,
            remote_join: false,
            remote_cap: DEFAULT_REMOTE_CAP,
            close_after_min: DEFAULT_CLOSE_AFTER_MIN,
        }
    }
}

impl Settings {
    pub fn new(grace_min: u32, walk_in_every: u32) -> Result<Settings, crate::DomainError> {
        if grace_min > 240 {
            return Err(crate::DomainError::invalid("grace_min", "from 0 to 240 minutes"));
        }
        if walk_in_every > 20 {
            return Err(crate::DomainError::invalid("walk_in_every", "from 0 to 20"));
        }
        Ok(Settings { grace_min, walk_in_every, ..Settings::default() })
    }

    /// The remote-joining settings.
    pub fn with_remote(self, remote_join: bool, remote_cap: u32) -> Result<Settings, crate::DomainError> {
        if !(1..=500).contains(&remote_cap) {
            return Err(crate::DomainError::invalid("remote_cap", "from 1 to 500 waiting tickets"));
        }
        Ok(Settings { remote_join, remote_cap, ..self })
    }

    /// The end-of-day grace.
    pub fn with_close_after(self, close_after_min: u32) -> Result<Settings, crate::DomainError> {
        if close_after_min > 720 {
            return Err(crate::DomainError::invalid("close_after_min", "from 0 to 720 minutes"));
        }
        Ok(Settings { close_after_min, ..self })
    }
}

/// A walk-in's contact: a phone or email when given (checked as for a booking), or just a
/// name — someone at the desk need not give either. Without a contact the store makes a new
/// patient record for the visit (nobody to recognise them by).
pub fn walk_in_contact(
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
    language: Option<&str>,
) -> Result<crate::PatientContact, crate::DomainError> {
    let given = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
    if given(phone) || given(email) {
        return crate::PatientContact::parse(name, phone, email, language);
    }
    // The booking parser wants a contact; lend it a placeholder address and take it back, so
    // name and language are checked by the one rule.
    let mut c = crate::PatientContact::parse(name, None, Some("walk-in@nobat.invalid"), language)?;
    c.email = None;
    Ok(c)
}

/// A ticket code: the queue's prefix and a three-digit number (`A-017`).
pub fn code(prefix: &str, number: i64) -> String {
    format!("{prefix}-{number:03}")
}

/// The prefix of the `n`-th queue of a location's day (0 → `A`, 25 → `Z`, 26 → `AA`).
pub fn prefix(n: usize) -> String {
    let mut n = n;
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_else(|_| "Q".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_bounded_and_default_to_the_issue() {
        assert_eq!(Settings::default().grace_min, 15);
        assert_eq!(DEFAULT_GRACE, SignedDuration::from_mins(i64::from(Settings::default().grace_min)));
        assert!(Settings::new(241, 2).is_err());
        assert!(Settings::new(15, 21).is_err());
        assert_eq!(Settings::new(0, 0).map(|s| (s.grace_min, s.walk_in_every, s.remote_join)), Ok((0, 0, false)));
        assert!(Settings::default().with_remote(true, 0).is_err());
        assert!(Settings::default().with_close_after(721).is_err());
    }

    #[test]
    fn codes_and_prefixes() {
        assert_eq!(code("A", 17), "A-017");
        assert_eq!(code("B", 1234), "B-1234");
        assert_eq!(prefix(0), "A");
        assert_eq!(prefix(25), "Z");
        assert_eq!(prefix(26), "AA");
    }

    #[test]
    fn a_practitioner_runs_only_their_own_queue() {
        let me = PractitionerId::new();
        let other = PractitionerId::new();
        assert!(may_run(Role::Practitioner, Some(me), Some(me)));
        assert!(!may_run(Role::Practitioner, Some(me), Some(other)));
        assert!(!may_run(Role::Practitioner, None, Some(other)));
        assert!(may_run(Role::Practitioner, Some(me), None));
        assert!(may_run(Role::Receptionist, None, Some(other)));
    }
}
