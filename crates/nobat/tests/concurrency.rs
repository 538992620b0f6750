//! Invariant 1 under attack: no practitioner ever has more time-occupying appointments
//! overlapping an instant than the service capacity allows — checked from the database itself.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use futures::future::join_all;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::AnyPool;
use std::collections::HashMap;

/// Reads every time-occupying appointment and checks the invariant: overlapping blocks of one
/// practitioner must belong to the same group session, and a session never exceeds capacity.
async fn assert_no_overbooking(db: &AnyPool) -> usize {
    let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT practitioner_id, service_id, start_us, block_start_us, block_end_us, capacity \
         FROM appointments WHERE occupies = 1 ORDER BY practitioner_id, block_start_us",
    )
    .fetch_all(db)
    .await
    .unwrap();
    for (i, a) in rows.iter().enumerate() {
        for b in rows[i + 1..].iter().take_while(|b| b.0 == a.0) {
            let overlap = b.3 < a.4 && a.3 < b.4;
            if overlap {
                let same_session = a.1 == b.1 && a.2 == b.2 && a.5 > 1;
                assert!(same_session, "overlapping appointments of one practitioner: {a:?} and {b:?}");
            }
        }
    }
    let mut sessions: HashMap<(String, String, i64), (i64, i64)> = HashMap::new();
    for r in &rows {
        let e = sessions.entry((r.0.clone(), r.1.clone(), r.2)).or_insert((0, r.5));
        e.0 += 1;
    }
    for (k, (n, cap)) in sessions {
        assert!(n <= cap, "session {k:?} has {n} appointments for capacity {cap}");
    }
    rows.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_booking_attack_sells_exactly_the_capacity() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let date = day(2);
    let consult = slots(&app, &seed, &seed.consult, &date, Some(&seed.doctors[0])).await;
    let group = slots(&app, &seed, &seed.group, &date, Some(&seed.doctors[1])).await;
    // Three capacity-1 slots and two capacity-3 group slots: 3 + 6 = 9 places in all.
    let targets: Vec<Value> =
        vec![consult[1].clone(), consult[2].clone(), consult[9].clone(), group[3].clone(), group[10].clone()];
    let url = format!("{}/clinics/{}/appointments", app.api, seed.slug);
    let requests = (0..250).map(|i| {
        let body = booking(&targets[i % targets.len()], &format!("Patient {i}"));
        let (client, url) = (app.client.clone(), url.clone());
        async move { decode(client.post(url).json(&body).send().await.unwrap()).await }
    });
    let results = join_all(requests).await;
    let created = results.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    let conflicts = results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).count();
    assert_eq!(created, 9, "exactly the capacity is sold");
    assert_eq!(
        conflicts,
        250 - 9,
        "every loser gets 409: {:?}",
        results.iter().find(|(s, _)| *s != StatusCode::CREATED && *s != StatusCode::CONFLICT)
    );
    let db = app.db().await;
    assert_eq!(assert_no_overbooking(&db).await, 9);
    // Every winner's answer is in the database.
    for (_, body) in results.iter().filter(|(s, _)| *s == StatusCode::CREATED) {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments WHERE id = $1")
            .bind(body["id"].as_str().unwrap())
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_idempotency_key_book_once() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let slot = slots(&app, &seed, &seed.consult, &day(3), None).await[5].clone();
    let url = format!("{}/clinics/{}/appointments", app.api, seed.slug);
    let body = booking(&slot, "Retry");
    let results =
        join_all((0..30).map(|_| {
            let (client, url, body) = (app.client.clone(), url.clone(), body.clone());
            async move {
                decode(client.post(url).header("Idempotency-Key", "same-key").json(&body).send().await.unwrap()).await
            }
        }))
        .await;
    assert!(results.iter().all(|(s, _)| *s == StatusCode::CREATED), "{results:?}");
    let first = &results[0].1;
    assert!(results.iter().all(|(_, b)| b == first), "every retry gets the same answer");
    let db = app.db().await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments").fetch_one(&db).await.unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_concurrent_book_cancel_reschedule_keeps_the_invariant() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let date = day(1);
    // A small pool of slots of both services for both doctors, on one crowded morning.
    let mut pool: Vec<Value> = Vec::new();
    for d in &seed.doctors {
        for svc in [&seed.consult, &seed.group] {
            pool.extend(slots(&app, &seed, svc, &date, Some(d)).await.into_iter().filter(|s| {
                let t = s["start"].as_str().unwrap();
                t.contains("T09:") || t.contains("T10:")
            }));
        }
    }
    assert!(pool.len() >= 12, "enough contested slots: {}", pool.len());
    let c = format!("/clinics/{}", seed.slug);
    let booked = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<String>::new()));
    let workers = (0..8u64).map(|w| {
        let (pool, booked, client, api, c) = (pool.clone(), booked.clone(), app.client.clone(), app.api.clone(), c.clone());
        async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(w);
            let mut seen = Vec::new();
            for i in 0..40 {
                let op = rng.random_range(0..10);
                let known = booked.lock().await.clone();
                let (status, body) = if op < 5 || known.is_empty() {
                    let slot = &pool[rng.random_range(0..pool.len())];
                    let res = client.post(format!("{api}{c}/appointments")).json(&booking(slot, &format!("W{w}-{i}"))).send().await.unwrap();
                    decode(res).await
                } else if op < 7 {
                    let id = &known[rng.random_range(0..known.len())];
                    let res = client
                        .post(format!("{api}{c}/appointments/{id}/cancel"))
                        .json(&json!({ "staff_override": true }))
                        .send()
                        .await
                        .unwrap();
                    decode(res).await
                } else {
                    let id = &known[rng.random_range(0..known.len())];
                    let slot = &pool[rng.random_range(0..pool.len())];
                    let res = client
                        .post(format!("{api}{c}/appointments/{id}/reschedule"))
                        .json(&json!({ "start": slot["start"], "practitioner": slot["practitioner"], "staff_override": true }))
                        .send()
                        .await
                        .unwrap();
                    decode(res).await
                };
                assert!(!status.is_server_error(), "{status}: {body}");
                if status == StatusCode::CREATED {
                    booked.lock().await.push(body["id"].as_str().unwrap().to_owned());
                }
                seen.push(status);
            }
            seen
        }
    });
    let statuses: Vec<StatusCode> = join_all(workers).await.into_iter().flatten().collect();
    assert!(statuses.contains(&StatusCode::CREATED) && statuses.contains(&StatusCode::CONFLICT), "the run contended");
    let db = app.db().await;
    assert_no_overbooking(&db).await;
    // Every reschedule is whole: an appointment pointing to a successor is cancelled and its
    // successor points back.
    let moved: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, status, rescheduled_to FROM appointments WHERE rescheduled_to IS NOT NULL")
            .fetch_all(&db)
            .await
            .unwrap();
    for (id, status, to) in moved {
        assert_eq!(status, "cancelled");
        let (from,): (String,) = sqlx::query_as("SELECT rescheduled_from FROM appointments WHERE id = $1")
            .bind(&to)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(from, id);
    }
    app.stop().await;
}
