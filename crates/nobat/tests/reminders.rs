//! Reminders: planned as durable jobs in the booking's transaction (defaults 24 h and 2 h,
//! per clinic and per service, moved out of quiet hours), removed by a cancel or a move, and
//! when due an `appointment.reminder` event — once per reminder however many runners race,
//! and never for an appointment that is no longer booked at that start.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use jiff::Timestamp;
use jiff::civil::DateTime;
use nobat_store::commands::{IfScheduled, NewJob, REMINDER};
use nobat_store::{Command, Store, StoreOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::AnyPool;
use std::time::Duration;

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

fn tehran(wall: &str) -> Timestamp {
    let dt: DateTime = wall.parse().unwrap();
    nobat_core::zones::get("Asia/Tehran").unwrap().to_ambiguous_timestamp(dt).compatible().unwrap()
}

/// The reminder jobs of an appointment: (offset minutes, run at).
async fn reminders_of(db: &AnyPool, appointment: &str) -> Vec<(i64, i64)> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT key, run_at_us FROM jobs WHERE kind = 'reminder' AND key LIKE $1 ORDER BY run_at_us")
            .bind(format!("{appointment}/%"))
            .fetch_all(db)
            .await
            .unwrap();
    rows.into_iter().map(|(k, at)| (k.rsplit('/').next().unwrap().parse().unwrap(), at)).collect()
}

async fn reminder_events(db: &AnyPool, appointment: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM events WHERE kind = 'appointment.reminder' AND subjects LIKE $1")
            .bind(format!("%{appointment}%"))
            .fetch_one(db)
            .await
            .unwrap();
    n
}

/// Books the consultation (or `service`) at `date` `time` Tehran with Dr. A.
async fn book_at(app: &TestApp, seed: &Seed, service: &str, date: &str, time: &str) -> Value {
    let start = tehran(&format!("{date}T{time}"));
    let slot = json!({ "service": service, "practitioner": seed.doctors[0], "start": start.to_string() });
    let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&slot, "Sara Rahimi")).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a
}

#[tokio::test]
async fn a_booking_plans_its_reminders_a_move_replans_them_and_a_cancel_removes_them() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let db = app.db().await;
    let (d2, d3) = (day(2), day(3));
    // 09:00: the 24 h reminder is 09:00 the day before; 2 h before is 07:00, inside the default
    // quiet hours (22:00–08:00), so it goes at 21:59 the evening before.
    let a = book_at(&app, &seed, &seed.consult, &d3, "09:00").await;
    let id = a["id"].as_str().unwrap();
    let want = vec![
        (1440, tehran(&format!("{d2}T09:00")).as_microsecond()),
        (120, tehran(&format!("{d2}T21:59")).as_microsecond()),
    ];
    assert_eq!(reminders_of(&db, id).await, want);

    // Moved to 15:00: the old appointment's reminders go, the new one's come.
    let (s, moved) = app
        .post(
            &format!("/clinics/{}/appointments/{id}/reschedule", seed.slug),
            json!({ "start": tehran(&format!("{d3}T15:00")).to_string() }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    let new_id = moved["id"].as_str().unwrap();
    assert!(reminders_of(&db, id).await.is_empty(), "the old time's reminders are gone");
    let want = vec![
        (1440, tehran(&format!("{d2}T15:00")).as_microsecond()),
        (120, tehran(&format!("{d3}T13:00")).as_microsecond()),
    ];
    assert_eq!(reminders_of(&db, new_id).await, want);

    let (s, body) =
        app.post(&format!("/clinics/{}/appointments/{new_id}/cancel", seed.slug), json!({ "reason": "ill" })).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(reminders_of(&db, new_id).await.is_empty(), "a cancel removes its reminders");
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'reminder'").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0);
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn clinic_and_service_settings_decide_offsets_and_quiet_hours() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let db = app.db().await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, defaults) = app.get(&format!("{c}/reminder-settings")).await;
    assert_eq!(s, StatusCode::OK, "{defaults}");
    assert_eq!(
        defaults,
        json!({ "offsets_minutes": [1440, 120], "quiet_hours": { "start": "22:00", "end": "08:00" }, "services": [] })
    );
    // Bad input is refused, naming the field.
    for (body, field) in [
        (json!({ "offsets_minutes": [0] }), "reminder_offsets"),
        (json!({ "offsets_minutes": [60, 60, 60, 60, 60, 60] }), "reminder_offsets"),
        (json!({ "offsets_minutes": [60], "quiet_hours": { "start": "25:00", "end": "08:00" } }), "quiet_hours.start"),
        (json!({ "offsets_minutes": [60], "quiet_hours": { "start": "08:00", "end": "08:00" } }), "quiet_hours"),
    ] {
        let (s, p) = put(&app, &format!("{c}/reminder-settings"), body.clone()).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {p}");
    }
    let (s, p) = put(&app, &format!("{c}/reminder-settings"), json!({})).await;
    assert!(s.is_client_error(), "{p}");

    // Clinic: 3 h before, quiet 21:00–10:00. Consultations: 30 minutes before, of their own.
    let (s, set) = put(
        &app,
        &format!("{c}/reminder-settings"),
        json!({ "offsets_minutes": [180], "quiet_hours": { "start": "21:00", "end": "10:00" } }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let (s, set) =
        put(&app, &format!("{c}/services/{}/reminder-settings", seed.consult), json!({ "offsets_minutes": [30] }))
            .await;
    assert_eq!(s, StatusCode::OK, "{set}");
    assert_eq!(set["services"], json!([{ "service": seed.consult, "offsets_minutes": [30] }]));

    let d3 = day(3);
    // A group session at 12:00: 3 h before is 09:00, inside 21:00–10:00: 20:59 the day before.
    let g = book_at(&app, &seed, &seed.group, &d3, "12:00").await;
    let want = vec![(180, tehran(&format!("{}T20:59", day(2))).as_microsecond())];
    assert_eq!(reminders_of(&db, g["id"].as_str().unwrap()).await, want);
    // A consultation at 15:00: its own 30 minutes, outside quiet hours.
    let a = book_at(&app, &seed, &seed.consult, &d3, "15:00").await;
    let want = vec![(30, tehran(&format!("{d3}T14:30")).as_microsecond())];
    assert_eq!(reminders_of(&db, a["id"].as_str().unwrap()).await, want);

    // The service goes back to the clinic's; no reminders at all for the clinic.
    let (s, _) = app.delete(&format!("{c}/services/{}/reminder-settings", seed.consult)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = put(&app, &format!("{c}/reminder-settings"), json!({ "offsets_minutes": [] })).await;
    assert_eq!(s, StatusCode::OK);
    let b = book_at(&app, &seed, &seed.consult, &d3, "16:00").await;
    assert!(reminders_of(&db, b["id"].as_str().unwrap()).await.is_empty());
    let (s, now) = app.get(&format!("{c}/reminder-settings")).await;
    assert_eq!((s, now), (StatusCode::OK, json!({ "offsets_minutes": [], "quiet_hours": null, "services": [] })));

    // Every change is in the audit trail.
    let (s, audit) = app.get(&format!("{c}/audit?action=set_reminder_settings")).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert_eq!(audit.as_array().map(Vec::len), Some(2), "{audit}");
    let (_, audit) = app.get(&format!("{c}/audit?action=set_service_reminders")).await;
    assert_eq!(audit.as_array().map(Vec::len), Some(2), "{audit}");
    db.close().await;
    app.stop().await;
}

/// Claims and runs jobs over and over, like another process's runner.
async fn race(store: Store, until: tokio::sync::watch::Receiver<bool>) {
    while !*until.borrow() {
        let _ = nobat::timers::round(&store).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_due_reminder_is_announced_once_across_runners_and_never_for_a_changed_appointment() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let db = app.db().await;
    // No quiet hours: a late job run inside them would (rightly) be dropped, whatever the
    // hour this test runs at.
    let no_quiet = json!({ "offsets_minutes": [1440, 120], "quiet_hours": null });
    let (s, body) = put(&app, &format!("/clinics/{}/reminder-settings", seed.slug), no_quiet).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let d3 = day(3);
    let mut booked = Vec::new();
    for time in ["09:00", "09:30", "10:00", "10:30", "11:00"] {
        booked.push(book_at(&app, &seed, &seed.consult, &d3, time).await["id"].as_str().unwrap().to_owned());
    }
    // One more, whose reminder job outlives it: marked entered-in-error (a status change
    // leaves jobs alone), and a stale job for a start it no longer has.
    let gone = book_at(&app, &seed, &seed.consult, &d3, "11:30").await["id"].as_str().unwrap().to_owned();
    let (s, b) = app
        .post(&format!("/clinics/{}/appointments/{gone}/status", seed.slug), json!({ "status": "entered-in-error" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let planned: i64 = {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'reminder'").fetch_one(&db).await.unwrap();
        n
    };
    // Counted before the stale job is added: the app's own runner may run that one at once.
    assert_eq!(planned, 2 * 6);
    let moved = &booked[0];
    let stale = NewJob {
        clinic: Some(seed.clinic.parse().unwrap()),
        kind: REMINDER,
        key: format!("{moved}/9999"),
        run_at: Timestamp::now(),
        payload: json!({ "appointment": moved, "start_us": 1 }),
        if_scheduled: IfScheduled::Replace,
    };
    app.store.execute(Command::ScheduleJob(stale)).await.unwrap();

    // Two more runners (own stores, as other processes would have) race the app's own.
    let (stop, until) = tokio::sync::watch::channel(false);
    let mut runners = Vec::new();
    for _ in 0..2 {
        let store = Store::open(&app.db_url, StoreOptions::default()).await.unwrap();
        runners.push(tokio::spawn(race(store, until.clone())));
    }
    // Everything comes due at once.
    sqlx::query("UPDATE jobs SET run_at_us = 0 WHERE kind = 'reminder'").execute(&db).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (left,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'reminder'").fetch_one(&db).await.unwrap();
        if left == 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).unwrap();
    for r in runners {
        r.await.unwrap();
    }
    for id in &booked {
        assert_eq!(reminder_events(&db, id).await, 2, "{id}: one event per planned reminder");
    }
    assert_eq!(reminder_events(&db, &gone).await, 0, "not booked any more: no reminder");
    let (dead,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs").fetch_one(&db).await.unwrap();
    assert!(dead <= 1, "only the retention job may be left, got {dead}");
    db.close().await;
    app.stop().await;
}

/// A reminder that comes due late, inside quiet hours (no process was running at its time),
/// is not sent; the same job outside quiet hours is.
#[tokio::test]
async fn a_late_reminder_inside_quiet_hours_is_dropped() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let db = app.db().await;
    let c = format!("/clinics/{}", seed.slug);
    // Quiet hours around the present moment in Tehran (the location's zone).
    let now = Timestamp::now().to_zoned(nobat_core::zones::get("Asia/Tehran").unwrap());
    let hm = |z: &jiff::Zoned| format!("{:02}:{:02}", z.hour(), z.minute());
    let (from, to) = (
        now.checked_sub(jiff::SignedDuration::from_hours(1)).unwrap(),
        now.checked_add(jiff::SignedDuration::from_hours(1)).unwrap(),
    );
    let quiet = json!({ "offsets_minutes": [1440], "quiet_hours": { "start": hm(&from), "end": hm(&to) } });
    let (s, body) = put(&app, &format!("{c}/reminder-settings"), quiet).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let a = book_at(&app, &seed, &seed.consult, &day(4), "15:00").await;
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(reminders_of(&db, &id).await.len(), 1);
    let due_now = |db: AnyPool| async move {
        sqlx::query("UPDATE jobs SET run_at_us = 0 WHERE kind = 'reminder'").execute(&db).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let (left,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'reminder'").fetch_one(&db).await.unwrap();
            if left == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the reminder job did not run");
    };
    due_now(db.clone()).await;
    assert_eq!(reminder_events(&db, &id).await, 0, "inside quiet hours: dropped");

    // Quiet hours elsewhere in the day: the same late job is sent.
    let (later, end) = (
        now.checked_add(jiff::SignedDuration::from_hours(3)).unwrap(),
        now.checked_add(jiff::SignedDuration::from_hours(5)).unwrap(),
    );
    let quiet = json!({ "offsets_minutes": [1440], "quiet_hours": { "start": hm(&later), "end": hm(&end) } });
    let (s, body) = put(&app, &format!("{c}/reminder-settings"), quiet).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let b = book_at(&app, &seed, &seed.consult, &day(4), "16:00").await;
    let id = b["id"].as_str().unwrap().to_owned();
    assert_eq!(reminders_of(&db, &id).await.len(), 1);
    due_now(db.clone()).await;
    assert_eq!(reminder_events(&db, &id).await, 1);
    db.close().await;
    app.stop().await;
}
