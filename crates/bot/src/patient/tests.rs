#![allow(clippy::unwrap_used)]

use super::*;
use crate::conversation::{Conversation, handle_with};
use crate::update::{Incoming, Input};

fn messages() -> &'static Messages {
    Messages::embedded().expect("catalogues parse")
}

fn incoming(input: Input) -> Incoming {
    Incoming { update_id: 1, chat_id: 7, first_name: "Sara".into(), language_code: Some("fa".into()), input }
}

fn tap(data: &str, message_id: i64) -> Input {
    Input::Callback { id: "q".into(), data: data.into(), message_id: Some(message_id) }
}

fn slot(start_us: i64, doctor: &str) -> SlotFact {
    SlotFact { start_us, offset_secs: 12_600, practitioner: Item::new(doctor, doctor), location: "L".into() }
}

/// Runs the core the way the poller does: answering each need from `answer` until it replies.
fn run(
    state: &Conversation,
    input: Input,
    answer: &dyn Fn(&Need, &mut Facts),
) -> (Conversation, Vec<Reply>, Vec<Need>) {
    let mut facts = Facts::default();
    let mut asked = Vec::new();
    for _ in 0..8 {
        let (next, replies) = handle_with(messages(), state, &incoming(input.clone()), &facts);
        match replies.as_slice() {
            [Reply::Need(n)] => {
                asked.push(n.clone());
                answer(n, &mut facts);
            }
            _ => return (next, replies, asked),
        }
    }
    panic!("the core kept asking: {asked:?}")
}

fn world(booked: Booked) -> impl Fn(&Need, &mut Facts) {
    move |need, facts| match need {
        Need::Clinics => facts.clinics = Some(vec![Item::new("c1", "Shafa")]),
        Need::Search(q) => {
            facts.search = Some(if q.contains("cardio") {
                vec![Found { clinic: Item::new("c1", "Shafa"), service: Some(Item::new("s1", "Cardiology")) }]
            } else {
                vec![]
            })
        }
        Need::Services { .. } => {
            facts.services = Some(vec![Item::new("s1", "Cardiology"), Item::new("s2", "Dentistry")])
        }
        Need::Practitioners { .. } => {
            facts.practitioners = Some(vec![Item::new("d1", "Dr A"), Item::new("d2", "Dr B")])
        }
        // 2026-03-21 06:30 UTC = 10:00 in Tehran (1 Farvardin 1405), and 06:30 + 30 min.
        Need::Slots { .. } => {
            facts.slots = Some(vec![slot(1_774_074_600_000_000, "d1"), slot(1_774_076_400_000_000, "d1")])
        }
        Need::Book(_) => facts.booked = Some(booked.clone()),
    }
}

fn keyboard(r: &Reply) -> Vec<(String, String)> {
    match r {
        Reply::Send { keyboard: Some(Keyboard::Inline(rows)), .. }
        | Reply::Edit { keyboard: Some(Keyboard::Inline(rows)), .. } => rows.concat(),
        _ => vec![],
    }
}

fn text(r: &Reply) -> &str {
    match r {
        Reply::Send { text, .. } | Reply::Edit { text, .. } => text,
        _ => "",
    }
}

#[test]
fn a_search_then_taps_then_name_and_contact_book_once_in_persian() {
    let w = world(Booked::Done { manage_url: "https://x/manage/T".into() });
    let state = Conversation { lang: Some("fa".into()), ..Conversation::default() };
    let (mut state, replies, _) = run(&state, Input::Text("cardio".into()), &w);
    // One hit: straight to the practitioners, with "whoever is free" first.
    assert_eq!(keyboard(&replies[0])[0].1, "b:p:any");
    state.remember_sent(50);
    let (state, replies, _) = run(&state, tap("b:p:0", 50), &w);
    assert!(matches!(replies[1], Reply::Edit { message_id: 50, .. }));
    let days = keyboard(&replies[1]);
    assert_eq!(days.len(), 1);
    assert!(days[0].0.contains("فروردین ۱۴۰۵"), "{days:?}");
    let (state, replies, _) = run(&state, tap("b:d:0", 50), &w);
    let times: Vec<String> = keyboard(&replies[1]).into_iter().map(|b| b.0).collect();
    assert_eq!(times, vec!["۱۰:۰۰", "۱۰:۳۰"]);
    let (state, replies, _) = run(&state, tap("b:t:1", 50), &w);
    assert!(text(&replies[1]).contains("نام و نام خانوادگی"), "{}", text(&replies[1]));
    // A stale tap on the same (now name-asking) menu does nothing but say so.
    let (same, replies, asked) = run(&state, tap("b:t:0", 50), &w);
    assert_eq!(same, state);
    assert!(asked.is_empty() && matches!(&replies[0], Reply::AnswerCallback { text: Some(_), .. }));
    let (state, replies, _) = run(&state, Input::Text("سارا  احمدی".into()), &w);
    assert!(matches!(&replies[0], Reply::Send { keyboard: Some(Keyboard::ShareContact(_)), .. }));
    let (state, replies, asked) = run(&state, Input::Contact { phone: "+989121234567".into() }, &w);
    let Some(Need::Book(order)) = asked.last() else { panic!("{asked:?}") };
    assert_eq!((order.name.as_str(), order.phone.as_str(), order.lang.as_str()), ("سارا احمدی", "+989121234567", "fa"));
    assert_eq!(order.slot.start_us, 1_774_076_400_000_000);
    assert!(text(&replies[0]).contains("https://x/manage/T") && text(&replies[0]).contains("۱۰:۳۰"));
    assert!(matches!(&replies[0], Reply::Send { keyboard: Some(Keyboard::Remove), .. }));
    assert_eq!(state.patient.flow, None);
    // Name and phone are remembered: the next booking asks neither.
    let (mut state, _, _) = run(&state, Input::Text("/book".into()), &w);
    state.remember_sent(60);
    let (state, _, _) = run(&state, tap("b:s:0", 60), &w);
    let (state, _, _) = run(&state, tap("b:p:any", 60), &w);
    let (state, _, _) = run(&state, tap("b:d:0", 60), &w);
    let (_, replies, asked) = run(&state, tap("b:t:0", 60), &w);
    assert!(matches!(asked.last(), Some(Need::Book(_))));
    assert!(matches!(&replies[1], Reply::Edit { message_id: 60, .. }));
}

#[test]
fn a_slot_taken_meanwhile_offers_the_next_ones_and_unknown_text_is_not_ours() {
    let w = world(Booked::Taken);
    let mut state = Conversation { lang: Some("ru".into()), ..Conversation::default() };
    state.patient.profile = Some(Profile { name: "Мария".into(), phone: Some("+79161234567".into()) });
    let (mut state, _, _) = run(&state, Input::Text("/book".into()), &w);
    state.remember_sent(70);
    let (state, _, _) = run(&state, tap("b:s:0", 70), &w);
    let (state, _, _) = run(&state, tap("b:p:0", 70), &w);
    let (state, _, _) = run(&state, tap("b:d:0", 70), &w);
    let (state, replies, asked) = run(&state, tap("b:t:0", 70), &w);
    // Booked was tried, then the free times were read again: after the refusal, not before.
    assert!(matches!(asked.as_slice(), [Need::Book(_), Need::Slots { .. }]), "{asked:?}");
    assert!(text(&replies[1]).starts_with("Извините, это время только что занял"), "{}", text(&replies[1]));
    assert_eq!(state.patient.flow.as_ref().unwrap().stage, Stage::Time);
    // Text that matches nothing is left to the hint.
    let (_, replies, _) = run(&state, Input::Text("погода".into()), &w);
    assert!(text(&replies[0]).starts_with("Извините, я не понял"), "{replies:?}");
}
