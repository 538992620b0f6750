//! Durable timers (the `jobs` table): a claim is exclusive until its lease ends and only its
//! holder finishes the job; scheduling is idempotent by name; failures back off and end as
//! dead; hold expiry and retention run as jobs. Processes are in `processes.rs`.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use nobat_store::commands::{ClaimedJob, IfScheduled, NewJob, PROBE};
use nobat_store::{Command, Output, Store, StoreError, StoreOptions};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::AnyPool;
use std::time::Duration;

/// A store on a fresh database with no server, so no runner claims jobs behind the test's back.
async fn bare_store(dir: &std::path::Path) -> (Store, AnyPool) {
    let (url, _) = fresh_database(dir).await;
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    sqlx::any::install_default_drivers();
    (store, AnyPool::connect(&url).await.unwrap())
}

fn job(kind: &'static str, key: &str, run_at: Timestamp, if_scheduled: IfScheduled) -> NewJob {
    NewJob { clinic: None, kind, key: key.into(), run_at, payload: json!({}), if_scheduled }
}

async fn claim(store: &Store, lease: SignedDuration) -> Vec<ClaimedJob> {
    match store.execute(Command::ClaimDueJobs { limit: 10, lease }).await.unwrap() {
        Output::Jobs(jobs) => jobs,
        other => panic!("{other:?}"),
    }
}

async fn probe_runs(db: &AnyPool, key: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM job_probe_runs WHERE key = $1").bind(key).fetch_one(db).await.unwrap();
    n
}

#[tokio::test]
async fn a_claim_is_exclusive_until_its_lease_ends_and_only_its_holder_finishes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = bare_store(dir.path()).await;
    store.execute(Command::ScheduleJob(job(PROBE, "a", Timestamp::now(), IfScheduled::Replace))).await.unwrap();
    let first = claim(&store, SignedDuration::from_millis(800)).await;
    assert_eq!(first.len(), 1);
    assert!(claim(&store, SignedDuration::from_secs(60)).await.is_empty(), "leased: nobody else gets it");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // The first claimer went quiet past its lease: the job comes back to someone else.
    let second = claim(&store, SignedDuration::from_secs(60)).await;
    assert_eq!(second.len(), 1);
    assert_eq!((second[0].key.as_str(), second[0].attempts), ("a", 2));
    assert_ne!(first[0].lease, second[0].lease);
    // The first claimer wakes up: it can neither run nor fail what is now another's.
    let late = store.execute(Command::RunJob(first[0].clone())).await;
    assert!(matches!(late, Err(StoreError::LeaseLost)), "{late:?}");
    let late = store.execute(Command::FailJob { job: first[0].clone(), error: "x".into() }).await;
    assert!(matches!(late, Err(StoreError::LeaseLost)), "{late:?}");
    assert_eq!(probe_runs(&db, "a").await, 0, "a refused run changes nothing");
    store.execute(Command::RunJob(second[0].clone())).await.unwrap();
    assert_eq!(probe_runs(&db, "a").await, 1);
    // Finished: the row is gone, and running it again is refused.
    assert!(matches!(store.execute(Command::RunJob(second[0].clone())).await, Err(StoreError::LeaseLost)));
    assert_eq!(probe_runs(&db, "a").await, 1);
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs").fetch_one(&db).await.unwrap();
    assert_eq!(left, 0);
    store.close().await;
}

#[tokio::test]
async fn scheduling_is_idempotent_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = bare_store(dir.path()).await;
    let now = Timestamp::now();
    let in_1h = now.checked_add(SignedDuration::from_hours(1)).unwrap();
    let in_2h = now.checked_add(SignedDuration::from_hours(2)).unwrap();
    let run_at = || async {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT run_at_us FROM jobs WHERE key = 'b'").fetch_all(&db).await.unwrap();
        rows.into_iter().map(|r| r.0).collect::<Vec<_>>()
    };
    for _ in 0..2 {
        store.execute(Command::ScheduleJob(job(PROBE, "b", in_1h, IfScheduled::Replace))).await.unwrap();
    }
    assert_eq!(run_at().await, vec![in_1h.as_microsecond()], "one row per name");
    store.execute(Command::ScheduleJob(job(PROBE, "b", in_2h, IfScheduled::Keep))).await.unwrap();
    assert_eq!(run_at().await, vec![in_1h.as_microsecond()], "Keep keeps a pending job's time");
    assert!(claim(&store, SignedDuration::from_secs(60)).await.is_empty(), "not due yet");
    store.execute(Command::ScheduleJob(job(PROBE, "b", now, IfScheduled::Replace))).await.unwrap();
    assert_eq!(claim(&store, SignedDuration::from_secs(60)).await.len(), 1, "Replace moved it: due now");
    let cancel = Command::CancelJob { clinic: None, kind: PROBE.into(), key: "b".into() };
    assert!(matches!(store.execute(cancel).await.unwrap(), Output::Count(1)));
    assert!(run_at().await.is_empty());
    store.close().await;
}

#[tokio::test]
async fn a_failing_job_backs_off_and_ends_dead_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let (store, db) = bare_store(dir.path()).await;
    store
        .execute(Command::ScheduleJob(job("test.no-handler", "c", Timestamp::now(), IfScheduled::Replace)))
        .await
        .unwrap();
    for attempt in 1..=nobat_core::jobs::MAX_ATTEMPTS {
        // Skip the pause: make it due again now.
        sqlx::query("UPDATE jobs SET run_at_us = 0 WHERE key = 'c'").execute(&db).await.unwrap();
        let claimed = claim(&store, SignedDuration::from_secs(60)).await;
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        assert_eq!(claimed[0].attempts, attempt);
        let err = store.execute(Command::RunJob(claimed[0].clone())).await.unwrap_err();
        let before = Timestamp::now().as_microsecond();
        store.execute(Command::FailJob { job: claimed[0].clone(), error: err.to_string() }).await.unwrap();
        let (status, run_at, error): (String, i64, String) =
            sqlx::query_as("SELECT status, run_at_us, last_error FROM jobs WHERE key = 'c'")
                .fetch_one(&db)
                .await
                .unwrap();
        assert!(error.contains("no handler"), "{error}");
        match nobat_core::jobs::retry_after(attempt) {
            Some(pause) => {
                assert_eq!(status, "pending");
                let pause = pause.as_micros() as i64;
                assert!(run_at >= before + pause - 1_000_000 && run_at <= before + pause + 5_000_000, "{attempt}");
            }
            None => assert_eq!(status, "dead", "after {attempt} attempts"),
        }
    }
    sqlx::query("UPDATE jobs SET run_at_us = 0 WHERE key = 'c'").execute(&db).await.unwrap();
    assert!(claim(&store, SignedDuration::from_secs(60)).await.is_empty(), "a dead job is not run");
    let g = store.gauges().await.unwrap();
    assert_eq!((g.jobs_dead, g.jobs_overdue), (1, 0), "the operator sees it in the metrics");
    // Registering it again (as recurring jobs are at every start) brings it back.
    store
        .execute(Command::ScheduleJob(job("test.no-handler", "c", Timestamp::now(), IfScheduled::Keep)))
        .await
        .unwrap();
    assert_eq!(claim(&store, SignedDuration::from_secs(60)).await.len(), 1);
    store.close().await;
}

#[tokio::test]
async fn each_hold_expires_once_through_its_timer_and_release_or_booking_cancels_it() {
    let app = spawn_with(|c| c.hold_ttl_seconds = 1).await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let free = slots(&app, &seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;
    let mut holds = Vec::new();
    for slot in &free[..3] {
        let body = json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"] });
        let (s, h) = app.post(&format!("{c}/holds"), body).await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        holds.push(h["id"].as_str().unwrap().to_owned());
    }
    let db = app.db().await;
    let (timers,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'hold.expire'").fetch_one(&db).await.unwrap();
    assert_eq!(timers, 3, "each hold has its timer, written with it");
    assert_eq!(app.delete(&format!("{c}/holds/{}", holds[0])).await.0, StatusCode::NO_CONTENT);
    let mut body = booking(&free[1], "Booked");
    body["hold"] = json!(holds[1]);
    assert_eq!(app.post(&format!("{c}/appointments"), body).await.0, StatusCode::CREATED);
    let started = std::time::Instant::now();
    loop {
        let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM holds").fetch_one(&db).await.unwrap();
        if left == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the hold never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("expired {:?} after the conversion", started.elapsed());
    // Only the hold that was neither released nor booked expired, and it was announced once.
    // Events name no hold (a hold's id is its capability): the one announced is the third
    // hold's slot.
    let expired: Vec<(String,)> =
        sqlx::query_as("SELECT subjects FROM events WHERE kind = 'hold.expired'").fetch_all(&db).await.unwrap();
    assert_eq!(expired.len(), 1, "{expired:?}");
    let subjects: serde_json::Value = serde_json::from_str(&expired[0].0).unwrap();
    let announced: Timestamp = subjects["start"].as_str().unwrap().parse().unwrap();
    let third: Timestamp = free[2]["start"].as_str().unwrap().parse().unwrap();
    assert_eq!(announced, third, "{expired:?}");
    let (timers,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'hold.expire'").fetch_one(&db).await.unwrap();
    assert_eq!(timers, 0, "released, converted and expired holds leave no timer behind");
    app.stop().await;
}

#[tokio::test]
async fn retention_is_a_recurring_job() {
    let app = spawn_app().await;
    let db = app.db().await;
    let next_pass = Timestamp::now().checked_add(SignedDuration::from_mins(50)).unwrap().as_microsecond();
    let started = std::time::Instant::now();
    // Registered at start, run at once, and rescheduled under the same name an hour later.
    loop {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT run_at_us, status FROM jobs WHERE clinic_id = 'instance' AND kind = 'retention' AND key = 'sweep'",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert!(rows.len() <= 1);
        if rows.first().is_some_and(|(at, status)| *at > next_pass && status == "pending") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "retention did not run and reschedule: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.workers.problems().is_empty(), "{:?}", app.workers.problems());
    app.stop().await;
}

/// Not a test: how long holds take (`cargo nextest run -p nobat --test timers hold_speed
/// --run-ignored only --no-capture`), to compare with the code before per-hold timers. 150 holds
/// one after another (each its own commit), then 150 at once (batched commits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn hold_speed() {
    let app = spawn_with(|c| c.hold_caps.per_clinic = 1000).await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let mut free = Vec::new();
    for d in &seed.doctors {
        for date in (1..=8).map(day) {
            free.extend(slots(&app, &seed, &seed.consult, &date, Some(d)).await);
        }
    }
    assert!(free.len() >= 300);
    let hold = |slot: &serde_json::Value| json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"] });
    let mut each = Vec::new();
    for slot in &free[..150] {
        let t = std::time::Instant::now();
        let (s, h) = app.post(&format!("{c}/holds"), hold(slot)).await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        each.push(t.elapsed());
    }
    each.sort();
    let t = std::time::Instant::now();
    let url = format!("{c}/holds");
    let answers = futures::future::join_all(free[150..300].iter().map(|slot| app.post(&url, hold(slot)))).await;
    let burst = t.elapsed();
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::CREATED));
    eprintln!(
        "{}: sequential p50 {:?} p90 {:?}; 150 at once {:?} ({:.0} holds/s)",
        app.engine,
        each[75],
        each[135],
        burst,
        150.0 / burst.as_secs_f64()
    );
    app.stop().await;
}
