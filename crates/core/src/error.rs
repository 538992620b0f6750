//! Domain errors: what went wrong in terms a receptionist would understand. The web layer maps
//! each kind to one HTTP status and problem type, in one place.

use thiserror::Error;

/// A decision the domain refused, or input it could not accept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// Input that is well-formed but not acceptable; names the offending field. `message` is
    /// the English explanation (logs, English answers); `reason`, when set, is the same thing
    /// as a catalogue code plus arguments, so the web layer can say it in the caller's language.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String, reason: Option<Reason> },
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
    /// A patient joining by link while the line is as long as the clinic lets remote joins go.
    #[error("this queue is full for joining by link ({cap} waiting); please come to the desk")]
    QueueFull { cap: u32 },
    /// A patient joining by link a queue whose day is closed (or not open to remote joining).
    #[error("this queue is not taking patients now")]
    QueueClosed,
    /// A member asked for something their role allows in general but not here (a
    /// practitioner writing a note about another practitioner's appointment): a 403.
    #[error("{0}")]
    NotYours(String),
    /// Check-in refused: the clinic asks for these intake forms first (their titles).
    #[error("the patient must fill in these forms before check-in: {0}")]
    FormsRequired(String),
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into(), reason: None }
    }

    /// An invalid value whose explanation is a catalogue message (`invalid-<code>` in
    /// `locales/*/problems.ftl`), English text included for logs and English answers.
    pub fn invalid_because(field: impl Into<String>, reason: Reason) -> Self {
        Self::Invalid { field: field.into(), message: reason.english.to_owned(), reason: Some(reason) }
    }
}

/// Why a value was refused, as a code the language layer renders (`invalid-<code>`), with its
/// arguments. The core says what is wrong; it does not write sentences in six languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The catalogue code: `phone`, `email`, `language`, ...
    pub code: &'static str,
    /// The English sentence, the same as the `en` catalogue's text.
    pub english: &'static str,
    /// Arguments of the message: `(name, value)`; numbers are written in the reader's digits.
    pub args: Vec<(&'static str, ReasonArg)>,
}

/// An argument of a [`Reason`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReasonArg {
    Str(String),
    Num(i64),
}

impl Reason {
    pub fn new(code: &'static str, english: &'static str) -> Self {
        Self { code, english, args: Vec::new() }
    }

    pub fn num(mut self, name: &'static str, value: i64) -> Self {
        self.args.push((name, ReasonArg::Num(value)));
        self
    }

    pub fn str(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, ReasonArg::Str(value.into())));
        self
    }
}
