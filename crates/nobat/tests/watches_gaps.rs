//! Issue 13's open gaps on the clinic's own watches: an auto-booking is told in one message
//! (the watch's, carrying the booking), and the personal-data duties reach watches (erasing a
//! patient stops and blanks their watches; ended watches forget their watcher a week later).

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::watches;

use common::*;
use nobat_testkit::smtp::SmtpFake;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use watches::*;

#[tokio::test]
async fn an_auto_booking_is_one_message_with_the_booking_in_it() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let slot = slot_at(&app, &seed, 0, 8, "10:00").await;
    let (taken, _) = book(&app, &seed, &slot, "Taken").await;
    let auto = watch(&app, &seed, ten_oclock(&seed, "auto_book", "auto@example.org", "en", 8, 8)).await;
    cancel(&app, &seed, &taken).await;
    settled(&app).await;
    let (_, w) = app.get(&format!("/watches/{}", auto["token"].as_str().unwrap())).await;
    assert_eq!(w["status"], "fulfilled", "{w}");
    // Let a second message (a confirmation planned from the same booking) show itself.
    tokio::time::sleep(Duration::from_millis(300)).await;
    settled(&app).await;
    let got = mails_to(&smtp, "auto@example.org");
    let subjects: Vec<String> = got.iter().map(|m| m.mail().subject().unwrap_or_default()).collect();
    assert_eq!(got.len(), 1, "one message for one booking: {subjects:?}");
    let mail = got[0].mail();
    assert!(subjects[0].contains("Booked for you"), "the watch's message says why: {subjects:?}");
    let text = mail.text_body().unwrap_or_default();
    assert!(text.contains("/api/v1/manage/"), "it carries the manage link: {text}");
    assert!(mail.attachment_named(".ics").is_some(), "and the booking's calendar file");
    let db = app.db().await;
    let kinds: Vec<(String,)> =
        sqlx::query_as("SELECT kind FROM messages WHERE recipient = 'auto@example.org'").fetch_all(&db).await.unwrap();
    assert_eq!(kinds, vec![("watch_booked".to_owned(),)]);
    db.close().await;
    app.stop().await;
}

/// The patient id of an appointment.
async fn patient_of(app: &TestApp, appointment: &str) -> String {
    let db = app.db().await;
    let p: String = sqlx::query_scalar("SELECT patient_id FROM appointments WHERE id = $1")
        .bind(appointment)
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    p
}

/// (status, name, email, phone) of a watch.
async fn watch_row(app: &TestApp, id: &str) -> (String, String, Option<String>, Option<String>) {
    let db = app.db().await;
    let row = sqlx::query_as("SELECT status, patient_name, email, phone FROM watches WHERE id = $1")
        .bind(id)
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    row
}

#[tokio::test]
async fn erasing_a_patient_stops_and_blanks_their_watches_and_gives_their_offer_back() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let c = format!("/clinics/{}", seed.slug);
    // The patient: an appointment on day 9 (by email), and two watches on the same email — one
    // holding an offer when the erasure comes — plus a watch by phone to move the appointment.
    let later = slot_at(&app, &seed, 0, 9, "10:00").await;
    let mut body = booking(&later, "Erasable Patient");
    body["patient"]["email"] = json!("erasable@example.org");
    let res = app.anon.post(format!("{}{c}/appointments", app.api)).json(&body).send().await.unwrap();
    let (s, mine) = decode(res).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let patient = patient_of(&app, mine["id"].as_str().unwrap()).await;
    let near = slot_at(&app, &seed, 0, 7, "10:00").await;
    let (taken, _) = book(&app, &seed, &near, "Taken").await;
    let offered = watch(&app, &seed, ten_oclock(&seed, "offer", "erasable@example.org", "en", 6, 8)).await;
    let mut mover = ten_oclock(&seed, "notify", "other-address@example.org", "en", 6, 8);
    mover["earlier_than"] = mine["manage_token"].clone();
    let mover = watch(&app, &seed, mover).await;
    watch(&app, &seed, ten_oclock(&seed, "offer", "next@example.org", "en", 6, 8)).await;
    let bystander = watch(&app, &seed, ten_oclock(&seed, "notify", "bystander@example.org", "en", 6, 8)).await;
    cancel(&app, &seed, &taken).await;
    wait_mails_to(&smtp, "erasable@example.org", 1, Duration::from_secs(20)).await;
    settled(&app).await;
    assert!(mails_to(&smtp, "next@example.org").is_empty(), "held for the patient");

    let (s, b) = app.post(&format!("{c}/patients/{patient}/erase"), json!({ "reason": "the patient asked" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for w in [&offered, &mover] {
        let (status, name, email, phone) = watch_row(&app, w["id"].as_str().unwrap()).await;
        assert_eq!((status.as_str(), name.as_str(), email, phone), ("stopped", "erased", None, None));
    }
    let (status, name, ..) = watch_row(&app, bystander["id"].as_str().unwrap()).await;
    assert_eq!((status.as_str(), name.as_str()), ("active", "Watcher bystander@example.org"), "others keep theirs");
    // The offer the erased patient held went back to the line: the next watcher gets it.
    wait_mails_to(&smtp, "next@example.org", 1, Duration::from_secs(20)).await;
    let db = app.db().await;
    let found: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM watches WHERE patient_name LIKE '%rasable%' OR email LIKE '%erasable%' \
         OR email = 'other-address@example.org'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(found, 0, "no watch keeps the erased patient's name or contact");
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_retention_sweep_blanks_watches_ended_more_than_a_week_ago_and_nothing_else() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let old = watch(&app, &seed, ten_oclock(&seed, "notify", "old@example.org", "en", 6, 8)).await;
    let recent = watch(&app, &seed, ten_oclock(&seed, "notify", "recent@example.org", "en", 6, 8)).await;
    let active = watch(&app, &seed, ten_oclock(&seed, "notify", "active@example.org", "en", 6, 8)).await;
    for w in [&old, &recent] {
        let (s, _) = app.delete(&format!("/watches/{}", w["token"].as_str().unwrap())).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let db = app.db().await;
    let eight_days_ago = jiff::Timestamp::now().as_microsecond() - 8 * 86_400_000_000;
    sqlx::query("UPDATE watches SET updated_at_us = $1 WHERE id = $2")
        .bind(eight_days_ago)
        .bind(old["id"].as_str().unwrap())
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    app.store.execute(nobat_store::Command::RetentionSweep).await.unwrap();
    let (_, name, email, _) = watch_row(&app, old["id"].as_str().unwrap()).await;
    assert_eq!((name.as_str(), email), ("erased", None), "ended a week ago: forgotten");
    let (_, name, email, _) = watch_row(&app, recent["id"].as_str().unwrap()).await;
    assert_eq!((name.as_str(), email.as_deref()), ("Watcher recent@example.org", Some("recent@example.org")));
    let (status, name, ..) = watch_row(&app, active["id"].as_str().unwrap()).await;
    assert_eq!((status.as_str(), name.as_str()), ("active", "Watcher active@example.org"));
    app.stop().await;
}
