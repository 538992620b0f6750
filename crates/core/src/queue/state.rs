//! Ticket statuses and the one table that says which action each status allows.
//!
//! A ticket waits, is called to a desk or room, is served and finishes. Called and not there:
//! absent, kept for the clinic's grace period; back in time: waiting again (re-inserted by
//! [`super::order::return_position`]); not back: no-show. Emergency skip, reorder and transfer
//! are staff moves on a waiting (or called) ticket. Done, no-show, left and transferred are
//! final: nothing moves them again, closing the day included.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Waiting,
    Called,
    InService,
    Done,
    Absent,
    NoShow,
    Left,
    Transferred,
}

use TicketStatus::*;

impl TicketStatus {
    pub const ALL: [TicketStatus; 8] = [Waiting, Called, InService, Done, Absent, NoShow, Left, Transferred];

    pub fn as_str(self) -> &'static str {
        match self {
            Waiting => "waiting",
            Called => "called",
            InService => "in_service",
            Done => "done",
            Absent => "absent",
            NoShow => "no_show",
            Left => "left",
            Transferred => "transferred",
        }
    }

    /// No action applies any more.
    pub fn is_final(self) -> bool {
        matches!(self, Done | NoShow | Left | Transferred)
    }

    /// Counts in the queue's line (call order, positions).
    pub fn is_waiting(self) -> bool {
        self == Waiting
    }
}

impl FromStr for TicketStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        TicketStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| DomainError::invalid("status", format!("`{s}` is not a ticket status")))
    }
}

impl std::fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What staff (or the grace timer, or closing the day) do to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Call,
    Recall,
    Start,
    Finish,
    Absent,
    Return,
    Emergency,
    Leave,
    Transfer,
    Reorder,
    /// The grace period of an absent ticket ran out (the timer, never a person).
    Expire,
    /// The day is closed: whatever is still open gets its final status.
    Close,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Call,
        Action::Recall,
        Action::Start,
        Action::Finish,
        Action::Absent,
        Action::Return,
        Action::Emergency,
        Action::Leave,
        Action::Transfer,
        Action::Reorder,
        Action::Expire,
        Action::Close,
    ];

    /// The action as the route spells it (`/tickets/{id}/{action}`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Call => "call",
            Action::Recall => "recall",
            Action::Start => "start",
            Action::Finish => "finish",
            Action::Absent => "absent",
            Action::Return => "return",
            Action::Emergency => "emergency",
            Action::Leave => "leave",
            Action::Transfer => "transfer",
            Action::Reorder => "reorder",
            Action::Expire => "expire",
            Action::Close => "close",
        }
    }

    /// The actions staff may name in a route (call goes through call-next; expire and close
    /// are the timer's and the day's).
    pub fn from_route(s: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .filter(|a| !matches!(a, Action::Call | Action::Expire | Action::Close))
            .find(|a| a.as_str() == s)
    }

    /// For the 409's words: "a done ticket cannot be recalled".
    fn past(self) -> &'static str {
        match self {
            Action::Call => "called",
            Action::Recall => "recalled",
            Action::Start => "started",
            Action::Finish => "finished",
            Action::Absent => "marked absent",
            Action::Return => "returned",
            Action::Emergency => "moved ahead as an emergency",
            Action::Leave => "marked as left",
            Action::Transfer => "transferred",
            Action::Reorder => "reordered",
            Action::Expire => "expired",
            Action::Close => "closed",
        }
    }
}

/// The transition table: the status `action` leads to from `from`, or a refusal naming the
/// state (a 409 for the client).
pub fn apply(from: TicketStatus, action: Action) -> Result<TicketStatus, DomainError> {
    let to = match (from, action) {
        (Waiting, Action::Call) => Some(Called),
        (Called, Action::Recall) => Some(Called),
        (Called, Action::Start) => Some(InService),
        (InService, Action::Finish) => Some(Done),
        (Called, Action::Absent) => Some(Absent),
        (Absent, Action::Return) => Some(Waiting),
        (Waiting, Action::Emergency) => Some(Waiting),
        (Waiting | Called | Absent, Action::Leave) => Some(Left),
        (Waiting | Called | InService, Action::Transfer) => Some(Transferred),
        (Waiting, Action::Reorder) => Some(Waiting),
        (Absent, Action::Expire) => Some(NoShow),
        // Closing the day: someone in service was seen; anyone else still open was not.
        (InService, Action::Close) => Some(Done),
        (Absent, Action::Close) => Some(NoShow),
        (Waiting | Called, Action::Close) => Some(Left),
        _ => None,
    };
    to.ok_or(DomainError::TicketState { state: from.as_str(), action: action.past() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_table_reads_as_documented() {
        assert_eq!(apply(Waiting, Action::Call), Ok(Called));
        assert_eq!(apply(Called, Action::Absent), Ok(Absent));
        assert_eq!(apply(Absent, Action::Expire), Ok(NoShow));
        assert_eq!(apply(Absent, Action::Return), Ok(Waiting));
        assert_eq!(apply(Done, Action::Recall), Err(DomainError::TicketState { state: "done", action: "recalled" }));
        assert!(apply(Waiting, Action::Absent).is_err(), "only a called patient can be absent");
        assert!(apply(Waiting, Action::Start).is_err(), "a patient is called before being served");
    }

    #[test]
    fn route_actions_are_the_contracts() {
        for a in ["recall", "start", "finish", "absent", "return", "emergency", "leave", "transfer", "reorder"] {
            assert_eq!(Action::from_route(a).map(Action::as_str), Some(a));
        }
        for a in ["call", "expire", "close", "delete", ""] {
            assert_eq!(Action::from_route(a), None, "{a}");
        }
        for s in TicketStatus::ALL {
            assert_eq!(s.as_str().parse::<TicketStatus>(), Ok(s));
        }
    }

    fn status() -> impl Strategy<Value = TicketStatus> {
        proptest::sample::select(TicketStatus::ALL.to_vec())
    }
    fn action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        /// Final statuses never move; closing leaves every ticket final; a refusal names the
        /// state the ticket is in.
        #[test]
        fn final_is_final_and_close_finishes_everything(from in status(), a in action()) {
            match apply(from, a) {
                Ok(to) => {
                    prop_assert!(!from.is_final(), "{from} moved by {a:?}");
                    if a == Action::Close { prop_assert!(to.is_final()); }
                }
                Err(DomainError::TicketState { state, .. }) => prop_assert_eq!(state, from.as_str()),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
            if from.is_final() { prop_assert!(apply(from, a).is_err()); }
            if !from.is_final() { prop_assert!(apply(from, Action::Close).is_ok()); }
        }

        /// Any run of actions from a new ticket: a ticket is served only after being called,
        /// a no-show was absent first, and once final it stays where it is.
        #[test]
        fn runs_of_actions_respect_the_story(actions in proptest::collection::vec(action(), 0..40)) {
            let mut s = Waiting;
            let mut was_called = false;
            for a in actions {
                if let Ok(to) = apply(s, a) {
                    if to == InService { prop_assert!(was_called); }
                    if to == NoShow { prop_assert_eq!(s, Absent); }
                    if to == Done { prop_assert!(s == InService); }
                    was_called |= to == Called;
                    s = to;
                }
            }
        }
    }
}
