//! Several server processes on one PostgreSQL database follow one source: a lease makes only
//! one poll it at a time, so the publisher sees one poller's manners (never two requests for a
//! file within the floor), and each free slot is announced once, whatever process imported it.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use nobat_store::{EventKind, Store, StoreOptions};
use nobat_testkit::SmartFeed;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A `nobat serve` child process (killed when dropped) and its API base.
struct Server {
    _proc: spawn::Proc,
    api: String,
}

/// `nobat serve` polling sources every second (the floor lowered for the test).
fn start(db_url: &str, data_dir: &std::path::Path) -> Server {
    let config = data_dir.join("nobat.toml");
    std::fs::write(&config, format!("{NO_RATE_LIMITS}source_min_poll_seconds = 1\nsource_poll_seconds = 1\n")).unwrap();
    let mut cmd = spawn::nobat(db_url, data_dir);
    cmd.arg("--config").arg(&config).arg("serve");
    let proc = spawn::start(cmd).expect("nobat serve");
    Server { api: format!("{}/api/v1", proc.base), _proc: proc }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_poll_one_source_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, engine) = fresh_database(dir.path()).await;
    if engine != "postgres" {
        eprintln!("several processes need PostgreSQL; run with NOBAT_TEST_POSTGRES_URL");
        return;
    }
    let store = Store::open(&db_url, StoreOptions::default()).await.unwrap();
    create_owner(&store).await;
    let feed = SmartFeed::start_with_fixtures().await.unwrap();
    let servers: Vec<Server> = (0..3).map(|_| start(&db_url, dir.path())).collect();
    let client = authed_client(&login(&reqwest::Client::new(), &servers[0].api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let res = client
        .post(format!("{}/sources", servers[0].api))
        .json(&json!({ "kind": "smart", "url": feed.manifest_url() }))
        .send()
        .await
        .unwrap();
    let (s, body) = decode(res).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    feed.wait_for_polls("/$bulk-publish", 8, Duration::from_secs(30)).await;
    let gap = feed.min_poll_interval("/$bulk-publish").unwrap();
    assert!(gap >= Duration::from_millis(900), "two servers polled within {gap:?}");
    let gap = feed.min_poll_interval("/slots-2021-W10.ndjson").unwrap();
    assert!(gap >= Duration::from_millis(900), "two servers fetched a file within {gap:?}");
    let events = store.events_since(nobat_store::commands::SOURCES_CLINIC, 0, 10_000).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == EventKind::SourceSlotFree).count(), 300, "each slot announced once");
    drop(servers);
    store.close().await;
}
