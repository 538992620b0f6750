//! Who gets a freed slot, in what order.
//!
//! The fairness rule: watchers are ordered by when they started watching (`order`, then id to
//! break ties), first come first served. A slot can go to one exclusive watcher only (an offer
//! holds it, an auto-book takes it), so the earliest eligible `offer` or `auto_book` watcher
//! gets it, and nobody else hears of it while it is held or booked. When no exclusive watcher
//! can take it, every eligible `notify` watcher is told at once (the first to book has it).
//! An offer that lapses frees the slot again: the next run of this decision, with that watcher
//! now "already told", gives it to the next exclusive watcher or, when none is left, to the
//! notify watchers.
//!
//! Eligible means: the slot suits the watcher's criteria (in the location's wall clock), the
//! watcher was never told about this slot (practitioner + location + service + start), their
//! rate limit allows one more notice, an offer watcher holds no other offer still open (one
//! slot at a time is held for someone who wants one appointment), and — for "earlier than my
//! appointment" — the slot starts before that appointment.

use super::{Mode, RateLimits};
use crate::watch_criteria::Criteria;
use jiff::Timestamp;
use jiff::civil::DateTime;

/// One active watch that could take the slot, with what the store counted about it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub mode: Mode,
    /// When it was created (microseconds): the queue order.
    pub order: i64,
    pub criteria: Criteria,
    /// The start of the appointment it must beat, for "earlier than my appointment"; `None`
    /// otherwise. A watch whose appointment is no longer booked is not a candidate at all.
    pub earlier_than: Option<Timestamp>,
    /// It has a notice about this very slot already.
    pub told: bool,
    /// Notices in the last hour and day.
    pub last_hour: u32,
    pub last_day: u32,
    /// It holds an offer still open: one slot at a time is held for an offer watcher, so a
    /// watcher who wants one appointment does not block several.
    pub open_offer: bool,
}

/// What to do for one watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Notify(String),
    Offer(String),
    Book(String),
}

/// The actions for a slot starting at `start` (`local`: the same instant in the location's
/// wall clock), in the order they are to be recorded.
pub fn decide(start: Timestamp, local: DateTime, candidates: &[Candidate], limits: RateLimits) -> Vec<Action> {
    let mut eligible: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !c.told)
        .filter(|c| !(c.open_offer && c.mode == Mode::Offer))
        .filter(|c| limits.allows(c.last_hour, c.last_day))
        .filter(|c| c.criteria.matches(local))
        .filter(|c| c.earlier_than.is_none_or(|t| start < t))
        .collect();
    eligible.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    if let Some(first) = eligible.iter().find(|c| c.mode.exclusive()) {
        return vec![match first.mode {
            Mode::Offer => Action::Offer(first.id.clone()),
            _ => Action::Book(first.id.clone()),
        }];
    }
    eligible.into_iter().filter(|c| c.mode == Mode::Notify).map(|c| Action::Notify(c.id.clone())).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn crit() -> Criteria {
        Criteria::new(date(2026, 12, 1), date(2026, 12, 31), vec![], vec![], date(2026, 12, 1)).unwrap()
    }

    fn cand(id: &str, mode: Mode, order: i64) -> Candidate {
        Candidate {
            id: id.into(),
            mode,
            order,
            criteria: crit(),
            earlier_than: None,
            told: false,
            last_hour: 0,
            last_day: 0,
            open_offer: false,
        }
    }

    fn at() -> (Timestamp, DateTime) {
        let local = date(2026, 12, 7).at(10, 0, 0, 0);
        (local.to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp(), local)
    }

    #[test]
    fn the_earliest_exclusive_watcher_takes_the_slot_and_nobody_else_hears() {
        let (t, l) = at();
        let cs = vec![cand("n1", Mode::Notify, 1), cand("o2", Mode::Offer, 3), cand("b1", Mode::AutoBook, 2)];
        assert_eq!(decide(t, l, &cs, RateLimits::default()), vec![Action::Book("b1".into())]);
        let cs = vec![cand("n1", Mode::Notify, 1), cand("o2", Mode::Offer, 1), cand("b1", Mode::AutoBook, 2)];
        assert_eq!(decide(t, l, &cs, RateLimits::default()), vec![Action::Offer("o2".into())]);
    }

    #[test]
    fn without_exclusive_watchers_every_notify_watcher_is_told_in_order() {
        let (t, l) = at();
        let mut o = cand("o1", Mode::Offer, 0);
        o.told = true; // its offer lapsed: the slot passes on
        let cs = vec![cand("n2", Mode::Notify, 5), o, cand("n1", Mode::Notify, 2)];
        assert_eq!(
            decide(t, l, &cs, RateLimits::default()),
            vec![Action::Notify("n1".into()), Action::Notify("n2".into())]
        );
    }

    #[test]
    fn told_rate_limited_unsuitable_or_later_watchers_are_skipped() {
        let (t, l) = at();
        let mut told = cand("told", Mode::Offer, 0);
        told.told = true;
        let mut busy = cand("busy", Mode::Offer, 1);
        busy.last_hour = 3;
        let mut later = cand("later", Mode::AutoBook, 2);
        later.earlier_than = Some(t); // the slot is not earlier than its appointment
        let mut elsewhen = cand("elsewhen", Mode::Offer, 3);
        elsewhen.criteria =
            Criteria::new(date(2026, 12, 8), date(2026, 12, 9), vec![], vec![], date(2026, 12, 1)).unwrap();
        let mut sooner = cand("sooner", Mode::AutoBook, 4);
        sooner.earlier_than = Some(t.checked_add(jiff::SignedDuration::from_hours(24)).unwrap());
        let mut holding = cand("holding", Mode::Offer, 4);
        holding.open_offer = true;
        let cs = vec![told, busy, later, elsewhen, holding, sooner];
        assert_eq!(decide(t, l, &cs, RateLimits::default()), vec![Action::Book("sooner".into())]);
        assert!(decide(t, l, &cs[..5], RateLimits::default()).is_empty());
    }
}
