//! The HTTP server's own limits: a client that never finishes its request headers is cut off
//! after the header read timeout, and cannot keep a stopping server alive past the shutdown
//! grace; what was acknowledged before the stop is all there after it.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use spawn::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Opens a connection and sends half a request: a request line and one header, never the
/// blank line that ends the headers.
async fn slow_client(base: &str) -> tokio::net::TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: nobat\r\n").await.unwrap();
    stream
}

/// Waits up to `limit` for the server to close `stream`; how long it took, or `None`.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {} // a 408 or the like, then the close
            }
        }
    })
    .await;
    read.ok().map(|()| started.elapsed())
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_with(|c| c.header_read_timeout_seconds = 1).await;
    let mut slow = slow_client(&app.base).await;
    let mut idle = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let took = closed_within(&mut slow, Duration::from_secs(6)).await;
    assert!(took.is_some_and(|t| t < Duration::from_secs(4)), "closed after {took:?}");
    // A connection that sends nothing at all is not kept either.
    let took = closed_within(&mut idle, Duration::from_secs(3)).await;
    assert!(took.is_some(), "an idle connection is closed");
    // The server still answers everyone else.
    let res = app.anon.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_a_slow_client_exits_within_the_grace_and_keeps_what_it_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = fresh_database(dir.path()).await;
    // A header timeout far beyond the grace: the grace alone must bound the stop.
    let config = dir.path().join("nobat.toml");
    std::fs::write(&config, format!("{NO_RATE_LIMITS}header_read_timeout_seconds = 120\nshutdown_grace_seconds = 2\n"))
        .unwrap();
    let serve = || {
        let mut cmd = nobat(&db_url, dir.path());
        cmd.arg("--config").arg(&config).args(["serve", "--demo"]);
        start(cmd).unwrap_or_else(|out| panic!("{out}"))
    };
    let mut server = serve();
    let api = format!("{}/api/v1/clinics/demo", server.base);
    let client = reqwest::Client::new();
    let services: Value = client.get(format!("{api}/services")).send().await.unwrap().json().await.unwrap();
    let general = services["services"].as_array().unwrap().iter().find(|s| s["name"] == "General consultation");
    let general = general.unwrap()["id"].as_str().unwrap().to_owned();
    let url = format!("{api}/availability?service={general}&from={}&to={}", day(2), day(9));
    let body: Value = client.get(url).send().await.unwrap().json().await.unwrap();
    let mut acknowledged = Vec::new();
    for slot in body["slots"].as_array().unwrap().iter().step_by(7).take(5) {
        let res = client.post(format!("{api}/appointments")).json(&booking(slot, "Before Stop")).send().await.unwrap();
        let (s, body) = decode(res).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        acknowledged.push(body["manage_url"].as_str().unwrap().to_owned());
    }

    let mut slow = slow_client(&server.base).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = Instant::now();
    server.signal("TERM");
    let status = server.wait_for_exit(Duration::from_secs(10));
    let took = stopped.elapsed();
    assert!(status.is_some(), "still running 10 s after SIGTERM with a slow client open");
    assert!(status.unwrap().success(), "a clean exit: {status:?}\n{}", server.stdout());
    assert!(took < Duration::from_secs(6), "exited after {took:?} (grace 2 s)");
    assert!(closed_within(&mut slow, Duration::from_secs(1)).await.is_some());

    let again = serve();
    for link in &acknowledged {
        let link = link.replace(&server.base, &again.base);
        let res = client.get(&link).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "acknowledged booking {link} lost");
    }
}
