//! Property tests of the call order: whatever happens to a line, ranks stay distinct, every
//! ticket keeps exactly one place, a new ticket lands where `insert_index` says, booked patients
//! stay in appointment order and walk-ins keep the "one after every N booked" promise.

use super::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Booked(i64, u8),
    WalkIn(u8),
    Call,
    Move(usize, usize),
    Return,
}

fn op(priorities: bool, moves: bool) -> impl Strategy<Value = Op> {
    let p = if priorities { 0u8..3 } else { 0u8..1 };
    prop_oneof![
        3 => (0i64..600, p.clone()).prop_map(|(m, p)| Op::Booked(m, p)),
        3 => p.prop_map(Op::WalkIn),
        2 => Just(Op::Call),
        (if moves { 1 } else { 0 }) => (0usize..20, 1usize..20).prop_map(|(i, pos)| Op::Move(i, pos)),
        (if moves { 1 } else { 0 }) => Just(Op::Return),
    ]
}

fn at(min: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + min * 60).expect("in range")
}

/// Applies a placement to the line (sorted by rank afterwards).
fn apply(line: &mut Vec<InLine>, new: InLine, p: Placement) {
    for (id, rank) in p.renumber {
        if let Some(t) = line.iter_mut().find(|t| t.id == id) {
            t.rank = rank;
        }
    }
    line.push(InLine { rank: p.rank, ..new });
    line.sort_by_key(|t| t.rank);
}

fn check(line: &[InLine], n: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(line.len(), n);
    for w in line.windows(2) {
        prop_assert!(w[0].rank < w[1].rank, "ranks distinct and ordered: {line:?}");
    }
    Ok(())
}

fn run(ops: Vec<Op>, rule: Rule, sorted_booked: bool) -> Result<Vec<InLine>, TestCaseError> {
    let mut line: Vec<InLine> = Vec::new();
    let mut clock = 0;
    for o in ops {
        match o {
            Op::Booked(_, pr) | Op::WalkIn(pr) => {
                let kind = match o {
                    Op::Booked(m, _) => {
                        let m = if sorted_booked { clock.max(m) } else { m };
                        clock = m;
                        Kind::Booked(at(m))
                    }
                    _ => Kind::WalkIn,
                };
                let want = insert_index(&line, kind, pr, rule);
                let t = InLine { id: TicketId::new(), rank: 0, kind, priority: pr };
                let id = t.id;
                let n = line.len() + 1;
                let p = place(&line, kind, pr, rule);
                apply(&mut line, t, p);
                check(&line, n)?;
                prop_assert_eq!(line.iter().position(|t| t.id == id), Some(want), "landed where insert_index says");
            }
            Op::Call => {
                if !line.is_empty() {
                    line.remove(0);
                }
            }
            Op::Move(i, pos) => {
                if let Some(t) = line.get(i % line.len().max(1)).cloned() {
                    let p = move_to(&line, t.id, pos);
                    line.retain(|x| x.id != t.id);
                    let n = line.len() + 1;
                    let want = (pos - 1).min(line.len());
                    apply(&mut line, t.clone(), p);
                    check(&line, n)?;
                    prop_assert_eq!(line.iter().position(|x| x.id == t.id), Some(want));
                }
            }
            Op::Return => {
                let t = InLine { id: TicketId::new(), rank: 0, kind: Kind::WalkIn, priority: 0 };
                let n = line.len() + 1;
                let want = RETURN_AFTER.min(line.len());
                let p = return_placement(&line);
                apply(&mut line, t.clone(), p);
                check(&line, n)?;
                prop_assert_eq!(line.iter().position(|x| x.id == t.id), Some(want));
            }
        }
    }
    Ok(line)
}

proptest! {
    #[test]
    fn any_history_keeps_one_distinct_place_per_ticket(ops in proptest::collection::vec(op(true, true), 0..80),
                                                       every in 0u32..4) {
        run(ops, Rule { walk_in_every: every }, false)?;
    }

    /// Without staff moves: priorities never increase along the line, and among equal
    /// priorities booked patients are in appointment order.
    #[test]
    fn booked_in_appointment_order_behind_priorities(ops in proptest::collection::vec(op(true, false), 0..80),
                                                      every in 0u32..4) {
        let line = run(ops, Rule { walk_in_every: every }, false)?;
        for w in line.windows(2) {
            prop_assert!(w[0].priority >= w[1].priority, "{line:?}");
        }
        let booked: Vec<(u8, Timestamp)> =
            line.iter().filter_map(|t| match t.kind { Kind::Booked(a) => Some((t.priority, a)), _ => None }).collect();
        for w in booked.windows(2) {
            prop_assert!(w[0].0 > w[1].0 || w[0].1 <= w[1].1, "{line:?}");
        }
    }

    /// Booked patients checking in in appointment order, no priorities: walk-ins keep
    /// arrival order and no walk-in waits behind more than N booked since the previous one
    /// (or the head of the line).
    #[test]
    fn one_walk_in_after_every_n_booked(ops in proptest::collection::vec(op(false, false), 0..80), every in 1u32..4) {
        let line = run(ops, Rule { walk_in_every: every }, true)?;
        let mut booked = 0;
        for t in &line {
            match t.kind {
                Kind::Booked(_) => booked += 1,
                Kind::WalkIn => {
                    prop_assert!(booked <= every, "{booked} booked ahead of a walk-in with N={every}: {line:?}");
                    booked = 0;
                }
            }
        }
    }
}

#[test]
fn a_walk_in_goes_after_n_booked() {
    let rule = Rule { walk_in_every: 2 };
    let b = |m| InLine { id: TicketId::new(), rank: m * GAP, kind: Kind::Booked(at(m)), priority: 0 };
    let line = vec![b(1), b(2), b(3), b(4)];
    assert_eq!(insert_index(&line, Kind::WalkIn, 0, rule), 2);
    let mut with = line.clone();
    with.insert(2, InLine { id: TicketId::new(), rank: 0, kind: Kind::WalkIn, priority: 0 });
    assert_eq!(insert_index(&with, Kind::WalkIn, 0, rule), 5, "after the previous walk-in and two booked");
    assert_eq!(insert_index(&line, Kind::Booked(at(0)), 0, rule), 0);
    assert_eq!(insert_index(&line, Kind::WalkIn, 1, rule), 0, "a priority goes ahead");
}

#[test]
fn arrival_and_late_rule() {
    let start = at(100);
    assert_eq!(Arrival::of(start, at(80)), Arrival::Early);
    assert_eq!(Arrival::of(start, at(105)), Arrival::OnTime);
    assert_eq!(Arrival::of(start, at(111)), Arrival::Late);
    assert!(!places_as_walk_in(start, at(114), SignedDuration::from_mins(15)));
    assert!(places_as_walk_in(start, at(116), SignedDuration::from_mins(15)));
}

#[test]
fn a_crowded_gap_renumbers_the_line() {
    let line: Vec<InLine> =
        (0..3).map(|i| InLine { id: TicketId::new(), rank: i, kind: Kind::WalkIn, priority: 0 }).collect();
    let p = place_at(&line, 1);
    assert_eq!(p.renumber.len(), 3);
    assert!(p.renumber[0].1 < p.rank && p.rank < p.renumber[1].1);
}
