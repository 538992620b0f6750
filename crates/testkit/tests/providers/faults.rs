//! The fault switches every HTTP fake shares, driven through the generic sink.

use std::time::{Duration, Instant};

use nobat_testkit::{Fault, HttpSink};

use crate::client;

async fn post(sink: &HttpSink, key: &str, timeout: Duration) -> Result<u16, reqwest::Error> {
    let r = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("client")
        .post(format!("{}/send", sink.url()))
        .header("Idempotency-Key", key)
        .body("x")
        .send()
        .await?;
    Ok(r.status().as_u16())
}

fn key(r: &nobat_testkit::HttpRequest) -> Option<String> {
    r.header("idempotency-key").map(str::to_owned)
}

#[tokio::test]
async fn five_xx_then_success() {
    let sink = HttpSink::start().await.expect("start");
    sink.fail_next(2, 503);
    sink.fault_next(1, Fault::Status(500));
    let t = Duration::from_secs(5);
    assert_eq!(post(&sink, "a", t).await.expect("answered"), 503);
    assert_eq!(post(&sink, "a", t).await.expect("answered"), 503);
    assert_eq!(post(&sink, "a", t).await.expect("answered"), 500);
    assert_eq!(post(&sink, "a", t).await.expect("answered"), 200);
    assert_eq!(sink.pending_faults(), 0);
    assert_eq!(sink.requests().len(), 4, "attempts are all logged");
    sink.received().assert_exactly_once(key, ["a"]);
}

#[tokio::test]
async fn rate_limited_with_retry_after() {
    let sink = HttpSink::start().await.expect("start");
    sink.rate_limit_next(1, 5);
    let r = client().post(format!("{}/send", sink.url())).send().await.expect("answered");
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "5");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn hang_is_a_client_timeout_and_nothing_is_accepted() {
    let sink = HttpSink::start().await.expect("start");
    sink.hang_next(1, Duration::from_secs(3));
    let started = Instant::now();
    let e = post(&sink, "h", Duration::from_millis(300)).await.expect_err("timeout");
    assert!(e.is_timeout(), "{e}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(sink.received().is_empty());
    assert_eq!(post(&sink, "h", Duration::from_secs(5)).await.expect("ok"), 200);
    sink.received().assert_exactly_once(key, ["h"]);
}

#[tokio::test]
async fn dropped_connections() {
    let sink = HttpSink::start().await.expect("start");
    sink.drop_next(1);
    assert!(post(&sink, "d1", Duration::from_secs(5)).await.is_err());
    assert!(sink.received().is_empty());
    // Accepted, then the answer is lost: the one window where a retry duplicates.
    sink.accept_then_drop_next(1);
    assert!(post(&sink, "d2", Duration::from_secs(5)).await.is_err());
    assert_eq!(sink.received().len(), 1);
    assert_eq!(post(&sink, "d2", Duration::from_secs(5)).await.expect("ok"), 200);
    assert_eq!(sink.received().duplicates(key).get("d2"), Some(&2));
}

#[tokio::test]
async fn stopped_fake_refuses_connections_until_restarted() {
    let sink = HttpSink::start().await.expect("start");
    let c = client();
    // A pooled keep-alive connection must not outlive the stop.
    assert_eq!(c.get(sink.url()).send().await.expect("up").status().as_u16(), 200);
    sink.stop().await;
    assert!(!sink.is_running());
    let e = c.get(sink.url()).send().await.expect_err("refused");
    assert!(e.is_connect() || e.is_request(), "{e:?}");
    assert!(tokio::net::TcpStream::connect(sink.addr()).await.is_err(), "nothing listens on the port");
    sink.restart().await.expect("restart");
    assert_eq!(c.get(sink.url()).send().await.expect("back").status().as_u16(), 200);
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test]
async fn slow_answers_and_clearing_faults() {
    let sink = HttpSink::start().await.expect("start");
    sink.set_delay(Duration::from_secs(1));
    let started = Instant::now();
    assert_eq!(post(&sink, "s", Duration::from_secs(5)).await.expect("ok"), 200);
    assert!(started.elapsed() >= Duration::from_secs(1));
    sink.fail_next(5, 500);
    sink.clear_faults();
    let started = Instant::now();
    assert_eq!(post(&sink, "s2", Duration::from_secs(5)).await.expect("ok"), 200);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn wait_for_times_out_with_a_clear_answer() {
    let sink = HttpSink::start().await.expect("start");
    assert!(sink.received().try_wait_for(1, Duration::from_millis(100)).await.is_none());
    let url = sink.url();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = client().post(format!("{url}/late")).send().await;
    });
    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].path, "/late");
}

#[tokio::test]
async fn outage_windows_end_by_themselves() {
    let sink = HttpSink::start().await.expect("start");
    let t = Duration::from_secs(5);
    sink.fail_for(Duration::from_millis(1500), 503);
    assert_eq!(post(&sink, "w", t).await.expect("answered"), 503);
    assert_eq!(post(&sink, "w", t).await.expect("answered"), 503);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(post(&sink, "w", t).await.expect("answered"), 200);

    sink.hang_for(Duration::from_millis(300));
    let started = Instant::now();
    assert!(post(&sink, "w2", t).await.is_err(), "dropped at the end of the window");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(2), "{waited:?}");
    assert_eq!(post(&sink, "w2", t).await.expect("answered"), 200);
    sink.received().assert_exactly_once(key, ["w", "w2"]);
}
