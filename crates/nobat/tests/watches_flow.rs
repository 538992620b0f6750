//! Watches on the clinic's own slots (issue 13): a cancellation tells a notify watcher once and
//! never again about the same slot; offers go in turn and lapse to the next watcher; auto-book
//! books at once, and "earlier than mine" moves the appointment (freeing the old slot for
//! others); rate limits, stop and the window's end.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::watches;

use common::*;
use nobat_testkit::smtp::SmtpFake;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use watches::*;

#[tokio::test]
async fn a_cancellation_tells_a_notify_watcher_once_and_never_again_about_the_same_slot() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let slot = slot_at(&app, &seed, 0, 7, "10:00").await;
    let (appointment, _) = book(&app, &seed, &slot, "Taken").await;
    let w = watch(&app, &seed, ten_oclock(&seed, "notify", "watcher@example.org", "fa", 6, 8)).await;
    assert_eq!(w["status"], "active");
    assert_eq!(w["position"], 1);
    let token = w["token"].as_str().unwrap();
    assert!(w["manage_url"].as_str().unwrap().ends_with(&format!("/api/v1/watches/{token}")));
    settled(&app).await;
    assert!(mails_to(&smtp, "watcher@example.org").is_empty(), "nothing is free yet");

    let t0 = Instant::now();
    cancel(&app, &seed, &appointment).await;
    let got = wait_mails_to(&smtp, "watcher@example.org", 1, Duration::from_secs(20)).await;
    let elapsed = t0.elapsed();
    println!("cancellation → message handed to SMTP in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "the watcher is told within 2 s: {elapsed:?}");
    let mail = got[0].mail();
    let subject = mail.subject().unwrap_or_default();
    assert!(subject.contains("زمانی آزاد شد"), "{subject:?}");
    let text = mail.text_body().unwrap_or_default();
    assert!(text.contains("۱۰:۰۰"), "the Tehran time in Persian digits: {text}");
    assert!(text.contains(&format!("/api/v1/watches/{token}")), "the stop link: {text}");

    // The same slot frees again (booked by someone else, cancelled): the watcher hears nothing.
    let again = slot_at(&app, &seed, 0, 7, "10:00").await;
    let (second, _) = book(&app, &seed, &again, "Second").await;
    cancel(&app, &seed, &second).await;
    settled(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_to(&smtp, "watcher@example.org").len(), 1, "never told twice about one slot");

    // The watcher sees their watch, and stops it from the link.
    let (s, b) = app.get(&format!("/watches/{token}")).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("active")), "{b}");
    let (s, b) = app.delete(&format!("/watches/{token}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, b) = app.get(&format!("/watches/{token}")).await;
    assert_eq!(b["status"], "stopped");
    assert!(b["position"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn an_offer_goes_to_the_first_watcher_lapses_to_the_second_who_books_it() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let slot = slot_at(&app, &seed, 0, 7, "10:00").await;
    let (appointment, _) = book(&app, &seed, &slot, "Taken").await;
    let first = watch(&app, &seed, ten_oclock(&seed, "offer", "first@example.org", "en", 6, 8)).await;
    let second = watch(&app, &seed, ten_oclock(&seed, "offer", "second@example.org", "en", 6, 8)).await;
    let notify = watch(&app, &seed, ten_oclock(&seed, "notify", "notify@example.org", "en", 6, 8)).await;
    assert_eq!((first["position"].as_u64(), second["position"].as_u64()), (Some(1), Some(2)));
    assert_eq!(notify["position"], 3);

    cancel(&app, &seed, &appointment).await;
    let got = wait_mails_to(&smtp, "first@example.org", 1, Duration::from_secs(20)).await;
    let offer1 = offer_id(&got[0]);
    settled(&app).await;
    assert!(mails_to(&smtp, "second@example.org").is_empty(), "the second waits their turn");
    assert!(mails_to(&smtp, "notify@example.org").is_empty(), "a held slot is nobody else's");
    // Held: nobody can book it meanwhile.
    let free = slots(&app, &seed, &seed.consult, &day(7), Some(&seed.doctors[0])).await;
    assert!(!free.iter().any(|s| tehran_hm(s["start"].as_str().unwrap()) == "10:00"), "the offer holds it");

    lapse_offers_now(&app).await;
    let got = wait_mails_to(&smtp, "second@example.org", 1, Duration::from_secs(30)).await;
    let offer2 = offer_id(&got[0]);
    assert_ne!(offer1, offer2);
    // The first watcher's offer is over: accepting it now is refused.
    let t1 = first["token"].as_str().unwrap();
    let (s, b) = app.post(&format!("/watches/{t1}/offers/{offer1}/accept"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    // Another watcher's offer id with my token: not mine.
    let (s, b) = app.post(&format!("/watches/{t1}/offers/{offer2}/accept"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");

    let t2 = second["token"].as_str().unwrap();
    let (s, b) = app.post(&format!("/watches/{t2}/offers/{offer2}/accept"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(tehran_hm(b["start"].as_str().unwrap()), "10:00");
    let (_, w) = app.get(&format!("/watches/{t2}")).await;
    assert_eq!(w["status"], "fulfilled");
    // Accepting twice books once.
    let (s, _) = app.post(&format!("/watches/{t2}/offers/{offer2}/accept"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    settled(&app).await;
    assert!(mails_to(&smtp, "notify@example.org").is_empty(), "booked: nobody is told it is free");
    assert_eq!(mails_to(&smtp, "first@example.org").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn auto_book_books_at_once_and_earlier_than_moves_the_appointment_freeing_the_old_slot() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let near = slot_at(&app, &seed, 0, 7, "10:00").await;
    let (taken, _) = book(&app, &seed, &near, "Taken").await;
    let later = slot_at(&app, &seed, 0, 9, "10:00").await;
    let (mine, manage) = book(&app, &seed, &later, "Mover").await;
    // Someone waits for the 10:00 of day 9 (only notified).
    let day9 = watch(&app, &seed, ten_oclock(&seed, "notify", "day9@example.org", "en", 9, 9)).await;
    let mut body = ten_oclock(&seed, "auto_book", "mover@example.org", "en", 6, 10);
    body["earlier_than"] = json!(manage);
    let mover = watch(&app, &seed, body).await;

    cancel(&app, &seed, &taken).await;
    settled(&app).await;
    let (_, w) = app.get(&format!("/watches/{}", mover["token"].as_str().unwrap())).await;
    assert_eq!(w["status"], "fulfilled", "{w}");
    let db = app.db().await;
    let (status, to): (String, Option<String>) =
        sqlx::query_as("SELECT status, rescheduled_to FROM appointments WHERE id = $1")
            .bind(&mine)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(status, "cancelled", "moved (the old one cancelled as rescheduled), not duplicated");
    let (new_start, from): (i64, Option<String>) =
        sqlx::query_as("SELECT start_us, rescheduled_from FROM appointments WHERE id = $1")
            .bind(to.unwrap())
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(from.as_deref(), Some(mine.as_str()));
    let near_start: jiff::Timestamp = near["start"].as_str().unwrap().parse().unwrap();
    assert_eq!(new_start, near_start.as_microsecond());
    let live: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM appointments a JOIN patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id \
         WHERE p.name = 'Mover' AND a.occupies = 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(live, 1, "one appointment for the mover");
    db.close().await;
    // The old slot freed for others: the day-9 watcher is told.
    let got = wait_mails_to(&smtp, "day9@example.org", 1, Duration::from_secs(20)).await;
    assert!(got[0].mail().subject().unwrap_or_default().contains("A time is free"));
    let booked = wait_mails_to(&smtp, "mover@example.org", 1, Duration::from_secs(20)).await;
    let subject = booked[0].mail().subject().unwrap_or_default();
    assert!(subject.contains("Booked for you"), "{subject}");
    assert_eq!(day9["position"], 1);

    // A plain auto-book watcher (no appointment yet) is booked into a freed slot at once.
    let slot = slot_at(&app, &seed, 0, 8, "10:00").await;
    let (t, _) = book(&app, &seed, &slot, "Taken again").await;
    let auto = watch(&app, &seed, ten_oclock(&seed, "auto_book", "auto@example.org", "en", 8, 8)).await;
    cancel(&app, &seed, &t).await;
    settled(&app).await;
    let (_, w) = app.get(&format!("/watches/{}", auto["token"].as_str().unwrap())).await;
    assert_eq!(w["status"], "fulfilled", "{w}");
    let free = slots(&app, &seed, &seed.consult, &day(8), Some(&seed.doctors[0])).await;
    assert!(!free.iter().any(|s| tehran_hm(s["start"].as_str().unwrap()) == "10:00"), "booked for the watcher");
    app.stop().await;
}

#[tokio::test]
async fn a_watcher_is_told_at_most_as_often_as_the_clinic_allows() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let body = json!({ "offer_minutes": 10, "per_hour": 1, "per_day": 5, "verify_guests": false });
    let (s, b) = app
        .client
        .put(format!("{}/clinics/{}/watch-settings", app.api, seed.slug))
        .json(&body)
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{:?}", b.text().await);
    let a = slot_at(&app, &seed, 0, 7, "10:00").await;
    let b2 = slot_at(&app, &seed, 0, 7, "11:00").await;
    let (x, _) = book(&app, &seed, &a, "X").await;
    let (y, _) = book(&app, &seed, &b2, "Y").await;
    let w = json!({
        "service": seed.consult, "from": day(7), "to": day(7), "mode": "notify",
        "patient": { "name": "Eager", "email": "eager@example.org" }
    });
    watch(&app, &seed, w).await;
    cancel(&app, &seed, &x).await;
    wait_mails_to(&smtp, "eager@example.org", 1, Duration::from_secs(20)).await;
    cancel(&app, &seed, &y).await;
    settled(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_to(&smtp, "eager@example.org").len(), 1, "one notice an hour");
    app.stop().await;
}

#[tokio::test]
async fn a_stopped_watch_hears_nothing_and_an_ended_one_says_so_once() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let slot = slot_at(&app, &seed, 0, 7, "10:00").await;
    let (appointment, _) = book(&app, &seed, &slot, "Taken").await;
    let stopped = watch(&app, &seed, ten_oclock(&seed, "notify", "stopped@example.org", "en", 6, 8)).await;
    let ending = watch(&app, &seed, ten_oclock(&seed, "notify", "ending@example.org", "fa", 1, 2)).await;
    let (s, _) = app.delete(&format!("/watches/{}", stopped["token"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    cancel(&app, &seed, &appointment).await;
    settled(&app).await;
    assert!(mails_to(&smtp, "stopped@example.org").is_empty());

    // The window ends (its timer brought forward): the watcher is told once, in Persian.
    let db = app.db().await;
    let now = jiff::Timestamp::now().as_microsecond() - 1;
    sqlx::query("UPDATE watches SET ends_at_us = $1 WHERE id = $2")
        .bind(now)
        .bind(ending["id"].as_str().unwrap())
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET run_at_us = $1 WHERE kind = 'watch.expire'").bind(now).execute(&db).await.unwrap();
    db.close().await;
    let got = wait_mails_to(&smtp, "ending@example.org", 1, Duration::from_secs(30)).await;
    let subject = got[0].mail().subject().unwrap_or_default();
    assert!(subject.contains("به پایان رسید"), "{subject}");
    let (_, w) = app.get(&format!("/watches/{}", ending["token"].as_str().unwrap())).await;
    assert_eq!(w["status"], "expired");
    settled(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_to(&smtp, "ending@example.org").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_watches_are_refused_naming_the_field_and_other_clinics_see_nothing() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, seed) = setup(&smtp).await;
    let good = ten_oclock(&seed, "notify", "x@example.org", "en", 1, 2);
    let cases = [
        ("from", json!("tomorrow")),
        ("to", json!(day(-1))),
        ("mode", json!("whenever")),
        ("service", json!("not-an-id")),
        ("times", json!([{ "from": "25:00", "to": "26:00" }])),
        ("weekdays", json!(["someday"])),
        ("earlier_than", json!("not-a-manage-token")),
    ];
    for (field, value) in cases {
        let mut body = good.clone();
        body[field] = value;
        let res = app.anon.post(format!("{}/clinics/{}/watches", app.api, seed.slug)).json(&body).send().await.unwrap();
        let (s, b) = decode(res).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {b}");
        let named = b.to_string();
        assert!(named.contains(field), "{field} is named: {b}");
    }
    let mut body = good.clone();
    body.as_object_mut().unwrap().remove("service");
    let res = app.anon.post(format!("{}/clinics/{}/watches", app.api, seed.slug)).json(&body).send().await.unwrap();
    let (s, b) = decode(res).await;
    assert_eq!((s, b["field"].as_str()), (StatusCode::BAD_REQUEST, Some("service")), "a malformed body: {b}");
    let mut body = good.clone();
    body["patient"] = json!({ "name": "Nobody" });
    let res = app.anon.post(format!("{}/clinics/{}/watches", app.api, seed.slug)).json(&body).send().await.unwrap();
    let (s, b) = decode(res).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // Staff see the watch; another clinic's ids are not found there.
    watch(&app, &seed, good).await;
    let (s, list) = app.get(&format!("/clinics/{}/watches?status=active", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["patient"], "Watcher x@example.org");
    let (s, b) = app.get(&format!("/clinics/{}/watches?status=sleeping", seed.slug)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app.get("/watches/not-a-token").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, settings) = app.get(&format!("/clinics/{}/watch-settings", seed.slug)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(settings["offer_minutes"], 15);
    let bad = json!({ "offer_minutes": 0, "per_hour": 1, "per_day": 1, "verify_guests": false });
    let res =
        app.client.put(format!("{}/clinics/{}/watch-settings", app.api, seed.slug)).json(&bad).send().await.unwrap();
    let (s, b) = decode(res).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.to_string().contains("offer_minutes"));
    app.stop().await;
}
