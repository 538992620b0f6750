//! Watches under concurrency: freed slots matched at once (cancellations in parallel, on both
//! engines, and through two server processes on one PostgreSQL database) never give one slot to
//! two watchers, and concurrent accepts of one offer book it once.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;
use crate::watches;

use common::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use watches::tehran_hm;

/// Books doctor A's consults at 09:00 … 12:30 (Tehran) `days` ahead; returns their ids.
async fn fill_morning(api: &str, client: &reqwest::Client, seed: &Seed, days: i64) -> Vec<String> {
    let q = format!(
        "{api}/clinics/{}/availability?service={}&from={d}&to={d}&practitioner={}",
        seed.slug,
        seed.consult,
        seed.doctors[0],
        d = day(days)
    );
    let (_, body) = decode(client.get(q).send().await.unwrap()).await;
    let mut ids = Vec::new();
    for slot in body["slots"].as_array().unwrap() {
        let hm = tehran_hm(slot["start"].as_str().unwrap());
        if ("09:00".."13:00").contains(&hm.as_str()) {
            let res = client.post(format!("{api}/clinics/{}/appointments", seed.slug)).json(&booking(slot, "Taken"));
            let (s, b) = decode(res.send().await.unwrap()).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            ids.push(b["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

/// Two auto-book watchers, then four offer watchers, for doctor A's mornings `days` ahead.
async fn watchers(api: &str, seed: &Seed, days: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, mode) in ["auto_book", "auto_book", "offer", "offer", "offer", "offer"].into_iter().enumerate() {
        let body = json!({
            "service": seed.consult, "practitioner": seed.doctors[0], "from": day(days), "to": day(days),
            "times": [{ "from": "09:00", "to": "13:00" }], "mode": mode,
            "patient": { "name": format!("Watcher {i}"), "phone": format!("+98912000000{i}") }
        });
        let res = reqwest::Client::new().post(format!("{api}/clinics/{}/watches", seed.slug)).json(&body);
        let (s, b) = decode(res.send().await.unwrap()).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        out.push(b);
    }
    out
}

/// Waits until the `watches` consumer has matched every event and left nothing pending.
async fn matched(db: &sqlx::AnyPool) {
    let until = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let behind: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM event_heads h LEFT JOIN outbox_cursors k ON k.clinic_id = h.clinic_id \
             AND k.consumer = 'watches' WHERE COALESCE(k.last_seq, 0) < h.last_seq",
        )
        .fetch_one(db)
        .await
        .unwrap();
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox_deliveries WHERE consumer = 'watches' AND status = 'pending'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        if behind + pending == 0 {
            return;
        }
        assert!(std::time::Instant::now() < until, "the matcher never caught up: {behind} {pending}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every exclusive watcher got one freed slot (an offer or a booking: one at a time each), no
/// slot went to two, each auto-book watcher booked once, and held and booked times do not overlap.
async fn check_fair(db: &sqlx::AnyPool, watchers: usize) {
    let doubled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT practitioner_id, start_us FROM watch_notices WHERE kind IN ('offer', 'booked') \
         GROUP BY practitioner_id, start_us HAVING COUNT(*) > 1) x",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(doubled, 0, "no slot given to two watchers");
    let given: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM watch_notices WHERE kind IN ('offer', 'booked')")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(given, watchers as i64, "every watcher got one slot");
    let booked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM watch_notices WHERE kind = 'booked'").fetch_one(db).await.unwrap();
    assert_eq!(booked, 2, "each auto-book watcher booked once");
    let overlaps: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT block_start_us, block_end_us, practitioner_id FROM appointments WHERE occupies = 1 \
         UNION ALL SELECT block_start_us, block_end_us, practitioner_id FROM holds) a \
         JOIN (SELECT block_start_us, block_end_us, practitioner_id FROM appointments WHERE occupies = 1 \
         UNION ALL SELECT block_start_us, block_end_us, practitioner_id FROM holds) b \
         ON a.practitioner_id = b.practitioner_id AND a.block_start_us < b.block_end_us AND b.block_start_us < a.block_end_us",
    )
    .fetch_one(db)
    .await
    .unwrap();
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM appointments WHERE occupies = 1) + (SELECT COUNT(*) FROM holds)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(overlaps, rows, "each busy interval overlaps only itself");
}

/// The offers written, as (watch token, offer id): tokens from the creation answers.
async fn offers(db: &sqlx::AnyPool, created: &[Value]) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT watch_id, id FROM watch_notices WHERE kind = 'offer' AND outcome = 'offered'")
            .fetch_all(db)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(w, o)| {
            let c = created.iter().find(|c| c["id"] == w.as_str()).unwrap();
            (c["token"].as_str().unwrap().to_owned(), o)
        })
        .collect()
}

/// Each offer accepted from every API at once: exactly one booking per offer.
async fn accept_storm(apis: &[String], offers: &[(String, String)]) {
    for (token, offer) in offers {
        let tries = apis.iter().flat_map(|api| {
            (0..3).map(move |_| {
                let url = format!("{api}/watches/{token}/offers/{offer}/accept");
                async move { decode(reqwest::Client::new().post(url).send().await.unwrap()).await }
            })
        });
        let answers = join_all(tries).await;
        let won = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
        let lost = answers.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).count();
        assert_eq!((won, lost), (1, answers.len() - 1), "{answers:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_cancellations_give_each_slot_to_one_watcher_and_an_offer_is_taken_once() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let ids = fill_morning(&app.api, &app.client, &seed, 7).await;
    assert_eq!(ids.len(), 8);
    let created = watchers(&app.api, &seed, 7).await;
    let cancels = ids.iter().map(|id| {
        let url = format!("{}/clinics/{}/appointments/{id}/cancel", app.api, seed.slug);
        let client = app.client.clone();
        async move { client.post(url).json(&json!({ "staff_override": true })).send().await.unwrap().status() }
    });
    assert!(join_all(cancels).await.iter().all(|s| *s == StatusCode::OK));
    let db = app.db().await;
    matched(&db).await;
    check_fair(&db, created.len()).await;
    let open = offers(&db, &created).await;
    assert_eq!(open.len(), 4, "one open offer per offer watcher");
    accept_storm(std::slice::from_ref(&app.api), &open).await;
    db.close().await;
    app.stop().await;
}

/// A `nobat serve` child process (killed when dropped) and its API base.
struct Server {
    _proc: spawn::Proc,
    api: String,
}

fn start(db_url: &str, data_dir: &std::path::Path) -> Server {
    let config = data_dir.join("nobat.toml");
    std::fs::write(&config, NO_RATE_LIMITS).unwrap();
    let mut cmd = spawn::nobat(db_url, data_dir);
    cmd.arg("--config").arg(&config).arg("serve");
    let proc = spawn::start(cmd).expect("nobat serve");
    Server { api: format!("{}/api/v1", proc.base), _proc: proc }
}

/// Two servers on one PostgreSQL database: each matches freed slots in its own process, and
/// still no slot goes to two watchers; each offer accepted through both at once books once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_never_give_one_slot_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes need PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let built = nobat::Application::build(&config(dir.path(), &db_url)).await.unwrap();
    create_owner(&built.store()).await;
    built.store().close().await;
    drop(built);
    let a = start(&db_url, dir.path());
    let b = start(&db_url, dir.path());
    let ca = authed_client(&login(&reqwest::Client::new(), &a.api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let cb = authed_client(&login(&reqwest::Client::new(), &b.api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let seed = seed_at(&ca, &a.api).await;
    let ids = fill_morning(&a.api, &ca, &seed, 7).await;
    let created = watchers(&b.api, &seed, 7).await;
    let cancels = ids.iter().enumerate().map(|(i, id)| {
        let (api, client) = if i % 2 == 0 { (&a.api, ca.clone()) } else { (&b.api, cb.clone()) };
        let url = format!("{api}/clinics/{}/appointments/{id}/cancel", seed.slug);
        async move { client.post(url).json(&json!({ "staff_override": true })).send().await.unwrap().status() }
    });
    assert!(join_all(cancels).await.iter().all(|s| *s == StatusCode::OK));
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&db_url).await.unwrap();
    matched(&db).await;
    check_fair(&db, created.len()).await;
    let open = offers(&db, &created).await;
    assert_eq!(open.len(), 4, "one open offer per offer watcher");
    accept_storm(&[a.api.clone(), b.api.clone()], &open).await;
    db.close().await;
}
