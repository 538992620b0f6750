//! Running Nobat for real: backups taken under write load restore every booking acknowledged
//! before the backup began; restore refuses what it cannot trust and never runs under a live
//! server; readiness and configuration checks answer.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use futures::future::join_all;
use nobat_store::{Store, StoreOptions};
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_every_acknowledged_booking() {
    let app = spawn_app().await;
    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("nobat-backup.sqlite3");
    if app.engine == "postgres" {
        let err = nobat_store::backup::backup(&app.db_url, &dest).unwrap_err().to_string();
        assert!(err.contains("pg_dump"), "PostgreSQL backups are refused with advice: {err}");
        app.stop().await;
        return;
    }
    let seed = seed(&app).await;
    let mut pool = Vec::new();
    for d in &seed.doctors {
        for n in 1..=6 {
            pool.extend(slots(&app, &seed, &seed.consult, &day(n), Some(d)).await);
        }
    }
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = format!("{}/clinics/{}/appointments", app.api, seed.slug);
    let load = join_all((0..16).map(|w| {
        let (client, url, pool, acked, stop) =
            (app.client.clone(), url.clone(), pool.clone(), acked.clone(), stop.clone());
        async move {
            for slot in pool.iter().skip(w).step_by(16) {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let (s, body) = decode(client.post(&url).json(&booking(slot, "Backed Up")).send().await.unwrap()).await;
                assert_eq!(s, StatusCode::CREATED, "{body}");
                acked.lock().unwrap().push(body["id"].as_str().unwrap().to_owned());
            }
        }
    }));
    let backup = async {
        while acked.lock().unwrap().len() < 40 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Everything acknowledged before this moment must be in the copy.
        let before: Vec<String> = acked.lock().unwrap().clone();
        let (url, dest) = (app.db_url.clone(), dest.clone());
        let checked =
            tokio::task::spawn_blocking(move || nobat_store::backup::backup(&url, &dest)).await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (before, checked)
    };
    let (_, (before, checked)) = tokio::join!(load, backup);
    let total = acked.lock().unwrap().len();
    assert!(
        checked.appointments as usize >= before.len(),
        "{} in the copy, {} acknowledged before",
        checked.appointments,
        before.len()
    );
    // Restore into a fresh data directory and look for every one of them.
    let fresh = tempfile::tempdir().unwrap();
    let url2 = nobat_store::sqlite_url_in(fresh.path());
    let (restored, kept) = nobat_store::backup::restore(&url2, &dest).unwrap();
    assert!(kept.is_none());
    assert_eq!(restored.appointments, checked.appointments);
    let store = Store::open(&url2, StoreOptions::default()).await.unwrap();
    let clinic = store.clinic(&seed.slug).await.unwrap();
    for id in &before {
        assert!(
            store.appointment(clinic.id, id.parse().unwrap()).await.is_ok(),
            "booking {id} acknowledged before the backup is missing"
        );
    }
    store.close().await;
    eprintln!("{} acknowledged before the backup, {} in it, {total} in all", before.len(), checked.appointments);
    app.stop().await;
}

#[tokio::test]
async fn restore_refuses_untrustworthy_files_and_running_servers() {
    let app = spawn_app().await;
    if app.engine == "postgres" {
        app.stop().await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sqlite3");
    std::fs::write(&garbage, b"this is not a database").unwrap();
    let target = nobat_store::sqlite_url_in(dir.path());
    assert!(nobat_store::backup::restore(&target, &garbage).is_err(), "a non-database is refused");
    // A SQLite file that is not a Nobat database.
    let foreign = dir.path().join("foreign.sqlite3");
    create_foreign_database(&foreign).await;
    assert!(nobat_store::backup::restore(&target, &foreign).is_err(), "a foreign database is refused");
    // While the server runs, its data directory is locked.
    assert!(nobat::lock_data_dir(app.dir.path()).is_err(), "restore cannot take a running server's directory");
    let dir_path = app.dir.path().to_owned();
    app.stop().await;
    drop(nobat::lock_data_dir(&dir_path).unwrap());
}

/// Creates an SQLite file with an unrelated table, through the test-side driver.
async fn create_foreign_database(path: &std::path::Path) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}?mode=rwc", path.display())).await.unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT)").execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test]
async fn readiness_and_config_check() {
    let app = spawn_app().await;
    let res = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    app.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "listen = \"127.0.0.1:9999\"\nhold_ttl_seconds = 300\n").unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:9999\"\nhold_ttl = 300\n").unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_nobat"))
            .arg("--config")
            .arg(file)
            .args(["config", "check"])
            .env_remove("NOBAT_DATABASE_URL")
            .output()
            .unwrap()
    };
    let ok = run(&good);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let refused = run(&bad);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("hold_ttl"), "the unknown key is named");
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener() {
    let app = spawn_with(|c| c.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let seed = seed(&app).await;
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let (s, _) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&slot, "Counted")).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&slot, "Refused")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let url = app.metrics.clone().unwrap();
    let text = app.client.get(&url).send().await.unwrap().text().await.unwrap();
    let has = |needle: &str| text.lines().any(|l| l.starts_with(needle) && !l.ends_with(" 0"));
    assert!(has("nobat_commands_total{command=\"book\",outcome=\"ok\"}"), "{text}");
    assert!(has("nobat_commands_total{command=\"book\",outcome=\"refused\"}"), "{text}");
    assert!(
        text.contains("route=\"/api/v1/clinics/{clinic}/appointments\""),
        "requests are labelled by route template"
    );
    assert!(has("nobat_outbox_pending"), "outbox depth is reported: {text}");
    assert!(text.contains("nobat_database_up 1"));
    assert!(text.contains("nobat_writer_batch_size"));
    assert!(text.contains("nobat_db_read_pool_size 8"), "pool use is reported");
    // The API listener does not serve them.
    let res = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The same figures for people, from the command line, while the server runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nobat"))
        .args(["--database-url", &app.db_url, "stats"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["clinics"], 1);
    assert_eq!(stats["appointments_upcoming"], 1);
    assert!(stats["outbox_pending"].as_i64().unwrap() >= 1);
    app.stop().await;
}

#[tokio::test]
async fn scheduled_backups_are_written_and_checked() {
    let app = spawn_app().await;
    if app.engine == "postgres" {
        eprintln!("scheduled backups are for SQLite; PostgreSQL uses pg_dump or base backups");
        app.stop().await;
        return;
    }
    let seed = seed(&app).await;
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let (s, _) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&slot, "Scheduled")).await;
    assert_eq!(s, StatusCode::CREATED);
    // The scheduler's unit of work, against the running server's database.
    let backups = tempfile::tempdir().unwrap();
    let schedule = nobat::backups::Schedule {
        dir: backups.path().to_owned(),
        every: Duration::from_secs(60),
        keep_daily: 7,
        keep_weekly: 4,
    };
    let db_url = app.db_url.clone();
    let file =
        tokio::task::spawn_blocking(move || nobat::backups::run_once(&db_url, &schedule)).await.unwrap().unwrap();
    let checked = nobat_store::backup::check(&file).unwrap();
    assert_eq!(checked.appointments, 1);
    app.stop().await;
}

/// A background worker that keeps failing makes the instance not ready, raises an operator
/// alert, and recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_worker_degrades_readiness_and_recovers() {
    let app = spawn_app().await;
    let mut events = app.store.subscribe();
    let healthy = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let healthy = healthy.clone();
        tokio::spawn(nobat::supervisor::supervise(
            "test-worker",
            Duration::from_millis(20),
            app.workers.clone(),
            app.store.clone(),
            move || {
                let healthy = healthy.clone();
                async move {
                    if healthy.load(std::sync::atomic::Ordering::Relaxed) {
                        Ok(())
                    } else {
                        Err(anyhow::anyhow!("disk on fire"))
                    }
                }
            },
        ))
    };
    let readyz = || async {
        let res = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
        decode(res).await
    };
    let alert = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let e = events.recv().await.unwrap();
            if e.kind == nobat_store::EventKind::OperatorAlert {
                break e;
            }
        }
    })
    .await
    .expect("an operator alert is raised");
    assert_eq!(alert.subjects.worker.as_deref(), Some("test-worker"));
    let (s, p) = readyz().await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(p["detail"].as_str().unwrap().contains("test-worker: disk on fire"), "{p}");
    healthy.store(true, std::sync::atomic::Ordering::Relaxed);
    let recovered = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if readyz().await.0 == StatusCode::OK {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(recovered.is_ok(), "ready again after the worker recovered");
    worker.abort();
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_moves_to_postgres_intact() {
    let Ok(admin) = std::env::var("NOBAT_TEST_POSTGRES_URL") else { return };
    if admin.is_empty() {
        eprintln!("needs NOBAT_TEST_POSTGRES_URL");
        return;
    }
    // A SQLite deployment with some history.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = nobat_store::sqlite_url_in(dir.path());
    let app = nobat::Application::build(&config(dir.path(), &sqlite)).await.unwrap();
    create_owner(&app.store()).await;
    let api = format!("http://{}/api/v1", app.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let seed = seed_at(&client, &api).await;
    let q = format!("{api}/clinics/{}/availability?service={}&from={}&to={}", seed.slug, seed.consult, day(2), day(2));
    let slots: serde_json::Value = client.get(q).send().await.unwrap().json().await.unwrap();
    let mut ids = Vec::new();
    for s in slots["slots"].as_array().unwrap().iter().take(5) {
        let (st, a) = decode(
            client
                .post(format!("{api}/clinics/{}/appointments", seed.slug))
                .json(&booking(s, "Moving"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED);
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    tx.send(()).unwrap();
    task.await.unwrap().unwrap();
    // Copy.
    let (pg, _) = fresh_database(tempfile::tempdir().unwrap().path()).await;
    let mut seen = Vec::new();
    let report =
        nobat_store::copy::sqlite_to_postgres(&sqlite, &pg, |t, n| seen.push((t.to_owned(), n))).await.unwrap();
    assert_eq!(report.iter().find(|(t, _)| *t == "appointments").map(|(_, n)| *n), Some(5));
    assert_eq!(seen.len(), report.len(), "progress reported for every table");
    // A second copy into the same (now full) database is refused.
    assert!(nobat_store::copy::sqlite_to_postgres(&sqlite, &pg, |_, _| {}).await.is_err());
    // The PostgreSQL deployment answers with the same data, and keeps booking correctly.
    let moved = nobat_store::Store::open(&pg, nobat_store::StoreOptions::default()).await.unwrap();
    let clinic = moved.clinic(&seed.slug).await.unwrap();
    for id in &ids {
        let a = moved.appointment(clinic.id, id.parse().unwrap()).await.unwrap();
        assert_eq!(a.status.as_str(), "booked");
    }
    // The audit chains moved whole (the clinic's and the accounts'), and the owner still signs in
    // to the same account.
    let chains = moved.audit_verify().await.unwrap();
    assert!(chains.len() >= 2 && chains.iter().all(|c| c.problems.is_empty() && c.rows > 0), "{chains:?}");
    assert!(moved.user_by_email(OWNER_EMAIL).await.unwrap().is_some());
    moved.close().await;
    // The source is untouched.
    let source = nobat_store::Store::open(&sqlite, nobat_store::StoreOptions::default()).await.unwrap();
    assert!(source.clinic(&seed.slug).await.is_ok());
    source.close().await;
}
