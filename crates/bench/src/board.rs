//! Issue 11: with 1,000 board streams connected, how fast does a queue change reach all of
//! them, and what does the server hold in memory for them?
//!
//! A clinic with one queue of walk-ins; 1,000 anonymous clients open the public board stream
//! `GET /clinics/{clinic}/locations/{location}/board/events` (one TCP connection each). Then,
//! round after round, reception calls the next ticket; for every stream the delay from the
//! `call-next` request being sent to that stream receiving its first event after it is one
//! sample. Rounds are separated by a quiet pause so that no event of one round is counted in
//! the next. RSS is read from /proc/<server pid>/status before and with the streams open.

use crate::client::{Api, Clinic};
use crate::server::Server;
use crate::stats::{Figures, figures};
use anyhow::{Context, bail, ensure};
use futures::future::join_all;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

pub struct BoardOut {
    pub figures: Figures,
    pub memory: Value,
}

/// The soft limit on open files of this process (the server, our child, inherits it).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A queue of this location to call from: an existing one for today, or the one a checked-in
/// booking lands in (a default queue is made on first use).
async fn a_queue(api: &Api, clinic: &Clinic) -> anyhow::Result<String> {
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let url = format!("{}/clinics/{}/queues?date={today}&location={}", api.base, clinic.slug, clinic.location);
    let v: Value = api.staff.get(url).send().await?.json().await.unwrap_or(Value::Null);
    if let Some(id) = v["queues"].as_array().and_then(|q| q.first()).and_then(|q| q["id"].as_str()) {
        return Ok(id.to_owned());
    }
    let starts = api.slot_starts(clinic, &clinic.practitioners[0], today, today).await?;
    let start = *starts.first().context("no slot left today to book and check in")?;
    let (status, id, _) = api.book(clinic, &clinic.practitioners[0], start, "Board").await;
    let id = id.with_context(|| format!("booking for the check-in → {status}"))?;
    let t = api.created(&format!("/clinics/{}/appointments/{id}/check-in", clinic.slug), json!({})).await?;
    Ok(t["ticket"]["queue"].as_str().context("ticket.queue")?.to_owned())
}

/// Reads one SSE stream; reports the first event of each armed round.
async fn listen(
    res: reqwest::Response,
    mut round: watch::Receiver<u64>,
    report: mpsc::UnboundedSender<(u64, Instant)>,
) -> anyhow::Result<()> {
    let mut res = res;
    let (mut buf, mut last, mut has_data, mut heartbeat) = (Vec::<u8>::new(), 0u64, false, false);
    while let Some(chunk) = res.chunk().await? {
        buf.extend_from_slice(&chunk);
        while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                // End of an event: a real one (data, not a heartbeat) counts for the armed round.
                let r = *round.borrow_and_update();
                if has_data && !heartbeat && r > last {
                    last = r;
                    let _ = report.send((r, Instant::now()));
                }
                (has_data, heartbeat) = (false, false);
            } else if let Some(kind) = line.strip_prefix("event:") {
                heartbeat = matches!(kind.trim(), "heartbeat" | "ping" | "keepalive" | "keep-alive");
            } else if line.starts_with("data:") {
                has_data = true;
            }
        }
    }
    Ok(())
}

pub async fn board(nobat: &std::path::Path, scale: f64, streams: usize) -> anyhow::Result<BoardOut> {
    let rounds = ((30.0 * scale) as usize).max(3);
    if let Some(limit) = open_files_limit()
        && limit < (streams as u64) * 2 + 256
    {
        bail!(
            "open-file limit {limit} is too low for {streams} streams (client and server share it): run `ulimit -n {}` first",
            streams * 2 + 256
        );
    }
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("board.sqlite3").display());
    let srv = Server::start(nobat, dir.path(), &url).await?;
    let api = Api::new(srv.api()).await?;
    let five = json!({ "name": "Quick check", "duration_min": 5, "slot_step_min": 5, "min_notice_min": 0, "horizon_days": 400 });
    let clinic = api.seed("board", "UTC", 1, five, ("00:00", "24:00")).await?;
    let queue = a_queue(&api, &clinic).await?;
    for i in 0..rounds + 5 {
        api.created(
            &format!("/clinics/{}/queues/{queue}/tickets", clinic.slug),
            json!({ "patient": { "name": format!("Walk-in {i}") } }),
        )
        .await?;
    }
    let rss_before = srv.rss_mib().0;

    // 1,000 anonymous clients, each on its own connection.
    let http = reqwest::Client::builder().http1_only().tcp_nodelay(true).pool_max_idle_per_host(0).build()?;
    let events = format!("{}/clinics/{}/locations/{}/board/events", api.base, clinic.slug, clinic.location);
    let (arm, armed) = watch::channel(0u64);
    let (report, mut reports) = mpsc::unbounded_channel();
    let opened = Instant::now();
    let mut tasks = Vec::with_capacity(streams);
    let responses = join_all((0..streams).map(|_| {
        let (http, events) = (http.clone(), events.clone());
        async move { http.get(events).header("accept", "text/event-stream").send().await }
    }))
    .await;
    for res in responses {
        let res = res.context("opening a board stream")?;
        ensure!(res.status().is_success(), "board stream → {}", res.status());
        tasks.push(tokio::spawn(listen(res, armed.clone(), report.clone())));
    }
    let connect_seconds = opened.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (rss_open, _) = srv.rss_mib();

    let mut samples = Vec::with_capacity(rounds * streams);
    let mut missed = 0usize;
    let wall = Instant::now();
    for r in 1..=rounds as u64 {
        // Quiet: let every event of the previous round drain before arming this one.
        tokio::time::sleep(Duration::from_millis(200)).await;
        while reports.try_recv().is_ok() {}
        // A new desk each round: the same desk pressing again within seconds is a double click.
        let (path, desk) = (format!("/clinics/{}/queues/{queue}/call-next", clinic.slug), format!("Desk {r}"));
        arm.send_replace(r);
        let sent = Instant::now();
        let (status, body) = api_staff_post(&api, &path, &desk).await?;
        ensure!(status == 200, "call-next → {status}: {body}");
        let mut got = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got < streams {
            match tokio::time::timeout_at(deadline, reports.recv()).await {
                Ok(Some((round, at))) if round == r => {
                    samples.push(at.duration_since(sent));
                    got += 1;
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        missed += streams - got;
    }
    let wall = wall.elapsed();
    let (rss_after, rss_peak) = srv.rss_mib();
    for t in tasks {
        t.abort();
    }
    let verified = format!(
        "{rounds} call-next × {streams} streams: {} delivered, {missed} missed (10 s); RSS {:.1} MiB before, {:.1} MiB with the streams open (+{:.1} KiB/stream), peak {:.1}; connect {:.2} s",
        samples.len(),
        rss_before,
        rss_open,
        (rss_open - rss_before) * 1024.0 / streams as f64,
        rss_peak,
        connect_seconds
    );
    let memory = json!({ "scenario": "board streams", "streams": streams, "rss_before_mib": rss_before,
                         "rss_streams_open_mib": rss_open, "rss_after_rounds_mib": rss_after, "rss_peak_mib": rss_peak,
                         "connect_seconds": connect_seconds, "missed": missed });
    Ok(BoardOut {
        figures: figures(&format!("board: queue change → {streams} SSE"), "sqlite", samples, wall, verified),
        memory,
    })
}

async fn api_staff_post(api: &Api, path: &str, desk: &str) -> anyhow::Result<(u16, Value)> {
    let res = api.staff.post(format!("{}{path}", api.base)).json(&json!({ "desk": desk })).send().await?;
    let status = res.status().as_u16();
    Ok((status, serde_json::from_slice(&res.bytes().await?).unwrap_or(Value::Null)))
}
