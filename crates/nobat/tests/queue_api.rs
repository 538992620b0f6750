//! The day-of queue's API contract (issue 11), on both engines: check-in, walk-ins, call
//! order, call next, every ticket action and its refusals, the board that never shows a
//! name, the patient's own view by token, absent → grace → no-show, closing the day.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Books `n` consecutive consult slots with Dr. A today (tomorrow when today has none left)
/// for patients named `Patient <i>`; returns the appointment ids in time order.
async fn book(app: &TestApp, seed: &Seed, n: usize) -> Vec<String> {
    let doctor = seed.doctors[0].clone();
    let mut free = slots(app, seed, &seed.consult, &day(0), Some(&doctor)).await;
    if free.len() < n {
        free = slots(app, seed, &seed.consult, &day(1), Some(&doctor)).await;
    }
    let mut ids = Vec::new();
    for (i, slot) in free.iter().take(n).enumerate() {
        let (s, a) =
            app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, &format!("Patient {i}"))).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn check_in(app: &TestApp, seed: &Seed, appointment: &str) -> Value {
    let (s, t) = app.post(&format!("/clinics/{}/appointments/{appointment}/check-in", seed.slug), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["ticket"].clone()
}

async fn walk_in(app: &TestApp, seed: &Seed, queue: &str, name: &str) -> Value {
    let (s, t) = app
        .post(
            &format!("/clinics/{}/queues/{queue}/tickets", seed.slug),
            json!({ "patient": { "name": name, "phone": "+212600000001" } }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["ticket"].clone()
}

async fn act(app: &TestApp, seed: &Seed, ticket: &str, action: &str, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/clinics/{}/tickets/{ticket}/{action}", seed.slug), body).await
}

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

fn codes(tickets: &Value) -> Vec<String> {
    tickets.as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn check_in_walk_in_call_next_and_the_board() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let appts = book(&app, &seed, 3).await;

    // Checked in out of appointment order: the line is still in appointment order.
    let t2 = check_in(&app, &seed, &appts[2]).await;
    let t0 = check_in(&app, &seed, &appts[0]).await;
    let t1 = check_in(&app, &seed, &appts[1]).await;
    assert_eq!(t2["code"], "A-001");
    assert_eq!(t0["code"], "A-002");
    assert_eq!(t2["status"], "waiting");
    assert_eq!(t0["appointment"], appts[0].as_str());
    assert!(t0["token"].as_str().unwrap().len() >= 40, "an unguessable token: {t0}");
    assert!(t0["created_at"].as_str().unwrap().ends_with("+03:30"), "the location's offset: {t0}");
    let queue = t0["queue"].as_str().unwrap().to_owned();

    // Twice → 409.
    let (s, p) = app.post(&format!("{c}/appointments/{}/check-in", appts[0]), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "urn:nobat:problem:already-checked-in");
    // The appointment is arrived.
    let (_, a) = app.get(&format!("{c}/appointments/{}", appts[0])).await;
    assert_eq!(a["status"], "arrived", "{a}");

    // A walk-in goes after two booked (the default rule).
    let w = walk_in(&app, &seed, &queue, "Walk In Wafa").await;
    let (s, detail) = app.get(&format!("{c}/queues/{queue}")).await;
    assert_eq!(s, StatusCode::OK, "{detail}");
    assert_eq!(codes(&detail["tickets"]), vec!["A-002", "A-003", "A-004", "A-001"], "{detail}");
    let positions: Vec<u64> =
        detail["tickets"].as_array().unwrap().iter().map(|t| t["position"].as_u64().unwrap()).collect();
    assert_eq!(positions, vec![1, 2, 3, 4]);
    assert_eq!(detail["tickets"][0]["patient_name"], "Patient 0");
    assert!(detail["tickets"][1]["estimate"]["p50"].is_string(), "{detail}");
    assert_eq!(w["code"], "A-004");

    // The day's queues.
    let (s, list) = app
        .get(&format!("{c}/queues?date={}&location={}", detail["queue"]["date"].as_str().unwrap(), seed.tehran))
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["queues"][0]["id"], queue.as_str());
    assert_eq!(list["queues"][0]["waiting"], 4);
    assert_eq!(list["queues"][0]["practitioner"], seed.doctors[0].as_str());
    assert_eq!(list["queues"][0]["code_prefix"], "A");

    // Call next: the head, to room 3.
    let (s, called) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "Room 3" })).await;
    assert_eq!(s, StatusCode::OK, "{called}");
    assert_eq!(called["ticket"]["code"], "A-002");
    assert_eq!(called["ticket"]["status"], "called");
    assert_eq!(called["ticket"]["desk"], "Room 3");
    assert!(called["ticket"]["called_at"].is_string());

    // The board: codes and desks, never names or phones.
    let (s, board) =
        decode(app.anon.get(format!("{}{c}/locations/{}/board", app.api, seed.tehran)).send().await.unwrap()).await;
    if detail["queue"]["date"] == day(0).as_str() {
        assert_eq!(s, StatusCode::OK, "{board}");
        assert_eq!(board["queues"][0]["called"][0]["code"], "A-002", "{board}");
        assert_eq!(board["queues"][0]["called"][0]["desk"], "Room 3");
        assert_eq!(board["queues"][0]["next"], json!(["A-003", "A-004", "A-001"]));
    }
    let text = board.to_string();
    for secret in ["Patient", "Wafa", "+98912", "+212600", "patient"] {
        assert!(!text.contains(secret), "the board leaks {secret}: {text}");
    }

    // The patient's own view, by token, without signing in.
    let token = t0["token"].as_str().unwrap();
    let (s, mine) = decode(app.anon.get(format!("{}/tickets/{token}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(mine["called_to"], "Room 3");
    assert!(mine["ticket"].get("patient_name").is_none(), "{mine}");
    let (s, mine1) =
        decode(app.anon.get(format!("{}/tickets/{}", app.api, t1["token"].as_str().unwrap())).send().await.unwrap())
            .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((mine1["ahead"].as_u64(), mine1["ticket"]["position"].as_u64()), (Some(0), Some(1)), "{mine1}");
    let forged = format!("{}x", &token[..token.len() - 1]);
    let (s, _) = decode(app.anon.get(format!("{}/tickets/{forged}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Serve and finish: the appointment is fulfilled; the ticket's hops are recorded.
    let id0 = t0["id"].as_str().unwrap();
    let (s, v) = act(&app, &seed, id0, "start", json!({})).await;
    assert_eq!((s, v["ticket"]["status"].as_str()), (StatusCode::OK, Some("in_service")), "{v}");
    let (s, v) = act(&app, &seed, id0, "finish", json!({})).await;
    assert_eq!((s, v["ticket"]["status"].as_str()), (StatusCode::OK, Some("done")), "{v}");
    let (_, a) = app.get(&format!("{c}/appointments/{}", appts[0])).await;
    assert_eq!(a["status"], "fulfilled", "{a}");
    let hops = app.store.ticket_hops(seed.clinic.parse().unwrap(), id0.parse().unwrap()).await.unwrap();
    let states: Vec<&str> = hops.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(states, vec!["waiting", "called", "in_service", "done"]);
    assert!(hops[..3].iter().all(|h| h.3.is_some_and(|end| end >= h.2)), "every hop but the last has ended: {hops:?}");

    // The hour's snapshot counts the call and the service.
    let db = app.db().await;
    let (called, served): (i64, i64) =
        sqlx::query_as("SELECT called, served FROM queue_snapshots WHERE queue_id = $1 ORDER BY hour_us DESC LIMIT 1")
            .bind(&queue)
            .fetch_one(&db)
            .await
            .unwrap();
    db.close().await;
    assert_eq!((called, served), (1, 1));

    // A state that forbids the action: 409 naming the state.
    let (s, p) = act(&app, &seed, id0, "recall", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "urn:nobat:problem:ticket-state");
    assert!(p["detail"].as_str().unwrap().contains("done"), "{p}");
    let (s, p) = act(&app, &seed, t1["id"].as_str().unwrap(), "absent", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a waiting ticket cannot be absent: {p}");
    assert!(p["detail"].as_str().unwrap().contains("waiting"), "{p}");

    // Emergency needs a reason (422 naming it), then goes first, audited.
    let wid = w["id"].as_str().unwrap();
    let (s, p) = act(&app, &seed, wid, "emergency", json!({})).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{p}");
    let (s, v) = act(&app, &seed, wid, "emergency", json!({ "reason": "chest pain" })).await;
    assert_eq!((s, v["ticket"]["position"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    let (_, audit) = app.get(&format!("{c}/audit?entity=ticket")).await;
    assert!(audit.to_string().contains("chest pain"), "the reason is in the audit trail: {audit}");

    // Reorder: position and reason.
    let (s, p) = act(&app, &seed, wid, "reorder", json!({ "reason": "x" })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("position")), "{p}");
    let (s, v) = act(&app, &seed, wid, "reorder", json!({ "position": 3, "reason": "asked to wait" })).await;
    assert_eq!((s, v["ticket"]["position"].as_u64()), (StatusCode::OK, Some(3)), "{v}");

    // Call everyone; then nobody is waiting: 409 queue-empty.
    for desk in ["1", "2", "3"] {
        let (s, v) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": desk })).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, p) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "4" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "urn:nobat:problem:queue-empty");

    // Leave, and closing the day gives the rest a final status.
    let (s, v) = act(&app, &seed, t1["id"].as_str().unwrap(), "leave", json!({})).await;
    assert_eq!((s, v["ticket"]["status"].as_str()), (StatusCode::OK, Some("left")), "{v}");
    let (s, v) = act(&app, &seed, t2["id"].as_str().unwrap(), "start", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, closed) = app.post(&format!("{c}/queues/{queue}/close"), json!({})).await;
    assert_eq!((s, closed["closed"].as_bool()), (StatusCode::OK, Some(true)), "{closed}");
    let (_, detail) = app.get(&format!("{c}/queues/{queue}")).await;
    for t in detail["tickets"].as_array().unwrap() {
        assert!(["done", "left", "no_show", "transferred"].contains(&t["status"].as_str().unwrap()), "{t}");
    }
    let (_, a) = app.get(&format!("{c}/appointments/{}", appts[2])).await;
    assert_eq!(a["status"], "fulfilled", "in service at closing: seen: {a}");
    let (s, p) = app.post(&format!("{c}/queues/{queue}/tickets"), json!({ "patient": { "name": "Late" } })).await;
    assert_eq!(s, StatusCode::CONFLICT, "a closed day takes no walk-in: {p}");
    app.stop().await;
}

#[tokio::test]
async fn absent_past_the_grace_period_is_a_no_show_and_the_appointment_noshow() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    // The clinic's grace period: none.
    let (s, v) = put(&app, &format!("{c}/queue-settings"), json!({ "grace_min": 0, "walk_in_every": 2 })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = put(&app, &format!("{c}/queue-settings"), json!({ "grace_min": 999, "walk_in_every": 2 })).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("grace_min")), "{v}");
    let (_, v) = app.get(&format!("{c}/queue-settings")).await;
    assert_eq!(
        v,
        json!({ "grace_min": 0, "walk_in_every": 2, "remote_join": false, "remote_cap": 30, "close_after_min": 60 })
    );
    let appts = book(&app, &seed, 2).await;
    let t = check_in(&app, &seed, &appts[0]).await;
    let kept = check_in(&app, &seed, &appts[1]).await;
    let queue = t["queue"].as_str().unwrap();
    let (s, v) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "Room 1" })).await;
    assert_eq!((s, v["ticket"]["id"].as_str()), (StatusCode::OK, t["id"].as_str()), "{v}");
    let (s, v) = act(&app, &seed, t["id"].as_str().unwrap(), "absent", json!({})).await;
    // With no grace at all the timer may already have run when the answer is read.
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(["absent", "no_show"].contains(&v["ticket"]["status"].as_str().unwrap()), "{v}");
    let mut status = String::new();
    for _ in 0..100 {
        let (_, d) = app.get(&format!("{c}/queues/{queue}")).await;
        let mine = d["tickets"].as_array().unwrap().iter().find(|x| x["id"] == t["id"]).unwrap().clone();
        status = mine["status"].as_str().unwrap().to_owned();
        if status == "no_show" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "no_show", "the grace timer ran");
    let (_, a) = app.get(&format!("{c}/appointments/{}", appts[0])).await;
    assert_eq!(a["status"], "noshow", "{a}");
    // Too late to come back.
    let (s, p) = act(&app, &seed, t["id"].as_str().unwrap(), "return", json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    // The other patient was not touched.
    let (_, a) = app.get(&format!("{c}/appointments/{}", appts[1])).await;
    assert_eq!(a["status"], "arrived", "{a}");
    assert_eq!(kept["status"], "waiting");
    app.stop().await;
}

#[tokio::test]
async fn a_late_return_is_reinserted_behind_the_next_two_and_the_timer_leaves_it_alone() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let appts = book(&app, &seed, 1).await;
    let t = check_in(&app, &seed, &appts[0]).await;
    let queue = t["queue"].as_str().unwrap().to_owned();
    for i in 0..4 {
        walk_in(&app, &seed, &queue, &format!("W{i}")).await;
    }
    let (s, v) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "2" })).await;
    assert_eq!((s, v["ticket"]["id"].as_str()), (StatusCode::OK, t["id"].as_str()), "{v}");
    let id = t["id"].as_str().unwrap();
    let (s, _) = act(&app, &seed, id, "absent", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = act(&app, &seed, id, "return", json!({})).await;
    assert_eq!((s, v["ticket"]["status"].as_str()), (StatusCode::OK, Some("waiting")), "{v}");
    assert_eq!(v["ticket"]["position"], 3, "behind the next two: {v}");
    let db = app.db().await;
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'queue.grace'").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0, "the grace timer went with the return");
    db.close().await;
    // Transfer to another queue: the old ticket is transferred, the new one waits there.
    let (s, other) =
        app.post(&format!("{c}/queues"), json!({ "location": seed.tehran, "practitioner": seed.doctors[1] })).await;
    assert_eq!(s, StatusCode::OK, "{other}");
    let (s, moved) = act(&app, &seed, id, "transfer", json!({ "queue": other["id"] })).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["ticket"]["queue"], other["id"]);
    assert_eq!(moved["ticket"]["status"], "waiting");
    let (_, d) = app.get(&format!("{c}/queues/{queue}")).await;
    let old = d["tickets"].as_array().unwrap().iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(old["status"], "transferred");
    app.stop().await;
}

#[tokio::test]
async fn the_demo_has_living_waiting_rooms_today_once() {
    let app = spawn_app().await;
    nobat::demo::ensure(&app.store, app.dir.path()).await.unwrap();
    nobat::demo_queue::today(&app.store).await.unwrap();
    let ctx = app.store.clinic_context(nobat::demo::SLUG).await.unwrap();
    let mut counts = Vec::new();
    for l in &ctx.locations {
        let tz = nobat_core::zones::get(&l.time_zone).unwrap();
        let date = jiff::Timestamp::now().to_zoned(tz).date();
        let queues = app.store.queues(ctx.clinic.id, date, Some(l.id)).await.unwrap();
        let waiting: u32 = queues.iter().map(|q| q.waiting).sum();
        let called: u32 = queues.iter().map(|q| q.called).sum();
        assert!(waiting >= 2 && called == 1, "{}: {queues:?}", l.name);
        let (s, board) =
            decode(app.anon.get(format!("{}/clinics/demo/locations/{}/board", app.api, l.id)).send().await.unwrap())
                .await;
        assert_eq!(s, StatusCode::OK);
        assert!(board.to_string().contains("Desk 1"), "{board}");
        counts.push((queues.len(), waiting));
    }
    // A restart leaves today's waiting rooms as they are.
    nobat::demo_queue::today(&app.store).await.unwrap();
    for (l, before) in ctx.locations.iter().zip(&counts) {
        let tz = nobat_core::zones::get(&l.time_zone).unwrap();
        let date = jiff::Timestamp::now().to_zoned(tz).date();
        let queues = app.store.queues(ctx.clinic.id, date, Some(l.id)).await.unwrap();
        assert_eq!((queues.len(), queues.iter().map(|q| q.waiting).sum::<u32>()), *before);
    }
    app.stop().await;
}

/// A practitioner (linked to Dr. A) runs Dr. A's queue and the location's general one, not
/// Dr. B's; a receptionist runs them all.
#[tokio::test]
async fn a_practitioner_calls_from_their_own_queue_only() {
    use nobat_core::access::Role;
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let doctor_a = member(&app, &seed, Role::Practitioner, Some(&seed.doctors[0])).await;
    let reception = member(&app, &seed, Role::Receptionist, None).await;
    let mut queues = Vec::new();
    for body in [
        json!({ "location": seed.tehran, "practitioner": seed.doctors[0] }),
        json!({ "location": seed.tehran, "practitioner": seed.doctors[1] }),
        json!({ "location": seed.tehran }),
    ] {
        let (s, q) = app.post(&format!("{c}/queues"), body).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        let id = q["id"].as_str().unwrap().to_owned();
        walk_in(&app, &seed, &id, "Someone").await;
        walk_in(&app, &seed, &id, "Someone Else").await;
        queues.push(id);
    }
    let call = |client: &reqwest::Client, queue: &str| {
        let url = format!("{}{c}/queues/{queue}/call-next", app.api);
        let req = client.post(url).json(&json!({ "desk": "Room 1" }));
        async move { decode(req.send().await.unwrap()).await }
    };
    assert_eq!(call(&doctor_a, &queues[0]).await.0, StatusCode::OK, "own queue");
    let (s, p) = call(&doctor_a, &queues[1]).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::FORBIDDEN, Some("urn:nobat:problem:forbidden")), "{p}");
    assert_eq!(call(&doctor_a, &queues[2]).await.0, StatusCode::OK, "the general queue");
    assert_eq!(call(&reception, &queues[1]).await.0, StatusCode::OK, "reception runs every queue");
    app.stop().await;
}
