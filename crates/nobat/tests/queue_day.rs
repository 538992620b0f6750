//! The end of a queue's day and transfers, on both engines: the end-of-day timer is set at
//! the location's last opening hour plus the clinic's grace, on the location's clock, and when
//! it runs it gives every remaining ticket the final status a manual close gives (and does
//! nothing after one); a transferred ticket's token keeps showing the patient's place, and its
//! stream follows the ticket to the new queue.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

async fn walk_in(app: &TestApp, c: &str, queue: &str, name: &str) -> Value {
    let (s, t) = app.post(&format!("{c}/queues/{queue}/tickets"), json!({ "patient": { "name": name } })).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["ticket"].clone()
}

/// Four tickets in `queue`: in service, absent, called, waiting (in that order of codes).
async fn every_open_state(app: &TestApp, c: &str, queue: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for name in ["Serving", "Away", "Called", "Waiting"] {
        ids.push(walk_in(app, c, queue, name).await["id"].as_str().unwrap().to_owned());
    }
    for (i, then) in ["start", "absent", ""].iter().enumerate() {
        let (s, v) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": format!("Desk {i}") })).await;
        assert_eq!((s, v["ticket"]["id"].as_str()), (StatusCode::OK, Some(ids[i].as_str())), "{v}");
        if !then.is_empty() {
            let (s, v) = app.post(&format!("{c}/tickets/{}/{then}", ids[i]), json!({})).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    }
    ids
}

async fn statuses(app: &TestApp, c: &str, queue: &str, ids: &[String]) -> (bool, Vec<String>) {
    let (s, d) = app.get(&format!("{c}/queues/{queue}")).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let of = |id: &str| {
        let t = d["tickets"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap();
        t["status"].as_str().unwrap().to_owned()
    };
    (d["queue"]["closed"].as_bool().unwrap(), ids.iter().map(|id| of(id)).collect())
}

async fn jobs(db: &sqlx::AnyPool, kind: &str, key: &str) -> Vec<i64> {
    let sql = format!("SELECT run_at_us FROM jobs WHERE kind = '{kind}' AND key = '{key}'");
    let rows: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(db).await.unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn the_day_closes_by_itself_after_the_last_opening_hour_exactly_like_a_manual_close() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let set = json!({ "grace_min": 15, "walk_in_every": 2, "close_after_min": 45 });
    let (s, v) = put(&app, &format!("{c}/queue-settings"), set).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put(
        &app,
        &format!("{c}/queue-settings"),
        json!({ "grace_min": 15, "walk_in_every": 2, "close_after_min": 721 }),
    )
    .await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("close_after_min")), "{v}");

    // Two queues of today in Tehran: one the timer closes, one closed by hand.
    let (s, timed) = app.post(&format!("{c}/queues"), json!({ "location": seed.tehran })).await;
    assert_eq!(s, StatusCode::OK, "{timed}");
    let (s, manual) =
        app.post(&format!("{c}/queues"), json!({ "location": seed.tehran, "practitioner": seed.doctors[0] })).await;
    assert_eq!(s, StatusCode::OK, "{manual}");
    let (timed, manual) = (timed["id"].as_str().unwrap().to_owned(), manual["id"].as_str().unwrap().to_owned());

    // The timer: the seed's last opening hour in Tehran (20:00) + 45 minutes, on Tehran's clock.
    let db = app.db().await;
    let today: jiff::civil::Date = day(0).parse().unwrap();
    let tehran = nobat_core::zones::get("Asia/Tehran").unwrap();
    let expected = today.at(20, 45, 0, 0).to_zoned(tehran).unwrap().timestamp().as_microsecond();
    assert_eq!(jobs(&db, "queue.close", &timed).await, vec![expected]);
    // A location where nobody works that day: the end of its local day (+ 45 minutes).
    let (s, casa) = app.post(&format!("{c}/queues"), json!({ "location": seed.casablanca })).await;
    assert_eq!(s, StatusCode::OK, "{casa}");
    let casa_date: jiff::civil::Date = casa["date"].as_str().unwrap().parse().unwrap();
    let casablanca = nobat_core::zones::get("Africa/Casablanca").unwrap();
    let midnight = casa_date.tomorrow().unwrap().at(0, 45, 0, 0).to_zoned(casablanca).unwrap();
    assert_eq!(
        jobs(&db, "queue.close", casa["id"].as_str().unwrap()).await,
        vec![midnight.timestamp().as_microsecond()]
    );

    let timed_ids = every_open_state(&app, &c, &timed).await;
    let manual_ids = every_open_state(&app, &c, &manual).await;
    let (s, v) = app.post(&format!("{c}/queues/{manual}/close"), json!({})).await;
    assert_eq!((s, &v["closed"]), (StatusCode::OK, &json!(true)), "{v}");
    assert_eq!(jobs(&db, "queue.close", &manual).await, Vec::<i64>::new(), "a manual close ends the timer");
    let by_hand = statuses(&app, &c, &manual, &manual_ids).await;
    assert_eq!(by_hand.1, ["done", "no_show", "left", "left"]);

    // Bring the timer's time to now; the job runner closes the day.
    let now = jiff::Timestamp::now().as_microsecond();
    let sql = format!("UPDATE jobs SET run_at_us = {now} WHERE kind = 'queue.close' AND key = '{timed}'");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&db).await.unwrap();
    let mut after = (false, Vec::new());
    for _ in 0..150 {
        after = statuses(&app, &c, &timed, &timed_ids).await;
        if after.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after, by_hand, "the timer closes the day exactly as a manual close does");
    assert_eq!(jobs(&db, "queue.close", &timed).await, Vec::<i64>::new());
    assert_eq!(jobs(&db, "queue.grace", &timed_ids[1]).await, Vec::<i64>::new(), "the absent one's grace timer went");
    // A manual close afterwards changes nothing, and the day takes no one new.
    let (s, v) = app.post(&format!("{c}/queues/{timed}/close"), json!({})).await;
    assert_eq!((s, &v["closed"]), (StatusCode::OK, &json!(true)), "{v}");
    assert_eq!(statuses(&app, &c, &timed, &timed_ids).await, after);
    let (s, _) = app.post(&format!("{c}/queues/{timed}/tickets"), json!({ "patient": { "name": "Late" } })).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The audit trail says who closed it.
    let (_, audit) = app.get(&format!("{c}/audit?entity_id={timed}")).await;
    assert!(audit.to_string().contains("end of the queue's day"), "{audit}");
    db.close().await;
    app.stop().await;
}

async fn read_until(res: &mut reqwest::Response, limit: Duration, done: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    let until = tokio::time::Instant::now() + limit;
    while !done(&text) {
        match tokio::time::timeout_at(until, res.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    text
}

#[tokio::test]
async fn a_transferred_ticket_keeps_its_place_view_and_its_stream_follows_it() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (_, a) = app.post(&format!("{c}/queues"), json!({ "location": seed.tehran })).await;
    let (_, b) =
        app.post(&format!("{c}/queues"), json!({ "location": seed.tehran, "practitioner": seed.doctors[1] })).await;
    let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
    walk_in(&app, &c, &b, "Ahead In B").await;
    let t = walk_in(&app, &c, &a, "Moving").await;
    let token = t["token"].as_str().unwrap().to_owned();

    let mut stream = app.anon.get(format!("{}/tickets/{token}/events", app.api)).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let first = read_until(&mut stream, Duration::from_secs(5), |s| s.contains("event: ticket")).await;
    assert!(first.contains(&a), "{first}");

    let (s, moved) =
        app.post(&format!("{c}/tickets/{}/transfer", t["id"].as_str().unwrap()), json!({ "queue": b })).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    let new_id = moved["ticket"]["id"].as_str().unwrap().to_owned();
    // The stream now shows the ticket in B: waiting, second in line.
    let text = read_until(&mut stream, Duration::from_secs(5), |s| s.contains(&new_id)).await;
    assert!(text.contains(&new_id) && text.contains(&format!("\"queue\":\"{b}\"")), "{text}");
    // The same token's view: the ticket in B.
    let (s, place) = decode(app.anon.get(format!("{}/tickets/{token}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{place}");
    assert_eq!((&place["ticket"]["id"], &place["ticket"]["queue"]), (&json!(new_id), &json!(b)), "{place}");
    assert_eq!((&place["ticket"]["status"], &place["ahead"]), (&json!("waiting"), &json!(1)), "{place}");
    // Changes in B reach the old token's stream: the one ahead is called, then the patient.
    let (s, _) = app.post(&format!("{c}/queues/{b}/call-next"), json!({ "desk": "Room 4" })).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app.post(&format!("{c}/queues/{b}/call-next"), json!({ "desk": "Room 5" })).await;
    assert_eq!((s, v["ticket"]["id"].as_str()), (StatusCode::OK, Some(new_id.as_str())), "{v}");
    let text = read_until(&mut stream, Duration::from_secs(5), |s| s.contains("Room 5")).await;
    assert!(text.contains("\"called_to\":\"Room 5\""), "{text}");
    assert!(!text.contains("Moving"), "no name: {text}");
    app.stop().await;
}
