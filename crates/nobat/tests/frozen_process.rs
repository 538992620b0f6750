//! Two real `nobat serve` processes on one PostgreSQL; one is frozen (SIGSTOP) in the middle of
//! a booking storm, holding a transaction open — row locks, perhaps the audit chain's head. The
//! server ends its session after `pg_idle_in_transaction_timeout_ms`, so the other process's
//! bookings for the same clinic go on within a bounded time; the frozen one, resumed, answers
//! its callers with an error (never a false "booked") and recovers.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    api: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = signal("CONT", self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(name: &str, pid: u32) -> bool {
    Command::new("kill").args([&format!("-{name}"), &pid.to_string()]).status().is_ok_and(|s| s.success())
}

/// Short PostgreSQL limits so the test runs in seconds.
const LIMITS: &str = "pg_idle_in_transaction_timeout_ms = 2000\npg_lock_timeout_ms = 1000\nwrite_timeout_ms = 20000\n";

fn start(db_url: &str, data_dir: &std::path::Path, name: &str) -> Server {
    let config = data_dir.join(format!("{name}.toml"));
    std::fs::write(&config, format!("{NO_RATE_LIMITS}{LIMITS}")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nobat"))
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

fn audit_verify(db_url: &str, data_dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nobat"))
        .args(["--database-url", db_url, "--data-dir"])
        .arg(data_dir)
        .args(["audit", "verify"])
        .env("NOBAT_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Sessions of this database sitting inside a transaction.
async fn idle_in_transaction(db: &sqlx::AnyPool) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'",
    )
    .fetch_one(db)
    .await
    .unwrap();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_frozen_process_does_not_block_the_other_forever() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes share a database only on PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let a = start(&db_url, dir.path(), "a");
    let b = start(&db_url, dir.path(), "b");
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    // The operator account, through the store as `nobat user create` makes it.
    let store = nobat_store::Store::open(&db_url, nobat_store::StoreOptions { pg_writers: 1, ..Default::default() })
        .await
        .unwrap();
    create_owner(&store).await;
    store.close().await;
    let client = reqwest::Client::new();
    let staff = authed_client(&login(&client, &b.api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let seed = seed_at(&staff, &b.api).await;
    let mut pool = Vec::new();
    for d in &seed.doctors {
        for date in (1..=6).map(day) {
            let q = format!(
                "{}/clinics/{}/availability?service={}&from={date}&to={date}&practitioner={d}",
                b.api, seed.slug, seed.consult
            );
            let (_, body) = decode(staff.get(q).send().await.unwrap()).await;
            pool.extend(body["slots"].as_array().unwrap().iter().cloned());
        }
    }
    // A storm through A on every other slot; B later books the rest.
    let (for_a, for_b): (Vec<_>, Vec<_>) = pool.iter().cloned().enumerate().partition(|(i, _)| i % 2 == 0);
    let for_b: Vec<Value> = for_b.into_iter().map(|(_, s)| s).take(20).collect();
    let answered_a = Arc::new(Mutex::new(Vec::<(StatusCode, Value)>::new()));
    let url_a = format!("{}/clinics/{}/appointments", a.api, seed.slug);
    let storm = join_all((0..16).map(|w| {
        let (client, url, slots, answered) = (client.clone(), url_a.clone(), for_a.clone(), answered_a.clone());
        async move {
            for (_, slot) in slots.iter().skip(w).step_by(16) {
                let Ok(res) = client.post(&url).json(&booking(slot, "Storm A")).send().await else { return };
                let status = res.status();
                let body = res.json::<Value>().await.unwrap_or(Value::Null);
                answered.lock().unwrap().push((status, body));
            }
        }
    }));
    let pid = a.child.id();
    let freeze_and_check = async {
        while answered_a.lock().unwrap().len() < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Freeze A until one of its sessions is seen idle inside a transaction (it holds locks).
        let mut frozen_in_tx = false;
        for _ in 0..200 {
            assert!(signal("STOP", pid));
            tokio::time::sleep(Duration::from_millis(100)).await;
            if idle_in_transaction(&db).await > 0 {
                frozen_in_tx = true;
                break;
            }
            assert!(signal("CONT", pid));
            tokio::time::sleep(Duration::from_millis(7)).await;
        }
        assert!(frozen_in_tx, "A was never caught inside a transaction");
        let frozen_at = Instant::now();
        // B books for the same clinic and the same practitioners; each must get through.
        let url_b = format!("{}/clinics/{}/appointments", b.api, seed.slug);
        let results = join_all(for_b.iter().map(|slot| {
            let (client, url) = (client.clone(), url_b.clone());
            async move {
                let res = client.post(url).json(&booking(slot, "B")).send().await.unwrap();
                let status = res.status();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            }
        }))
        .await;
        let took = frozen_at.elapsed();
        assert!(took < Duration::from_secs(15), "B waited {took:?} behind the frozen A");
        assert_eq!(idle_in_transaction(&db).await, 0, "the frozen session was ended");
        assert!(signal("CONT", pid));
        eprintln!("B's {} bookings took {took:?} with A frozen", results.len());
        results
    };
    let (_, results_b) = tokio::join!(storm, freeze_and_check);
    for (s, body) in &results_b {
        assert_eq!(*s, StatusCode::CREATED, "B: {body}");
    }

    // Every "booked" that either process gave is in the database; A's callers whose
    // transaction was ended heard an error, not "booked".
    let answered_a = answered_a.lock().unwrap().clone();
    let mut ids: Vec<String> = results_b.iter().map(|(_, b)| b["id"].as_str().unwrap().to_owned()).collect();
    let mut errors = 0;
    for (s, body) in &answered_a {
        match *s {
            StatusCode::CREATED => ids.push(body["id"].as_str().unwrap().to_owned()),
            s if s.is_server_error() => errors += 1,
            s => panic!("A answered {s}: {body}"),
        }
    }
    eprintln!("A: {} answers, {errors} errors after its session was ended", answered_a.len());
    for id in &ids {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments WHERE id = $1 AND status = 'booked'")
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(n, 1, "answered booking {id} is missing");
    }
    let (overlaps,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM appointments x JOIN appointments y ON x.practitioner_id = y.practitioner_id \
         AND x.id < y.id AND x.start_us < y.end_us AND y.start_us < x.end_us WHERE x.occupies = 1 AND y.occupies = 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(overlaps, 0);

    // A recovered: it books again.
    let spare = pool.last().unwrap();
    let (s, body) = decode(client.post(&url_a).json(&booking(spare, "After")).send().await.unwrap()).await;
    assert!(s == StatusCode::CREATED || s == StatusCode::CONFLICT, "A after resuming: {s} {body}");
    let (ok, out) = audit_verify(&db_url, dir.path());
    assert!(ok, "{out}");
}
