//! The outbox with real processes: a server killed with SIGKILL between committing changes
//! and anyone dispatching them loses no message — after a restart every event reaches every
//! consumer exactly once (consumers here are another process: a store opened by the test);
//! a consumer that was down the whole time catches up, in order per appointment; and two
//! servers writing to one clinic on PostgreSQL number its events without gaps.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use jiff::SignedDuration;
use nobat_store::commands::{CONSUMERS, OutboxItem};
use nobat_store::{Command, Event, Output, Store, StoreOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Server {
    child: Child,
    api: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `nobat serve` on a free port and waits for its "listening" line.
fn start(db_url: &str, data_dir: &std::path::Path) -> Server {
    let config = data_dir.join("nobat.toml");
    std::fs::write(&config, NO_RATE_LIMITS).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nobat"))
        .args(["--listen", "127.0.0.1:0", "--database-url", db_url, "--data-dir"])
        .arg(data_dir)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("NOBAT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start nobat");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let api = loop {
        let line = lines.next().expect("nobat exited before listening").unwrap();
        if let Some(rest) = line.strip_prefix("Nobat is listening on ") {
            break format!("{}/api/v1", rest.split_whitespace().next().unwrap());
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, api }
}

/// Seeds a clinic through a temporary in-process app on the same database; returns the seed
/// and the free consultation slots of the next days.
async fn seeded(db_url: &str, dir: &std::path::Path) -> (Seed, Vec<Value>) {
    let cfg = config(dir, db_url);
    let built = nobat::Application::build(&cfg).await.unwrap();
    create_owner(&built.store()).await;
    let addr = built.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(built.run_until(async move {
        let _ = rx.await;
    }));
    let api = format!("http://{addr}/api/v1");
    let client = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let seed = seed_at(&client, &api).await;
    let mut pool = Vec::new();
    for d in &seed.doctors {
        for date in (2..=6).map(day) {
            let q = format!(
                "{}/clinics/{}/availability?service={}&from={date}&to={date}&practitioner={d}",
                api, seed.slug, seed.consult
            );
            let (_, body) = decode(client.get(q).send().await.unwrap()).await;
            pool.extend(body["slots"].as_array().unwrap().iter().cloned());
        }
    }
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    (seed, pool)
}

/// Books each slot (and cancels every third booking, so appointments have two messages)
/// until the server stops answering. Returns the ids answered 201.
async fn storm(api: String, slug: String, slots: Vec<Value>, count: Arc<AtomicUsize>) -> Vec<String> {
    let staff = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let mut answered = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        let url = format!("{api}/clinics/{slug}/appointments");
        let Ok(res) = staff.post(&url).json(&booking(slot, "Outbox Storm")).send().await else { break };
        if res.status() != StatusCode::CREATED {
            continue;
        }
        let Ok(body) = res.json::<Value>().await else { break };
        let id = body["id"].as_str().unwrap().to_owned();
        answered.push(id.clone());
        count.fetch_add(1, Ordering::Relaxed);
        if i % 3 == 0 {
            let cancel = json!({ "reason": "storm", "staff_override": true });
            if staff.post(format!("{url}/{id}/cancel")).json(&cancel).send().await.is_err() {
                break;
            }
        }
    }
    answered
}

/// What the test's consumers did: each successful completion of (message, consumer), and the
/// order in which each consumer received messages per appointment.
#[derive(Default)]
struct Ledger {
    completed: HashMap<(String, String), u32>,
    /// (consumer, appointment) → seqs in the order they were handed out.
    order: HashMap<(String, String), Vec<i64>>,
    payloads: Vec<(String, OutboxItem)>,
}

/// One round for one consumer: claim, and complete — except that every fourth round drops
/// its claim on the floor (a consumer that crashed mid-work), to be retaken after its lease.
async fn round(store: &Store, consumer: &str, n: usize, ledger: &Mutex<Ledger>) -> usize {
    let crash = n % 4 == 3;
    let lease = if crash { SignedDuration::from_millis(500) } else { SignedDuration::from_secs(30) };
    let claimed = store.execute(Command::ClaimOutbox { consumer: consumer.into(), limit: 10, lease }).await;
    let Ok(Output::Outbox(items)) = claimed else { return 0 };
    if crash || items.is_empty() {
        return items.len();
    }
    let done = store.execute(Command::CompleteOutbox(items.clone())).await.unwrap();
    assert!(matches!(done, Output::Count(n) if n as usize == items.len()), "our leases were current: {done:?}");
    let mut l = ledger.lock().unwrap();
    for i in &items {
        *l.completed.entry((i.id.clone(), consumer.to_owned())).or_default() += 1;
        let about = i.payload["previous"].as_str().or(i.payload["appointment"].as_str()).unwrap_or_default();
        l.order.entry((consumer.to_owned(), about.to_owned())).or_default().push(i.seq);
        l.payloads.push((consumer.to_owned(), i.clone()));
    }
    items.len()
}

async fn all_events(store: &Store, clinic: nobat_core::ClinicId) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    loop {
        let page = store.events_since(clinic, out.last().map_or(0, |e| e.seq), 1000).await.unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_dash_nine_between_commit_and_dispatch_loses_no_message() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let (seed, pool) = seeded(&db_url, dir.path()).await;
    let (first_half, second_half) = pool.split_at(pool.len().min(120) / 2);
    let second_half = second_half[..second_half.len().min(60)].to_vec();
    let mut server = start(&db_url, dir.path());

    // The consumers: another process (this test's own store). The dispatcher and webhooks
    // run throughout. (The watch matcher runs inside the servers themselves, so its consumer
    // is not this test's to drain.)
    let consumers = Store::open(&db_url, StoreOptions { migrate: false, ..StoreOptions::default() }).await.unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = {
        let (store, ledger, stop) = (consumers.clone(), ledger.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                for c in ["dispatcher", "webhooks"] {
                    round(&store, c, n, &ledger).await;
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Phase 1: a storm, and SIGKILL while it runs (committed changes not yet consumed).
    let count = Arc::new(AtomicUsize::new(0));
    let phase1 = tokio::spawn(storm(server.api.clone(), seed.slug.clone(), first_half.to_vec(), count.clone()));
    while count.load(Ordering::Relaxed) < 25 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut answered = phase1.await.unwrap();
    assert!(!answered.is_empty(), "some bookings were answered before the kill");
    // Phase 2: restarted on the same database, more changes.
    let server = start(&db_url, dir.path());
    answered.extend(storm(server.api.clone(), seed.slug.clone(), second_half, count).await);
    drop(server);
    stop.store(true, Ordering::Relaxed);
    running.await.unwrap();

    // Drain every consumer, the one that was down included, until nothing is left even after
    // the crashed claims' leases ran out.
    let mut n = 0;
    let mut idle = 0;
    while idle < 2 {
        let mut got = 0;
        for c in ["dispatcher", "webhooks"] {
            got += round(&consumers, c, n, &ledger).await;
        }
        n += 1;
        if got == 0 {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(700)).await;
        } else {
            idle = 0;
        }
    }

    let clinic = seed.clinic.parse().unwrap();
    let events = all_events(&consumers, clinic).await;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1, "gap-free");
    }
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    for ((msg, consumer), times) in &ledger.completed {
        assert_eq!(*times, 1, "{consumer} completed {msg} {times} times");
    }
    // Every stored event a consumer wants reached it exactly once.
    for c in CONSUMERS.iter().filter(|c| c.name != "watches") {
        let wanted: HashSet<i64> = events.iter().filter(|e| c.wants.contains(&e.kind)).map(|e| e.seq).collect();
        let got: Vec<i64> = ledger.payloads.iter().filter(|(n, _)| n == c.name).map(|(_, i)| i.seq).collect();
        let got_set: HashSet<i64> = got.iter().copied().collect();
        assert_eq!(got.len(), got_set.len(), "{}: no seq twice", c.name);
        assert_eq!(got_set, wanted, "{}: every wanted event, nothing else", c.name);
    }
    // Every booking answered 201 was dispatched.
    let dispatched: HashSet<String> = ledger
        .payloads
        .iter()
        .filter(|(c, i)| c == "dispatcher" && i.topic == "appointment.booked")
        .map(|(_, i)| i.payload["appointment"].as_str().unwrap().to_owned())
        .collect();
    for id in &answered {
        assert!(dispatched.contains(id), "booking {id} reached the dispatcher");
    }
    // In order per appointment, for every consumer (the one that was down included).
    for ((c, appt), seqs) in &ledger.order {
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{c} got {appt}'s messages out of order: {seqs:?}");
    }
    consumers.close().await;
}

/// Two servers booking into one clinic at once on PostgreSQL: the clinic's events are
/// numbered 1, 2, 3 … with no gap and no number twice, one per committed change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_number_one_clinics_events_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes need PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let (seed, pool) = seeded(&db_url, dir.path()).await;
    let a = start(&db_url, dir.path());
    let b = start(&db_url, dir.path());
    let slots: Vec<Value> = pool.into_iter().take(160).collect();
    // Each server gets every other slot, several clients each.
    let mut storms = Vec::new();
    for (k, server) in [&a, &b].into_iter().enumerate() {
        for w in 0..4 {
            let mine: Vec<Value> = slots.iter().skip(k * 4 + w).step_by(8).cloned().collect();
            storms.push(tokio::spawn(storm(server.api.clone(), seed.slug.clone(), mine, Arc::default())));
        }
    }
    let mut answered = Vec::new();
    for s in storms {
        answered.extend(s.await.unwrap());
    }
    let store = Store::open(&db_url, StoreOptions { migrate: false, ..StoreOptions::default() }).await.unwrap();
    let events = all_events(&store, seed.clinic.parse().unwrap()).await;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1, "gap-free and unique across processes");
    }
    let booked: Vec<String> = events
        .iter()
        .filter(|e| e.kind == nobat_store::EventKind::AppointmentBooked)
        .map(|e| e.subjects.appointment.unwrap().to_string())
        .collect();
    assert_eq!(booked.len(), answered.len(), "one event per committed booking");
    assert_eq!(booked.iter().collect::<HashSet<_>>(), answered.iter().collect::<HashSet<_>>());
    store.close().await;
}
