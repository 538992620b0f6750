//! The call order of a queue. Each waiting ticket carries a rank (the lowest is called next);
//! a ticket gets its rank when it joins, is re-inserted or is moved, from the line as it is
//! then. Ranks are spaced [`GAP`] apart so a move touches one row; when two neighbours have no
//! room left between them the whole line is renumbered (returned in [`Placement::renumber`]).
//!
//! Where a ticket goes:
//! * a priority (1–9, e.g. pregnant, elderly) goes behind tickets of the same or higher
//!   priority and ahead of every lower one;
//! * a booked patient goes in appointment-time order among the others of priority 0: right
//!   before the first waiting booked patient whose appointment is later;
//! * a walk-in goes after the last waiting walk-in and then after `walk_in_every` booked
//!   patients ("one walk-in after every N booked"), or last when fewer are there; with
//!   `walk_in_every` 0 walk-ins simply join at the end;
//! * a booked patient who checks in later than the grace period after their appointment time
//!   has lost the appointment's place and is placed like a walk-in ([`places_as_walk_in`]);
//! * **late return**: a patient marked absent who comes back within the grace period goes
//!   behind the next [`RETURN_AFTER`] waiting tickets (or last in a shorter line): the
//!   patients called in their stead are not pushed back, and the late one does not lose the
//!   whole wait;
//! * staff may move a waiting ticket to any position (reorder, with a reason), and an
//!   emergency goes first (with a mandatory reason): both are audited by the store.

use crate::ids::TicketId;
use jiff::{SignedDuration, Timestamp};

/// Room between consecutive ranks.
pub const GAP: i64 = 1 << 20;
/// How many waiting tickets a patient back from absent lets go first.
pub const RETURN_AFTER: usize = 2;
/// Within this of the appointment time a check-in is on time; before it early, after it late.
pub const ON_TIME: SignedDuration = SignedDuration::from_mins(10);

/// How a ticket came into the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A checked-in appointment, at its start time.
    Booked(Timestamp),
    WalkIn,
}

/// A waiting ticket as the ordering sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InLine {
    pub id: TicketId,
    pub rank: i64,
    pub kind: Kind,
    pub priority: u8,
}

/// The clinic's rule for interleaving walk-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// One walk-in after every this many booked patients (0: walk-ins join at the end).
    pub walk_in_every: u32,
}

impl Default for Rule {
    fn default() -> Self {
        Rule { walk_in_every: 2 }
    }
}

/// The rank a ticket gets, and other tickets' new ranks when the line had to be renumbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub rank: i64,
    pub renumber: Vec<(TicketId, i64)>,
}

/// When a booked patient arrived, relative to the appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    Early,
    OnTime,
    Late,
}

impl Arrival {
    pub fn of(start: Timestamp, now: Timestamp) -> Arrival {
        let d = now.duration_since(start);
        if d < -ON_TIME {
            Arrival::Early
        } else if d > ON_TIME {
            Arrival::Late
        } else {
            Arrival::OnTime
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Arrival::Early => "early",
            Arrival::OnTime => "on_time",
            Arrival::Late => "late",
        }
    }
}

/// Whether a booked patient checking in at `now` has lost the appointment's place (more than
/// `grace` after its start) and joins like a walk-in.
pub fn places_as_walk_in(start: Timestamp, now: Timestamp, grace: SignedDuration) -> bool {
    now.duration_since(start) > grace
}

/// Where in `line` (waiting tickets in call order) a new ticket goes.
pub fn insert_index(line: &[InLine], kind: Kind, priority: u8, rule: Rule) -> usize {
    // The segment of tickets with this priority; higher ones stay ahead, lower ones behind.
    let start = line.iter().position(|t| t.priority <= priority).unwrap_or(line.len());
    let end = line.iter().position(|t| t.priority < priority).unwrap_or(line.len()).max(start);
    let seg = &line[start..end];
    let at = match kind {
        Kind::Booked(at) => {
            seg.iter().position(|t| matches!(t.kind, Kind::Booked(other) if other > at)).unwrap_or(seg.len())
        }
        Kind::WalkIn if rule.walk_in_every == 0 => seg.len(),
        Kind::WalkIn => {
            let from = seg.iter().rposition(|t| t.kind == Kind::WalkIn).map_or(0, |w| w + 1);
            let mut booked = 0;
            let mut idx = seg.len();
            for (i, t) in seg.iter().enumerate().skip(from) {
                if matches!(t.kind, Kind::Booked(_)) {
                    booked += 1;
                    if booked == rule.walk_in_every {
                        idx = i + 1;
                        break;
                    }
                }
            }
            idx
        }
    };
    start + at
}

/// The rank for a ticket put at `index` of `line` (which does not hold it).
pub fn place_at(line: &[InLine], index: usize) -> Placement {
    let index = index.min(line.len());
    let lo = index.checked_sub(1).map(|i| line[i].rank);
    let hi = line.get(index).map(|t| t.rank);
    let rank = match (lo, hi) {
        (None, None) => Some(0),
        (Some(lo), None) => lo.checked_add(GAP),
        (None, Some(hi)) => hi.checked_sub(GAP),
        (Some(lo), Some(hi)) if hi - lo >= 2 => Some(lo + (hi - lo) / 2),
        _ => None,
    };
    match rank {
        Some(rank) => Placement { rank, renumber: Vec::new() },
        None => {
            // No room: renumber everyone, the new ticket included, GAP apart.
            let mut renumber = Vec::with_capacity(line.len());
            let mut next = GAP;
            let mut rank = 0;
            for (i, t) in line.iter().enumerate() {
                if i == index {
                    rank = next;
                    next += GAP;
                }
                renumber.push((t.id, next));
                next += GAP;
            }
            if index == line.len() {
                rank = next;
            }
            Placement { rank, renumber }
        }
    }
}

/// A new ticket's placement.
pub fn place(line: &[InLine], kind: Kind, priority: u8, rule: Rule) -> Placement {
    place_at(line, insert_index(line, kind, priority, rule))
}

/// Moves waiting ticket `id` to 1-based `position` (clamped to the line); an emergency is
/// position 1.
pub fn move_to(line: &[InLine], id: TicketId, position: usize) -> Placement {
    let rest: Vec<InLine> = line.iter().filter(|t| t.id != id).cloned().collect();
    place_at(&rest, position.saturating_sub(1))
}

/// Where a patient back from absent goes (see the module doc).
pub fn return_placement(line: &[InLine]) -> Placement {
    place_at(line, RETURN_AFTER.min(line.len()))
}

#[cfg(test)]
mod tests;
