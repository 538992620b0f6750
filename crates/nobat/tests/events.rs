//! Typed events and the outbox per consumer: every change a front end shows is numbered per
//! clinic without gaps and can be replayed from the database; nothing secret reaches the
//! broadcast or `pg_notify`; each consumer gets each message once, in order per appointment,
//! independently of the others; retention keeps the tables bounded.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use jiff::SignedDuration;
use nobat_core::ClinicId;
use nobat_store::commands::OutboxItem;
use nobat_store::{Command, Event, EventKind, Output, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

pub async fn claim(store: &Store, consumer: &str, limit: u32, lease: SignedDuration) -> Vec<OutboxItem> {
    let consumer = consumer.to_owned();
    match store.execute(Command::ClaimOutbox { consumer, limit, lease }).await.unwrap() {
        Output::Outbox(items) => items,
        other => panic!("unexpected {other:?}"),
    }
}

async fn complete(store: &Store, items: &[OutboxItem]) -> u64 {
    match store.execute(Command::CompleteOutbox(items.to_vec())).await.unwrap() {
        Output::Count(n) => n,
        other => panic!("unexpected {other:?}"),
    }
}

fn clinic_id(seed: &Seed) -> ClinicId {
    seed.clinic.parse().unwrap()
}

async fn all_events(store: &Store, clinic: ClinicId) -> Vec<Event> {
    let mut out = Vec::new();
    loop {
        let after = out.last().map_or(0, |e: &Event| e.seq);
        let page = store.events_since(clinic, after, 7).await.unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

fn assert_gap_free(events: &[Event]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e.seq,
            i as i64 + 1,
            "seqs run 1, 2, 3 … without a hole: {:?}",
            events.iter().map(|e| e.seq).collect::<Vec<_>>()
        );
    }
}

/// Catalogue changes (locations, practitioners, services), schedules, bookings and their
/// changes are all stored events, numbered 1, 2, 3 … per clinic; a refused command leaves no
/// hole; the log pages through `events_since`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_a_numbered_event_without_gaps() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, _) = app.patch(&format!("{c}/practitioners/{}", seed.doctors[0]), json!({ "name": "Dr. Renamed" })).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.patch(&format!("{c}/services/{}", seed.consult), json!({ "name": "Consultation" })).await;
    assert_eq!(s, StatusCode::OK);
    let free = slots(&app, &seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;
    let (s, a) = app.post(&format!("{c}/appointments"), booking(&free[0], "Seq One")).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    // Refused (the slot is taken): no event, and no hole.
    let (s, _) = app.post(&format!("{c}/appointments"), booking(&free[0], "Seq Two")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let id = a["id"].as_str().unwrap();
    let (s, _) = app.post(&format!("{c}/appointments/{id}/cancel"), json!({ "reason": "test" })).await;
    assert_eq!(s, StatusCode::OK);

    let events = all_events(&app.store, clinic_id(&seed)).await;
    assert_gap_free(&events);
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    for k in [
        EventKind::ClinicChanged,
        EventKind::LocationChanged,
        EventKind::PractitionerChanged,
        EventKind::ServiceChanged,
        EventKind::ScheduleChanged,
        EventKind::AppointmentBooked,
        EventKind::AppointmentCancelled,
    ] {
        assert!(kinds.contains(&k), "{k} is emitted: {kinds:?}");
    }
    let practitioner_changes = events
        .iter()
        .filter(|e| e.kind == EventKind::PractitionerChanged)
        .filter(|e| e.subjects.practitioner.map(|p| p.to_string()) == Some(seed.doctors[0].clone()))
        .count();
    assert_eq!(practitioner_changes, 2, "created and renamed");
    let booked = events.iter().find(|e| e.kind == EventKind::AppointmentBooked).unwrap();
    assert_eq!(booked.subjects.appointment.unwrap().to_string(), id);
    // Replay from the middle.
    let tail = app.store.events_since(clinic_id(&seed), booked.seq, 100).await.unwrap();
    assert_eq!(tail.first().map(|e| e.seq), Some(booked.seq + 1));
    assert_eq!(tail.first().map(|e| e.kind), Some(EventKind::AppointmentCancelled));
    app.stop().await;
}

/// A client that LISTENs on the relay channel the way any database role may.
async fn raw_listener(db_url: &str) -> Option<sqlx::postgres::PgListener> {
    if !db_url.starts_with("postgres") {
        return None;
    }
    let mut l = sqlx::postgres::PgListener::connect(db_url).await.unwrap();
    l.listen("nobat_events").await.unwrap();
    Some(l)
}

/// Holds, bookings with a phone and an email, released holds and verification codes: what the
/// in-process broadcast and `pg_notify` carry holds no code, phone, email or hold id. The
/// code is in the dispatcher's outbox message, and only there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_broadcast_or_pg_notify() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let mut local = app.store.subscribe();
    let mut listener = raw_listener(&app.db_url).await;
    let u = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let phone = "+989127770011".to_owned();
    let email = format!("secret-{u}@example.org");
    let mut secrets: Vec<String> = vec![phone.clone(), "9127770011".into(), email.clone()];

    let free = slots(&app, &seed, &seed.consult, &day(3), Some(&seed.doctors[0])).await;
    // A hold, released; a hold converted into a booking.
    for (i, slot) in free.iter().take(2).enumerate() {
        let body = json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"] });
        let (s, hold) = app.post(&format!("{c}/holds"), body).await;
        assert_eq!(s, StatusCode::CREATED, "{hold}");
        let hold_id = hold["id"].as_str().unwrap().to_owned();
        secrets.push(hold_id.clone());
        if i == 0 {
            let (s, _) = app.delete(&format!("{c}/holds/{hold_id}")).await;
            assert!(s.is_success(), "{s}");
        } else {
            let mut b = booking(slot, "Secretive Patient");
            b["patient"] = json!({ "name": "Secretive Patient", "phone": phone, "email": email });
            b["hold"] = json!(hold_id);
            let (s, a) = app.post(&format!("{c}/appointments"), b).await;
            assert_eq!(s, StatusCode::CREATED, "{a}");
        }
    }
    // Codes by SMS and by email.
    for contact in [json!({ "phone": phone }), json!({ "email": email })] {
        let (s, v) =
            decode(app.anon.post(format!("{}{c}/verifications", app.api)).json(&contact).send().await.unwrap()).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        secrets.push(v["id"].as_str().unwrap().to_owned());
    }
    let db = app.db().await;
    let messages: Vec<(String,)> = sqlx::query_as("SELECT payload FROM outbox WHERE topic = 'verification.requested'")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(messages.len(), 2, "both codes are in the dispatcher's messages");
    for (m,) in &messages {
        let m: Value = serde_json::from_str(m).unwrap();
        let code = m["code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 6);
        secrets.push(format!("\"{code}\""));
    }

    // Everything broadcast in process, as serialized (what a stream or the relay would send).
    let mut seen = Vec::new();
    let mut kinds = HashSet::new();
    while let Ok(Ok(e)) = tokio::time::timeout(Duration::from_millis(300), local.recv()).await {
        kinds.insert(e.kind);
        seen.push(serde_json::to_string(&e).unwrap());
    }
    for k in [
        EventKind::HoldCreated,
        EventKind::HoldReleased,
        EventKind::AppointmentBooked,
        EventKind::VerificationRequested,
    ] {
        assert!(kinds.contains(&k), "{k} was broadcast: {kinds:?}");
    }
    // And stored (what `events_since` and the SSE stream replay).
    for e in all_events(&app.store, clinic_id(&seed)).await {
        seen.push(serde_json::to_string(&e).unwrap());
    }
    let mut notified = 0;
    if let Some(l) = listener.as_mut() {
        while let Ok(Ok(Some(n))) = tokio::time::timeout(Duration::from_millis(500), l.try_recv()).await {
            notified += 1;
            seen.push(n.payload().to_owned());
        }
        assert!(notified > 0, "the relay notified something");
    }
    for payload in &seen {
        for s in &secrets {
            assert!(!payload.contains(s.as_str()), "{s} leaked into {payload}");
        }
    }
    app.stop().await;
}

/// Books a slot for `name`; returns the appointment id.
async fn book(app: &TestApp, seed: &Seed, slot: &Value, name: &str) -> String {
    let (s, a) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, name)).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a["id"].as_str().unwrap().to_owned()
}

fn about(item: &OutboxItem) -> String {
    item.payload["previous"].as_str().or(item.payload["appointment"].as_str()).unwrap_or_default().to_owned()
}

/// Consumers are independent (one completing empties nothing for the others), each gets only
/// the kinds it wants, never message n+1 about an appointment while n is pending, and a
/// delivery that keeps failing is dead-lettered with its last error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_are_independent_ordered_per_appointment_and_dead_letter() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let lease = SignedDuration::from_secs(60);
    let free = slots(&app, &seed, &seed.consult, &day(4), Some(&seed.doctors[0])).await;
    let first = book(&app, &seed, &free[0], "Order One").await;
    let second = book(&app, &seed, &free[1], "Order Two").await;
    let (s, _) = app.post(&format!("{c}/appointments/{first}/cancel"), json!({ "reason": "x" })).await;
    assert_eq!(s, StatusCode::OK);

    // The dispatcher: both bookings, but not yet the cancellation of the first (its booking
    // message is still leased).
    let got = claim(&app.store, "dispatcher", 100, lease).await;
    let topics: Vec<(String, String)> = got.iter().map(|i| (i.topic.clone(), about(i))).collect();
    assert_eq!(
        topics,
        vec![("appointment.booked".to_owned(), first.clone()), ("appointment.booked".to_owned(), second.clone())],
        "one message per appointment at a time"
    );
    assert!(claim(&app.store, "dispatcher", 100, lease).await.is_empty());
    assert_eq!(complete(&app.store, &got).await, 2);
    assert_eq!(complete(&app.store, &got).await, 0, "a delivery completes once");
    let next = claim(&app.store, "dispatcher", 100, lease).await;
    assert_eq!(next.len(), 1);
    assert_eq!((next[0].topic.as_str(), about(&next[0])), ("appointment.cancelled", first.clone()));
    assert!(next[0].seq > got[0].seq);
    complete(&app.store, &next).await;

    // The dispatcher is done; the webhooks consumer still has all three, in order.
    let mut hooks = Vec::new();
    loop {
        let batch = claim(&app.store, "webhooks", 100, lease).await;
        if batch.is_empty() {
            break;
        }
        complete(&app.store, &batch).await;
        hooks.extend(batch);
    }
    assert_eq!(hooks.len(), 3, "{hooks:?}");
    // The watch matcher (it runs in the app) wants cancellations (time freed), not bookings.
    let db = app.db().await;
    let watch_topics = |db: sqlx::AnyPool| async move {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT topic FROM outbox_deliveries WHERE consumer = 'watches'")
            .fetch_all(&db)
            .await
            .unwrap();
        rows.into_iter().map(|(t,)| t).collect::<Vec<_>>()
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut topics = watch_topics(db.clone()).await;
    while !topics.iter().any(|t| t == "appointment.cancelled") && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        topics = watch_topics(db.clone()).await;
    }
    assert!(topics.iter().all(|t| t != "appointment.booked"), "{topics:?}");
    assert!(topics.iter().any(|t| t == "appointment.cancelled"), "{topics:?}");

    // A delivery that keeps failing: retried with backoff, then dead with its last error. The
    // webhooks consumer has no endpoint to deliver to, so its worker leaves it to us.
    let third = book(&app, &seed, &free[2], "Order Three").await;
    let mut item = {
        let mut tries = 0;
        loop {
            let batch = claim(&app.store, "webhooks", 100, lease).await;
            if let Some(i) = batch.into_iter().find(|i| about(i) == third) {
                break i;
            }
            tries += 1;
            assert!(tries < 100, "the third booking never reached the webhooks consumer");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    loop {
        let r = app
            .store
            .execute(Command::RetryOutbox {
                item: item.clone(),
                after: Some(SignedDuration::ZERO),
                error: format!("attempt {}", item.attempts),
            })
            .await
            .unwrap();
        assert!(matches!(r, Output::Done));
        let again = claim(&app.store, "webhooks", 100, lease).await;
        match again.into_iter().find(|i| i.id == item.id) {
            Some(i) => item = i,
            None => break,
        }
    }
    assert_eq!(item.attempts, 10, "the webhooks consumer's attempt cap");
    let (status, error): (String, String) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, last_error FROM outbox_deliveries WHERE message_id = '{}' AND consumer = 'webhooks'",
        item.id
    )))
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), error.as_str()), ("dead", "attempt 10"));
    // An unknown consumer is refused, not silently empty.
    let unknown = app.store.execute(Command::ClaimOutbox { consumer: "nobody".into(), limit: 1, lease }).await;
    assert!(unknown.is_err());
    app.stop().await;
}

/// Retention deletes finished deliveries and old events in bounded batches, and keeps what a
/// consumer has not taken yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_finished_rows_in_batches() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let free = slots(&app, &seed, &seed.consult, &day(5), Some(&seed.doctors[0])).await;
    for (i, s) in free.iter().take(4).enumerate() {
        book(&app, &seed, s, &format!("Prune {i}")).await;
    }
    let lease = SignedDuration::from_secs(60);
    let got = claim(&app.store, "dispatcher", 100, lease).await;
    assert_eq!(got.len(), 4);
    complete(&app.store, &got).await;
    let db = app.db().await;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query_as::<_, (i64,)>(sql).fetch_one(&db).await.unwrap().0 }
    };
    let prune = |batch: u32| {
        let store = app.store.clone();
        async move {
            let mut rounds = 0;
            loop {
                let r = store.execute(Command::PruneEvents { keep: SignedDuration::ZERO, batch }).await.unwrap();
                let Output::Count(n) = r else { panic!() };
                assert!(n <= 6 * u64::from(batch), "at most a batch of each kind per round: {n}");
                if n == 0 {
                    return rounds;
                }
                rounds += 1;
            }
        }
    };
    let events_before = count("SELECT COUNT(*) FROM events").await;
    assert!(events_before > 4);
    // The watch matcher runs in the app and finishes deliveries of its own (the seeding's new
    // hours): let it catch up, then count what is finished.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let behind = count(
            "SELECT COUNT(*) FROM event_heads h LEFT JOIN outbox_cursors k ON k.clinic_id = h.clinic_id \
             AND k.consumer = 'watches' WHERE k.last_seq IS NULL OR k.last_seq < h.last_seq",
        )
        .await
            + count("SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'pending'").await;
        if behind == 0 {
            break;
        }
        assert!(std::time::Instant::now() < until, "the watch matcher never caught up");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let finished = count("SELECT COUNT(*) FROM outbox_deliveries").await;
    assert!(finished >= 4, "{finished}");
    // Delivered rows go; the log stays while a consumer (webhooks, which has not run) may
    // still want it.
    assert_eq!(prune(2).await, (finished + 1) / 2, "{finished} delivered rows, 2 per round");
    assert_eq!(count("SELECT COUNT(*) FROM outbox_deliveries").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM events").await, events_before);
    let hooks = claim(&app.store, "webhooks", 100, lease).await;
    assert_eq!(hooks.len(), 4, "the other consumer still gets everything");
    complete(&app.store, &hooks).await;
    // Once every consumer would find them stale, events go too, a batch at a time.
    sqlx::query("UPDATE events SET at_us = at_us - 400000000000").execute(&db).await.unwrap();
    assert!(prune(2).await > 2, "bounded batches");
    assert_eq!(count("SELECT COUNT(*) FROM events").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM outbox_deliveries").await, 0);
    // Numbering continues after the log was pruned.
    book(&app, &seed, &free[5], "After prune").await;
    let tail = app.store.events_since(clinic_id(&seed), 0, 10).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].seq, events_before + 1);
    // The background sweep runs the same pruning (with a week's keep) without failing.
    app.store.execute(Command::RetentionSweep).await.unwrap();
    app.stop().await;
}

/// Reads a live SSE response until `want` events have arrived (or a few seconds pass);
/// returns (id, event kind) pairs.
async fn read_sse(res: &mut reqwest::Response, want: usize, buf: &mut String) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        // Complete messages end with a blank line.
        while let Some(end) = buf.find("\n\n") {
            let msg: String = buf.drain(..end + 2).collect();
            let field = |name: &str| msg.lines().find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()));
            if let (Some(id), Some(kind)) = (field("id:"), field("event:")) {
                let data: Value = serde_json::from_str(&field("data:").unwrap()).unwrap();
                assert_eq!(data["seq"].as_i64(), Some(id.parse().unwrap()));
                out.push((id.parse().unwrap(), kind));
            }
        }
        if out.len() >= want {
            return out;
        }
        match tokio::time::timeout_at(deadline, res.chunk()).await {
            Ok(Ok(Some(chunk))) => buf.push_str(&String::from_utf8_lossy(&chunk)),
            _ => return out,
        }
    }
}

/// The staff stream replays from `Last-Event-ID` (or `?after=`) out of the database, then
/// follows live events with consecutive ids; a bad cursor is a 422 naming it; guests get 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_resumes_from_last_event_id_and_follows_live() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let free = slots(&app, &seed, &seed.consult, &day(3), Some(&seed.doctors[1])).await;
    book(&app, &seed, &free[0], "Stream One").await;
    let head = all_events(&app.store, clinic_id(&seed)).await.len() as i64;
    let url = format!("{}/clinics/{}/events", app.api, seed.slug);

    let mut res = app.client.get(&url).header("Last-Event-ID", "2").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut buf = String::new();
    let replayed = read_sse(&mut res, (head - 2) as usize, &mut buf).await;
    assert_eq!(replayed.iter().map(|(id, _)| *id).collect::<Vec<_>>(), (3..=head).collect::<Vec<_>>());
    assert_eq!(replayed.last().unwrap().1, "appointment.booked");
    // Live from here: the next change arrives with the next id.
    let second = book(&app, &seed, &free[1], "Stream Two").await;
    let live = read_sse(&mut res, 1, &mut buf).await;
    assert_eq!(live, vec![(head + 1, "appointment.booked".to_owned())]);
    drop(res);
    let _ = second;

    // Without a cursor: only what happens from now on.
    let mut res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (s, _) = app.post(&format!("/clinics/{}/appointments/{second}/cancel", seed.slug), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let mut buf = String::new();
    let live = read_sse(&mut res, 1, &mut buf).await;
    assert_eq!(live, vec![(head + 2, "appointment.cancelled".to_owned())]);
    drop(res);

    // `?after=` works the same way.
    let mut res = app.client.get(format!("{url}?after={head}")).send().await.unwrap();
    let mut buf = String::new();
    let got = read_sse(&mut res, 2, &mut buf).await;
    assert_eq!(got.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![head + 1, head + 2]);
    drop(res);

    let (s, p) = decode(app.client.get(format!("{url}?after=yesterday")).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p.to_string().contains("after"), "{p}");
    let (s, _) = decode(app.anon.get(&url).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

/// A graceful shutdown does not wait for live streams: they end when it begins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_event_streams() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let url = format!("{}/clinics/{}/events?after=0", app.api, seed.slug);
    let mut res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut buf = String::new();
    assert!(!read_sse(&mut res, 1, &mut buf).await.is_empty());
    let stopped = tokio::time::timeout(Duration::from_secs(10), app.stop()).await;
    assert!(stopped.is_ok(), "the server stopped with a stream open");
    // The stream itself ended.
    let end =
        tokio::time::timeout(Duration::from_secs(5), async { while let Ok(Some(_)) = res.chunk().await {} }).await;
    assert!(end.is_ok(), "the stream was closed");
}
