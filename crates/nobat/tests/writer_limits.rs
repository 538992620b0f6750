//! A writer stalled on the database: callers hear the truth ("busy, nothing done" or "outcome
//! unknown") within their deadline, the queue stays bounded, commands whose callers have gone
//! are not started, and retries with the same Idempotency-Key never double-book.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::{AnyConnection, Connection, Executor};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Holds the write lock a booking needs from a second connection: SQLite's database write
/// lock (`BEGIN IMMEDIATE`), or on PostgreSQL the practitioner's row lock.
async fn stall(app: &TestApp, practitioner: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&app.db_url).await.unwrap();
    let sql = match app.engine {
        "sqlite" => "BEGIN IMMEDIATE".to_owned(),
        _ => format!("BEGIN; SELECT id FROM practitioners WHERE id = '{practitioner}' FOR UPDATE"),
    };
    conn.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    conn
}

async fn booked_notes(app: &TestApp) -> HashMap<String, i64> {
    let db = app.db().await;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT note, COUNT(*) FROM appointments WHERE note IS NOT NULL AND status = 'booked' GROUP BY note",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    rows.into_iter().collect()
}

#[tokio::test]
async fn a_stalled_writer_answers_truthfully_and_retries_never_double_book() {
    let app = spawn_with(|c| {
        c.write_timeout_ms = 700;
        c.write_queue = 4;
    })
    .await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let doctor = seed.doctors[0].clone();
    let all = slots(&app, &seed, &seed.consult, &day(2), Some(&doctor)).await;
    // Three requests for each of ten slots: a double booking would show.
    let requests: Vec<(String, Value)> = (0..30)
        .map(|i| {
            let key = format!("stall-{i}-{}", uuid::Uuid::new_v4().simple());
            let mut body = booking(&all[i % 10], &format!("Patient {i}"));
            body["note"] = Value::String(key.clone());
            (key, body)
        })
        .collect();

    let lock = stall(&app, &doctor).await;
    let started = Instant::now();
    let url = format!("{}{c}/appointments", app.api);
    let answers = futures::future::join_all(requests.iter().map(|(key, body)| {
        let req = app.client.post(&url).header("Idempotency-Key", key).json(body).send();
        async move {
            let res = req.await.unwrap();
            let retry_after = res.headers().get("retry-after").is_some();
            let (s, p) = decode(res).await;
            (s, p, retry_after)
        }
    }))
    .await;
    let waited = started.elapsed();
    // Every caller heard back within its deadline, though the database is still locked.
    assert!(waited < Duration::from_secs(5), "answers took {waited:?}");
    let (mut busy, mut unknown) = (Vec::new(), Vec::new());
    for ((key, _), (s, p, retry_after)) in requests.iter().zip(&answers) {
        assert!(*retry_after, "{s} carries Retry-After: {p}");
        match (s.as_u16(), p["type"].as_str().unwrap()) {
            (503, "urn:nobat:problem:busy") => busy.push(key.clone()),
            (504, "urn:nobat:problem:outcome-unknown") => {
                assert!(p["detail"].as_str().unwrap().contains("may or may not"), "{p}");
                unknown.push(key.clone());
            }
            _ => panic!("while the writer is stalled, {s}: {p}"),
        }
    }
    assert!(!busy.is_empty(), "a full queue refuses at once");
    assert!(!unknown.is_empty(), "queued ones time out as outcome unknown");

    // Release; let the writer drain what was queued.
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(lock);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let done = booked_notes(&app).await;
    for key in &busy {
        assert!(!done.contains_key(key), "{key} was told busy (nothing done) but was booked");
    }
    // Callers who had gone before their command started are dropped. On SQLite the writer
    // waited at BEGIN, so none had started; on PostgreSQL the one command waiting on the row
    // lock was under way and may commit (its caller was told the outcome is unknown).
    let limit = if app.engine == "sqlite" { 0 } else { 1 };
    assert!(done.len() <= limit, "commands of departed callers ran: {done:?}");

    // Retrying every request with its key: one answer each, never two appointments per key,
    // never two on one slot.
    for (key, body) in &requests {
        let (s, p) = app.post_key(&format!("{c}/appointments"), key, body.clone()).await;
        assert!(s == StatusCode::CREATED || s == StatusCode::OK || s == StatusCode::CONFLICT, "{s}: {p}");
    }
    let done = booked_notes(&app).await;
    assert!(done.values().all(|n| *n == 1), "{done:?}");
    assert_eq!(done.len(), 10, "each slot booked once: {done:?}");
    let db = app.db().await;
    let (overlaps,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM appointments a JOIN appointments b ON a.practitioner_id = b.practitioner_id \
         AND a.id < b.id AND a.start_us < b.end_us AND b.start_us < a.end_us WHERE a.status = 'booked' AND b.status = 'booked'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(overlaps, 0);
    app.stop().await;
}

/// SQLite: another connection (a CLI command, a backup, a shell) holding the write lock longer
/// than the writer's busy timeout makes BEGIN fail with SQLITE_BUSY; the writer retries, and
/// the command succeeds once the lock is gone.
#[tokio::test]
async fn a_write_waits_out_a_lock_held_past_the_busy_timeout() {
    let app = spawn_with(|c| c.write_timeout_ms = 30_000).await;
    if app.engine != "sqlite" {
        app.stop().await;
        return;
    }
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let lock = stall(&app, "").await;
    let release = tokio::spawn(async move {
        // Longer than the writer connection's 5 s busy_timeout.
        tokio::time::sleep(Duration::from_millis(6500)).await;
        drop(lock);
    });
    let started = Instant::now();
    let (s, body) = app.post(&format!("{c}/appointments"), booking(&slot, "Patient")).await;
    assert_eq!(s, StatusCode::CREATED, "after {:?}: {body}", started.elapsed());
    assert!(started.elapsed() >= Duration::from_secs(6), "it did wait for the lock");
    release.await.unwrap();
    app.stop().await;
}

/// PostgreSQL: the session limits are Nobat's own, whatever the server's defaults.
#[tokio::test]
async fn postgres_sessions_carry_their_own_limits() {
    let app = spawn_with(|c| {
        c.pg_session.lock_timeout = Duration::from_millis(1234);
        c.pg_session.idle_in_transaction_timeout = Duration::from_millis(4321);
    })
    .await;
    let settings: HashMap<String, String> = app.store.session_settings().await.unwrap().into_iter().collect();
    if app.engine == "postgres" {
        assert_eq!(settings["lock_timeout"], "1234ms");
        assert_eq!(settings["idle_in_transaction_session_timeout"], "4321ms");
        assert_eq!(settings["statement_timeout"], "30000ms");
        assert_eq!(settings["synchronous_commit"], "on");
        assert_eq!(settings["tcp_keepalives_idle"], "60s", "{settings:?}");
    } else {
        assert!(settings.is_empty());
    }
    app.stop().await;
}
