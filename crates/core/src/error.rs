//! Domain errors: what went wrong in terms a receptionist would understand. The web layer maps
//! each kind to one HTTP status and problem type, in one place.

use thiserror::Error;

/// A decision the domain refused, or input it could not accept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Input that is well-formed but not acceptable; names the offending field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The requested time is not a slot this practitioner offers for this service.
    #[error("{0}")]
    SlotNotOffered(String),
    /// The slot exists but is already taken up to its capacity.
    #[error("this slot is no longer available")]
    SlotTaken,
    /// A hold is unknown, expired, or does not match the booking.
    #[error("{0}")]
    HoldInvalid(String),
    /// A hold that exists but belongs to someone else.
    #[error("{0}")]
    HoldNotYours(String),
    /// Too many active holds: for their owner (`scope` "owner") or in the clinic ("clinic").
    #[error("{message}")]
    HoldLimit { scope: &'static str, message: String },
    /// The change is too close to the appointment for a patient to make it themselves.
    #[error("{0}")]
    CutOffPassed(String),
    /// A status change the transition table does not allow.
    #[error("an appointment cannot go from {from} to {to}")]
    IllegalTransition { from: &'static str, to: &'static str },
    /// An availability answer would hold more slots than one answer may: the client should ask
    /// for fewer days, one practitioner or one location.
    #[error("this range holds more than {limit} slots; ask for fewer days, one practitioner or one location")]
    TooManySlots { limit: usize },
    /// A change that would leave things in a state the rules forbid (removing a clinic's last
    /// owner, reusing a one-time code).
    #[error("{0}")]
    Refused(String),
    /// A queue action the ticket's state does not allow (`state` is the ticket's status).
    #[error("a {state} ticket cannot be {action}")]
    TicketState { state: &'static str, action: &'static str },
    /// Call next on a queue with nobody waiting.
    #[error("nobody is waiting in this queue")]
    QueueEmpty,
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into() }
    }
}
