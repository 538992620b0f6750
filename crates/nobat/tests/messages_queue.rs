//! The queue's messages (issues 11 and 12): "please come to room 3" to the called ticket's
//! patient (again on a recall), "you are next" to whoever becomes first in line, once per
//! ticket, in each patient's language, only to patients a configured channel can reach.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::messages;

use common::*;
use messages::*;
use nobat_testkit::smtp::{SmtpFake, SmtpMessage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

async fn post_ok(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, v) = app.post(path, body).await;
    assert!(s == StatusCode::OK || s == StatusCode::CREATED, "{path}: {s} {v}");
    v
}

/// (recipient, kind) → how many messages were written.
async fn written(app: &TestApp) -> BTreeMap<(String, String), usize> {
    let db = app.db().await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, kind FROM messages").fetch_all(&db).await.unwrap();
    db.close().await;
    let mut out = BTreeMap::new();
    for r in rows {
        *out.entry(r).or_insert(0) += 1;
    }
    out
}

fn to(got: &[SmtpMessage], rcpt: &str) -> Vec<String> {
    got.iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == rcpt))
        .map(|m| m.mail().text_body().unwrap_or_default())
        // Fluent isolates each placeable (FSI…PDI); the words are what is asserted here.
        .map(|t| t.replace(['\u{2068}', '\u{2069}'], ""))
        .collect()
}

#[tokio::test]
async fn called_and_next_reach_each_patient_once_in_their_language() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let booked = book_with_email(&app, &seed, 0, "first@example.org", "fa").await;
    smtp.wait_for(1, Duration::from_secs(20)).await;

    // Checked in alone: first in line, so "you are next".
    let t0 = post_ok(&app, &format!("{c}/appointments/{}/check-in", booked["id"].as_str().unwrap()), json!({})).await;
    let (t0, queue) =
        (t0["ticket"]["id"].as_str().unwrap().to_owned(), t0["ticket"]["queue"].as_str().unwrap().to_owned());
    smtp.wait_for(2, Duration::from_secs(20)).await;
    let tickets = format!("{c}/queues/{queue}/tickets");
    let patient = json!({ "name": "Claire", "email": "claire@example.org", "language": "fr" });
    let claire = post_ok(&app, &tickets, json!({ "patient": patient })).await;
    let claire = claire["ticket"]["id"].as_str().unwrap().to_owned();
    // Reachable by SMS only, and no SMS channel here: never planned.
    post_ok(&app, &tickets, json!({ "patient": { "name": "Phone Only", "phone": "+212600000001" } })).await;

    // Called to room 3: "come to room 3" to the first patient, "you are next" to Claire.
    post_ok(&app, &format!("{c}/queues/{queue}/call-next"), json!({ "desk": "3" })).await;
    smtp.wait_for(4, Duration::from_secs(20)).await;
    // A recall says it again; starting the service changes nothing for anyone's messages.
    post_ok(&app, &format!("{c}/tickets/{t0}/recall"), json!({})).await;
    smtp.wait_for(5, Duration::from_secs(20)).await;
    post_ok(&app, &format!("{c}/tickets/{t0}/start"), json!({})).await;
    // Past the desk's double-click debounce, Claire is called; the next in line has no address.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let called = post_ok(&app, &format!("{c}/queues/{queue}/call-next"), json!({ "desk": "3" })).await;
    assert_eq!(called["ticket"]["id"], claire.as_str());
    let got = smtp.wait_for(6, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    let first = |k: &str| ("first@example.org".to_owned(), k.to_owned());
    let claire_ = |k: &str| ("claire@example.org".to_owned(), k.to_owned());
    let expected: BTreeMap<(String, String), usize> = [
        (first("booking_confirmed"), 1),
        (first("queue_next"), 1),
        (first("queue_called"), 2),
        (claire_("queue_next"), 1),
        (claire_("queue_called"), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(written(&app).await, expected);
    let all = all_messages(&app).await;
    assert!(all.iter().all(|(_, _, s)| s == "sent"), "{all:?}");
    smtp.messages().assert_exactly_once(key, all.iter().map(|(id, _, _)| id.clone()));
    assert_eq!(got.len(), 6);

    // In each patient's language, with the room in its digits, and no ticket code or phone.
    let fa = to(&smtp.messages().all(), "first@example.org");
    let fa_called: Vec<&String> = fa.iter().filter(|t| t.contains("اتاق")).collect();
    assert_eq!(fa_called.len(), 2, "{fa:?}");
    assert!(fa_called[0].contains("اتاق ۳") && fa_called[0].contains("Patient 0"), "{}", fa_called[0]);
    let fr = to(&smtp.messages().all(), "claire@example.org");
    let fr_called = fr.iter().find(|t| t.contains("salle")).unwrap();
    assert!(fr_called.contains("Claire, merci de vous présenter en salle 3"), "{fr_called}");
    assert!(fr.iter().any(|t| t.contains("vous passez juste après")), "{fr:?}");
    eprintln!("queue_called fa: {:?}\nqueue_called fr: {fr_called:?}", fa_called[0]);
    app.stop().await;
}
