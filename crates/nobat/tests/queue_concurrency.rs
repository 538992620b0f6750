//! "Call next" under pressure: desks pressing at the same instant never call one ticket twice
//! and never skip one; a double-clicked button calls one ticket; two server processes on one
//! PostgreSQL database keep both promises. Plus the live side: the staff stream resumes after
//! `Last-Event-ID`, and the public board stream pushes each change.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

/// Opens Dr. A's queue at Tehran today and adds `n` walk-ins; returns the queue id and the
/// ticket ids in call order.
async fn queue_with(client: &reqwest::Client, api: &str, seed: &Seed, n: usize) -> (String, Vec<String>) {
    let c = format!("{api}/clinics/{}", seed.slug);
    let res = client
        .post(format!("{c}/queues"))
        .json(&json!({ "location": seed.tehran, "practitioner": seed.doctors[0] }))
        .send();
    let (s, q) = decode(res.await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let queue = q["id"].as_str().unwrap().to_owned();
    for i in 0..n {
        let body = json!({ "patient": { "name": format!("Walk {i}") } });
        let (s, t) = decode(client.post(format!("{c}/queues/{queue}/tickets")).json(&body).send().await.unwrap()).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
    }
    let (_, d) = decode(client.get(format!("{c}/queues/{queue}")).send().await.unwrap()).await;
    let order = d["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    (queue, order)
}

/// Presses "call next" from `desks` desks at once, round after round, until the queue is
/// empty, spreading the requests over `apis`; checks nothing was called twice and nothing
/// skipped (after each round the called tickets are exactly the head of the line).
async fn storm(client: &reqwest::Client, apis: &[String], seed: &Seed, queue: &str, order: &[String], desks: usize) {
    let mut called: Vec<String> = Vec::new();
    let mut empty = 0;
    let mut round = 0;
    while called.len() < order.len() {
        round += 1;
        assert!(round < 1000, "the storm does not end");
        let answers = join_all((0..desks).map(|d| {
            let api = &apis[(round + d) % apis.len()];
            let url = format!("{api}/clinics/{}/queues/{queue}/call-next", seed.slug);
            // Each press from its own desk (the same desk pressing twice is the double click).
            let body = json!({ "desk": format!("desk {round}.{d}") });
            let client = client.clone();
            async move { decode(client.post(url).json(&body).send().await.unwrap()).await }
        }))
        .await;
        for (s, v) in answers {
            match s {
                StatusCode::OK => called.push(v["ticket"]["id"].as_str().unwrap().to_owned()),
                StatusCode::CONFLICT => {
                    assert_eq!(v["type"], "urn:nobat:problem:queue-empty", "{v}");
                    empty += 1;
                }
                other => panic!("call-next answered {other}: {v}"),
            }
        }
        let unique: BTreeSet<&String> = called.iter().collect();
        assert_eq!(unique.len(), called.len(), "a ticket was called twice: {called:?}");
        let head: BTreeSet<&String> = order[..called.len().min(order.len())].iter().collect();
        assert_eq!(unique, head, "the called tickets are the head of the line, none skipped");
    }
    assert_eq!(called.len(), order.len());
    assert!(empty < desks, "queue-empty only in the last round");
}

#[tokio::test]
async fn desks_calling_at_once_never_share_or_skip_a_ticket() {
    let app = spawn_with(|c| c.limits = nobat_web::auth::limits::LimitSettings::off()).await;
    let seed = seed(&app).await;
    let (queue, order) = queue_with(&app.client, &app.api, &seed, 60).await;
    storm(&app.client, std::slice::from_ref(&app.api), &seed, &queue, &order, 4).await;
    // Behind the API: every ticket entered `called` exactly once.
    let db = app.db().await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT ticket_id, COUNT(*) FROM ticket_hops WHERE status = 'called' GROUP BY ticket_id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(rows.len(), 60);
    assert!(rows.iter().all(|(_, n)| *n == 1), "{rows:?}");
    db.close().await;
    // Nothing left: every further press is queue-empty.
    let (s, p) = app.post(&format!("/clinics/{}/queues/{queue}/call-next", seed.slug), json!({})).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::CONFLICT, Some("urn:nobat:problem:queue-empty")));
    app.stop().await;
}

#[tokio::test]
async fn a_double_click_calls_one_ticket() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (queue, order) = queue_with(&app.client, &app.api, &seed, 5).await;
    let url = format!("{}/clinics/{}/queues/{queue}/call-next", app.api, seed.slug);
    for round in 0..2 {
        // Two presses of the same desk's button, at once.
        let answers = join_all((0..2).map(|_| {
            let c = app.client.clone();
            let url = url.clone();
            async move { decode(c.post(url).json(&json!({ "desk": "Room 3" })).send().await.unwrap()).await }
        }))
        .await;
        assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK), "{answers:?}");
        assert_eq!(answers[0].1["ticket"]["id"], answers[1].1["ticket"]["id"], "one ticket for a double click");
        assert_eq!(answers[0].1["ticket"]["id"], order[0].as_str(), "round {round}: the first call stands");
    }
    let (_, d) = app.get(&format!("/clinics/{}/queues/{queue}", seed.slug)).await;
    let called = d["tickets"].as_array().unwrap().iter().filter(|t| t["status"] == "called").count();
    assert_eq!(called, 1, "{d}");
    // A retry with the same Idempotency-Key replays; another desk calls the next one.
    let (s, a) = app
        .post_key(&format!("/clinics/{}/queues/{queue}/call-next", seed.slug), "k1", json!({ "desk": "Room 4" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (_, b) = app
        .post_key(&format!("/clinics/{}/queues/{queue}/call-next", seed.slug), "k1", json!({ "desk": "Room 4" }))
        .await;
    assert_eq!(a["ticket"]["id"], order[1].as_str());
    assert_eq!(b["ticket"]["id"], a["ticket"]["id"]);
    app.stop().await;
}

/// Reads `res` (an event stream) until `done` holds for what was read, or `limit` passes.
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

fn ids(text: &str) -> Vec<i64> {
    text.lines().filter_map(|l| l.strip_prefix("id:")).map(|s| s.trim().parse().unwrap()).collect()
}

#[tokio::test]
async fn the_staff_stream_resumes_after_last_event_id_and_the_board_streams_changes() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (queue, _) = queue_with(&app.client, &app.api, &seed, 3).await;
    // Another queue's events must not appear in this one's stream.
    let (_, other) =
        app.post(&format!("{c}/queues"), json!({ "location": seed.tehran, "practitioner": seed.doctors[1] })).await;
    let other = other["id"].as_str().unwrap().to_owned();
    let (s, _) = app.post(&format!("{c}/queues/{other}/tickets"), json!({ "patient": { "name": "Elsewhere" } })).await;
    assert_eq!(s, StatusCode::CREATED);
    let events = app.store.events_since(seed.clinic.parse().unwrap(), 0, 1000).await.unwrap();
    let mine: Vec<i64> = events
        .iter()
        .filter(|e| e.subjects.queue.map(|q| q.to_string()) == Some(queue.clone()))
        .map(|e| e.seq)
        .collect();
    assert!(mine.len() >= 4, "queue opened and three tickets issued: {mine:?}");

    // Resume after the second of this queue's events: exactly the later ones, in order.
    let url = format!("{}{c}/queues/{queue}/events", app.api);
    let mut res = app.client.get(&url).header("Last-Event-ID", mine[1].to_string()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let want: Vec<i64> = mine[2..].to_vec();
    let text = read_until(&mut res, Duration::from_secs(5), |t| ids(t).len() >= want.len()).await;
    assert_eq!(ids(&text), want, "{text}");
    // Then live: a call arrives on the same connection.
    let (s, v) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "Room 9" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let text = read_until(&mut res, Duration::from_secs(5), |t| t.contains("ticket.called")).await;
    assert!(text.contains("event: ticket.called"), "{text}");
    assert!(!text.contains("Walk"), "ids only: {text}");

    // The public board stream: the board at once, then again after a change, never a name.
    let mut board =
        app.anon.get(format!("{}{c}/locations/{}/board/events", app.api, seed.tehran)).send().await.unwrap();
    assert_eq!(board.status(), StatusCode::OK);
    let first = read_until(&mut board, Duration::from_secs(5), |t| t.contains("event: board")).await;
    assert!(first.contains("Room 9"), "{first}");
    let (s, v) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "Room 7" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let code = v["ticket"]["code"].as_str().unwrap().to_owned();
    let pushed = read_until(&mut board, Duration::from_secs(5), |t| t.contains("Room 7")).await;
    assert!(pushed.contains("Room 7") && pushed.contains(&code), "{pushed}");
    for secret in ["Walk", "Elsewhere", "patient"] {
        assert!(!first.contains(secret) && !pushed.contains(secret), "the board stream leaks {secret}");
    }

    // The patient's stream: where to go once called.
    let token = v["ticket"]["token"].as_str().unwrap();
    let mut mine = app.anon.get(format!("{}/tickets/{token}/events", app.api)).send().await.unwrap();
    let text = read_until(&mut mine, Duration::from_secs(5), |t| t.contains("event: ticket")).await;
    assert!(text.contains("\"called_to\":\"Room 7\""), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn two_servers_on_one_postgres_never_call_one_ticket_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes share a database only on PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    // Migrate and create the operator through a first server, then run two more.
    let config = dir.path().join("nobat.toml");
    std::fs::write(&config, NO_RATE_LIMITS).unwrap();
    let start = || {
        let mut cmd = spawn::nobat(&db_url, dir.path());
        cmd.arg("--config").arg(&config).arg("serve");
        spawn::start(cmd).unwrap()
    };
    let a = start();
    {
        let store_cfg = config_for(&db_url, dir.path());
        let app = nobat::Application::build(&store_cfg).await.unwrap();
        create_owner(&app.store()).await;
    }
    let b = start();
    let apis = vec![format!("{}/api/v1", a.base), format!("{}/api/v1", b.base)];
    let token = login(&reqwest::Client::new(), &apis[0], OWNER_EMAIL, OWNER_PASSWORD).await;
    let client = authed_client(&token);
    let seed = seed_at(&client, &apis[0]).await;
    let (queue, order) = queue_with(&client, &apis[1], &seed, 60).await;
    storm(&client, &apis, &seed, &queue, &order, 6).await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let (n, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT ticket_id) FROM ticket_hops WHERE status = 'called'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((n, distinct), (60, 60));
}

fn config_for(db_url: &str, dir: &std::path::Path) -> nobat::Config {
    let mut cfg = config(dir, db_url);
    cfg.limits = nobat_web::auth::limits::LimitSettings::off();
    cfg
}
