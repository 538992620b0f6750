//! Background work and events across processes: outbox rows are claimed with leases so two
//! workers never hold the same job, an unfinished claim comes back when its lease runs out, and
//! on PostgreSQL an event committed by one process reaches the others (LISTEN/NOTIFY).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use futures::future::join_all;
use jiff::SignedDuration;
use nobat_store::{Command, Output, Store, StoreOptions};
use reqwest::StatusCode;
use std::collections::HashSet;
use std::time::Duration;

async fn claim(store: &Store, limit: u32, lease: SignedDuration) -> Vec<nobat_store::commands::OutboxItem> {
    let consumer = "dispatcher".to_owned();
    match store.execute(Command::ClaimOutbox { consumer, limit, lease }).await.unwrap() {
        Output::Outbox(items) => items,
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbox_claims_are_disjoint_and_unfinished_claims_come_back() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    for s in slots(&app, &seed, &seed.consult, &day(2), None).await.iter().take(30) {
        let (st, _) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(s, "Outbox")).await;
        assert_eq!(st, StatusCode::CREATED);
    }
    let db = app.db().await;
    let (total,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM events WHERE kind = 'appointment.booked'").fetch_one(&db).await.unwrap();
    assert!(total >= 30);
    // Two more "processes" (stores with writers of their own) claim concurrently.
    let a = Store::open(&app.db_url, StoreOptions::default()).await.unwrap();
    let b = Store::open(&app.db_url, StoreOptions::default()).await.unwrap();
    let lease = SignedDuration::from_secs(60);
    let workers = [a.clone(), b.clone()].into_iter().map(|s| async move {
        let mut mine = Vec::new();
        loop {
            let got = claim(&s, 7, lease).await;
            if got.is_empty() {
                break mine;
            }
            mine.extend(got);
        }
    });
    let claimed: Vec<_> = join_all(workers).await.into_iter().flatten().collect();
    let ids: HashSet<_> = claimed.iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids.len(), claimed.len(), "no row was claimed twice");
    assert_eq!(ids.len() as i64, total, "every row was claimed");
    // Complete all but three; after their lease those three come back, attempt 2.
    let (done, open) = claimed.split_at(claimed.len() - 3);
    let finished = a.execute(Command::CompleteOutbox(done.to_vec())).await.unwrap();
    assert!(matches!(finished, Output::Count(n) if n as usize == done.len()));
    assert!(claim(&b, 100, lease).await.is_empty(), "leased rows are not handed out again");
    let short = SignedDuration::from_millis(300);
    let open_ids: HashSet<_> = open.iter().map(|i| i.id.clone()).collect();
    // Release the long leases by retrying now, then claim with a short lease and let it lapse.
    for i in open {
        a.execute(Command::RetryOutbox { item: i.clone(), after: Some(SignedDuration::ZERO), error: "test".into() })
            .await
            .unwrap();
    }
    let first = claim(&a, 100, short).await;
    assert_eq!(first.iter().map(|i| i.id.clone()).collect::<HashSet<_>>(), open_ids);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = claim(&b, 100, lease).await;
    assert_eq!(again.iter().map(|i| i.id.clone()).collect::<HashSet<_>>(), open_ids, "expired leases come back");
    assert!(again.iter().all(|i| i.attempts == 3), "{again:?}");
    // The first claimer's lease ran out: it can neither finish nor release what b now holds.
    assert!(matches!(a.execute(Command::CompleteOutbox(first.clone())).await.unwrap(), Output::Count(0)));
    assert!(
        a.execute(Command::RetryOutbox {
            item: first[0].clone(),
            after: Some(SignedDuration::ZERO),
            error: "late".into()
        })
        .await
        .is_err()
    );
    assert!(matches!(b.execute(Command::CompleteOutbox(again.clone())).await.unwrap(), Output::Count(3)));
    a.close().await;
    b.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_committed_by_one_process_reach_the_others() {
    let app = spawn_app().await;
    if app.engine != "postgres" {
        eprintln!("events cross processes through PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        app.stop().await;
        return;
    }
    let other = Store::open(&app.db_url, StoreOptions::default()).await.unwrap();
    let mut events = other.subscribe();
    // Give the listener a moment to LISTEN before the change commits.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seed = seed(&app).await;
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let (s, appt) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&slot, "Live")).await;
    assert_eq!(s, StatusCode::CREATED);
    let wanted = appt["id"].as_str().unwrap().to_owned();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.unwrap();
            let about = e.subjects.appointment.map(|a| a.to_string());
            if e.kind == nobat_store::EventKind::AppointmentBooked && about.as_deref() == Some(wanted.as_str()) {
                break e;
            }
        }
    })
    .await
    .expect("the other process heard of the booking");
    assert_eq!(got.clinic.to_string(), seed.clinic);
    other.close().await;
    app.stop().await;
}

/// A schedule change made by another process reaches this process's next booking (the
/// writer's calendar cache is keyed on a version read under the practitioner's lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_processes_schedule_change_reaches_the_next_booking() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let date = day(3);
    let all = slots(&app, &seed, &seed.consult, &date, Some(&seed.doctors[0])).await;
    let (s, _) = app.post(&format!("{c}/appointments"), booking(&all[0], "Warm")).await;
    assert_eq!(s, StatusCode::CREATED);
    // Another process (its own store and writer) closes the day.
    let other = Store::open(&app.db_url, StoreOptions::default()).await.unwrap();
    let exception = nobat_core::Exception {
        id: nobat_core::ExceptionId::new(),
        practitioner: None,
        location: None,
        date: date.parse().unwrap(),
        kind: nobat_core::ExceptionKind::Closed,
        start: None,
        end: None,
    };
    let cmd = Command::CreateException(nobat_store::commands::NewException {
        clinic: seed.clinic.parse().unwrap(),
        exception,
        note: "closed elsewhere".into(),
        actor: nobat_store::AuditActor::new("test", "test"),
    });
    other.execute(cmd).await.unwrap();
    other.close().await;
    let (s, p) = app.post(&format!("{c}/appointments"), booking(&all[2], "Stale")).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("urn:nobat:problem:slot-not-offered")));
    app.stop().await;
}
