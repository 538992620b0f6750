//! The real binary as separate processes: kill -9 in the middle of a booking storm loses no
//! acknowledged booking (invariant 2), and two servers on one PostgreSQL database never
//! double-book (invariant 1 across processes).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
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
    start_with(db_url, data_dir, &[])
}

/// [`start`] with more flags (before `serve`).
fn start_with(db_url: &str, data_dir: &std::path::Path, flags: &[&str]) -> Server {
    // The storms come from one IP: rate limits off (they have tests of their own).
    let config = data_dir.join("nobat.toml");
    std::fs::write(&config, NO_RATE_LIMITS).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nobat"))
        .args(["--listen", "127.0.0.1:0", "--database-url", db_url, "--data-dir"])
        .arg(data_dir)
        .arg("--config")
        .arg(&config)
        .args(flags)
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
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, api }
}

/// Seeds a clinic through a temporary in-process app on the same database, then stops it.
async fn seeded(db_url: &str, dir: &std::path::Path) -> (Seed, Vec<Value>) {
    let app = {
        let cfg = config(dir, db_url);
        let built = nobat::Application::build(&cfg).await.unwrap();
        create_owner(&built.store()).await;
        let addr = built.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(built.run_until(async move {
            let _ = rx.await;
        }));
        (addr, tx, task)
    };
    let (addr, tx, task) = app;
    let api = format!("http://{addr}/api/v1");
    let client = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let seed = seed_at(&client, &api).await;
    let mut pool = Vec::new();
    for d in &seed.doctors {
        for date in (1..=10).map(day) {
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

/// How a storm test stops the server.
#[derive(Clone, Copy)]
enum Stop {
    /// SIGKILL: nothing runs after it.
    Kill,
    /// SIGTERM: graceful shutdown, which must exit cleanly.
    Term,
}

/// Runs `clients` booking clients over distinct slots against a real server, stops it with
/// `stop` once `after` bookings were answered (so requests are in flight), restarts it on the
/// same database and checks that every booking answered 201 is there. Returns how many were.
async fn storm_stop_and_check(clients: usize, after: usize, stop: Stop) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let (seed, pool) = seeded(&db_url, dir.path()).await;
    let mut server = start(&db_url, dir.path());
    let client = reqwest::Client::new();
    let url = format!("{}/clinics/{}/appointments", server.api, seed.slug);
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let storm = join_all((0..clients).map(|w| {
        let (client, url, pool, answered) = (client.clone(), url.clone(), pool.clone(), answered.clone());
        async move {
            for slot in pool.iter().skip(w).step_by(clients) {
                let Ok(res) = client.post(&url).json(&booking(slot, "Storm")).send().await else { return };
                if res.status() == StatusCode::CREATED {
                    let Ok(body) = res.json::<Value>().await else { return };
                    answered.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
                }
            }
        }
    }));
    let pid = server.child.id();
    let stopper = async {
        while answered.lock().unwrap().len() < after {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        match stop {
            Stop::Kill => server.child.kill().unwrap(),
            Stop::Term => assert!(Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success()),
        }
    };
    tokio::join!(storm, stopper);
    let status = server.child.wait().unwrap();
    if matches!(stop, Stop::Term) {
        assert!(status.success(), "a SIGTERM shutdown exits cleanly: {status:?}");
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= after && answered.len() < pool.len(),
        "stopped mid-storm: {} of {}",
        answered.len(),
        pool.len()
    );
    let again = start(&db_url, dir.path());
    // Whatever the stop interrupted, the audit chains are whole: an entry is sealed in the
    // transaction of its change, or neither exists.
    let (ok, out) = audit_verify(&db_url, dir.path());
    assert!(ok, "{out}");
    let staff = authed_client(&login(&client, &again.api, OWNER_EMAIL, OWNER_PASSWORD).await);
    for id in &answered {
        let res = staff.get(format!("{}/clinics/{}/appointments/{id}", again.api, seed.slug)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "answered booking {id} lost");
    }
    answered.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_dash_nine_loses_no_acknowledged_booking() {
    let n = storm_stop_and_check(32, 40, Stop::Kill).await;
    eprintln!("{n} acknowledged bookings survived kill -9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_never_double_book() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes share a database only on PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let (seed, pool) = seeded(&db_url, dir.path()).await;
    let (a, b) = (start(&db_url, dir.path()), start(&db_url, dir.path()));
    let client = reqwest::Client::new();
    // 240 requests for 4 slots, alternating between the two servers.
    let targets: Vec<&Value> = pool.iter().take(4).collect();
    let results = join_all((0..240).map(|i| {
        let api = if i % 2 == 0 { &a.api } else { &b.api };
        let url = format!("{api}/clinics/{}/appointments", seed.slug);
        let body = booking(targets[i % 4], &format!("P{i}"));
        let client = client.clone();
        async move { client.post(url).json(&body).send().await.unwrap().status() }
    }))
    .await;
    let created = results.iter().filter(|s| **s == StatusCode::CREATED).count();
    let conflict = results.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((created, conflict), (4, 236), "{results:?}");
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM appointments WHERE occupies = 1").fetch_one(&db).await.unwrap();
    assert_eq!(n, 4);

    // Then a spread storm through both servers (eight writer connections on one database, all
    // sealing into the same clinic's audit chain): every booking is in the chain exactly once,
    // in one unbroken sequence.
    let results = join_all(pool.iter().skip(4).take(200).enumerate().map(|(i, slot)| {
        let api = if i % 2 == 0 { &a.api } else { &b.api };
        let url = format!("{api}/clinics/{}/appointments", seed.slug);
        let body = booking(slot, &format!("S{i}"));
        let client = client.clone();
        async move { client.post(url).json(&body).send().await.unwrap().status() }
    }))
    .await;
    assert!(results.iter().all(|s| *s == StatusCode::CREATED), "{results:?}");
    let (books,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE clinic_id = $1 AND action = 'book'")
        .bind(&seed.clinic)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(books, 204);
    let (rows, head): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM audit_events WHERE clinic_id = $1), (SELECT seq FROM audit_heads WHERE clinic_id = $1)",
    )
    .bind(&seed.clinic)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(rows, head, "no gaps or duplicates in the sequence");
    let (ok, out) = audit_verify(&db_url, dir.path());
    assert!(ok, "{out}");
}

/// Runs `nobat audit verify` on a database: whether it exited 0, and what it printed.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_and_loses_nothing_answered() {
    let n = storm_stop_and_check(16, 30, Stop::Term).await;
    eprintln!("{n} answered bookings survived SIGTERM");
}

/// Counts rows of a query's single integer column.
async fn count(db: &sqlx::AnyPool, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(db).await.unwrap();
    n
}

/// Polls `sql` until it counts `want`, for at most `limit`.
async fn wait_for_count(db: &sqlx::AnyPool, sql: &str, want: i64, limit: Duration) {
    let started = std::time::Instant::now();
    loop {
        let n = count(db, sql).await;
        if n == want {
            return;
        }
        assert!(started.elapsed() < limit, "{sql}: {n}, waited for {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Guest holds of the first `n` slots through the given servers, alternating; their ids.
async fn guest_holds(apis: &[&str], slug: &str, slots: &[Value]) -> Vec<String> {
    let client = reqwest::Client::new();
    let answers = join_all(slots.iter().enumerate().map(|(i, slot)| {
        let url = format!("{}/clinics/{slug}/holds", apis[i % apis.len()]);
        let body = serde_json::json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"] });
        let client = client.clone();
        async move { decode(client.post(url).json(&body).send().await.unwrap()).await }
    }))
    .await;
    answers
        .into_iter()
        .map(|(s, h)| {
            assert_eq!(s, StatusCode::CREATED, "{h}");
            h["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

const EXPIRED: &str = "SELECT COUNT(*) FROM events WHERE kind = 'hold.expired'";
/// Expiries announced more than once for the same slot. Events name no hold (a hold's id is its
/// capability), but each of these tests' holds is for a slot of its own.
const EXPIRED_TWICE: &str = "SELECT COUNT(*) FROM (SELECT subjects FROM events WHERE kind = 'hold.expired' GROUP BY subjects HAVING COUNT(*) > 1) t";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timers_due_while_the_server_was_down_run_when_it_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    let (seed, pool) = seeded(&db_url, dir.path()).await;
    let mut server = start_with(&db_url, dir.path(), &["--hold-ttl-seconds", "10"]);
    let holds = guest_holds(&[&server.api], &seed.slug, &pool[..3]).await;
    // Killed with its holds' timers pending; nothing runs them while it is down.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    tokio::time::sleep(Duration::from_secs(11)).await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM holds").await, 3);
    assert_eq!(count(&db, EXPIRED).await, 0);
    let now = jiff::Timestamp::now().as_microsecond();
    let due = format!("SELECT COUNT(*) FROM jobs WHERE kind = 'hold.expire' AND run_at_us <= {now}");
    assert_eq!(count(&db, &due).await, 3, "their timers are overdue");
    // Back up: the overdue timers run, each once.
    let _again = start(&db_url, dir.path());
    wait_for_count(&db, "SELECT COUNT(*) FROM holds", 0, Duration::from_secs(20)).await;
    wait_for_count(&db, EXPIRED, 3, Duration::from_secs(5)).await;
    assert_eq!(count(&db, EXPIRED_TWICE).await, 0, "a hold's expiry was announced twice");
    assert_eq!(holds.len() as i64, count(&db, EXPIRED).await);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'hold.expire'").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_run_each_due_job_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes share a database only on PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let (seed, pool) = seeded(&db_url, dir.path()).await;
    let flags = ["--hold-ttl-seconds", "10"];
    let (a, b) = (start_with(&db_url, dir.path(), &flags), start_with(&db_url, dir.path(), &flags));
    // 200 probe jobs, due together a few seconds from now, when both runners are waiting for
    // them; each run leaves a row, so a job run twice would show.
    let store = nobat_store::Store::open(&db_url, nobat_store::StoreOptions::default()).await.unwrap();
    let due = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_secs(6)).unwrap();
    for i in 0..200 {
        let job = nobat_store::commands::NewJob {
            clinic: None,
            kind: nobat_store::commands::PROBE,
            key: format!("p{i}"),
            run_at: due,
            payload: serde_json::json!({}),
            if_scheduled: nobat_store::commands::IfScheduled::Replace,
        };
        store.execute(nobat_store::Command::ScheduleJob(job)).await.unwrap();
    }
    store.close().await;
    // And 40 holds made through both servers, expiring on their own timers.
    let holds = guest_holds(&[&a.api, &b.api], &seed.slug, &pool[..40]).await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    wait_for_count(&db, "SELECT COUNT(*) FROM job_probe_runs", 200, Duration::from_secs(30)).await;
    wait_for_count(&db, "SELECT COUNT(*) FROM holds", 0, Duration::from_secs(30)).await;
    wait_for_count(&db, EXPIRED, 40, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM job_probe_runs").await, 200);
    let twice = "SELECT COUNT(*) FROM (SELECT key FROM job_probe_runs GROUP BY key HAVING COUNT(*) > 1) t";
    assert_eq!(count(&db, twice).await, 0, "a probe ran more than once");
    assert_eq!(count(&db, "SELECT COUNT(DISTINCT key) FROM job_probe_runs").await, 200);
    assert_eq!(count(&db, EXPIRED).await, 40, "each hold expired once");
    assert_eq!(count(&db, EXPIRED_TWICE).await, 0, "a hold's expiry was announced twice");
    assert_eq!(holds.len() as i64, count(&db, EXPIRED).await);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM jobs WHERE kind <> 'retention'").await, 0);
    let runners: Vec<(String,)> = sqlx::query_as("SELECT runner FROM job_probe_runs").fetch_all(&db).await.unwrap();
    let mut by_process = std::collections::BTreeMap::<String, usize>::new();
    for (r,) in runners {
        *by_process.entry(r.split('-').next().unwrap().to_owned()).or_default() += 1;
    }
    eprintln!("probe runs per process: {by_process:?} (servers {} and {})", a.child.id(), b.child.id());
}
