//! Issue 12: how many messages per second reach a provider, and how long after the booking
//! was committed does the provider have its message?
//!
//! A server started with `NOBAT_SMTP_URL` pointing at the testkit's fake SMTP server on
//! loopback; 16 clients book `n` appointments, each with its own e-mail address; every booking's
//! 201 answer (the commit is done by then) is timestamped. The fake records when each message
//! arrived; a message is matched to its booking by its recipient. Delay = arrival − 201;
//! messages/s = messages / (last arrival − first 201). Every booking must get exactly one
//! message to its address.

use crate::client::Api;
use crate::server::Server;
use crate::stats::{Figures, figures};
use anyhow::{Context, ensure};
use futures::future::join_all;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use nobat_testkit::smtp::SmtpFake;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

pub async fn messages(nobat: &std::path::Path, scale: f64) -> anyhow::Result<Vec<Figures>> {
    let n = ((500.0 * scale) as usize).max(20);
    let clients = 16;
    let fake = SmtpFake::start().await?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("messages.sqlite3").display());
    let srv = Server::start_with_env(nobat, dir.path(), &url, &[("NOBAT_SMTP_URL", fake.url())]).await?;
    let api = Api::new(srv.api()).await?;
    let five = json!({ "name": "Quick check", "duration_min": 5, "slot_step_min": 5, "min_notice_min": 0, "horizon_days": 400 });
    let clinic = api.seed("messages", "UTC", clients, five, ("00:00", "24:00")).await?;
    let day0 =
        Timestamp::now().to_zoned(TimeZone::UTC).date().tomorrow()?.to_zoned(TimeZone::UTC).map(|z| z.timestamp())?;
    let per = n.div_ceil(clients);
    let wall = Instant::now();
    let results = join_all((0..clients).map(|c| {
        let (api, clinic) = (api.clone(), &clinic);
        async move {
            let mut done = Vec::with_capacity(per);
            for k in 0..per {
                let email = format!("patient-{c}-{k}@bench.nobat.test");
                let body = json!({
                    "service": clinic.service, "practitioner": clinic.practitioners[c],
                    "start": (day0 + SignedDuration::from_mins(5 * k as i64)).to_string(),
                    "patient": { "name": format!("Patient {c}-{k}"), "email": email, "phone": "+905321112233" }
                });
                if let Ok((201, _)) = api.post(&format!("/clinics/{}/appointments", clinic.slug), &body).await {
                    done.push((email, SystemTime::now()));
                }
            }
            done
        }
    }))
    .await;
    let committed: HashMap<String, SystemTime> = results.into_iter().flatten().collect();
    ensure!(committed.len() == per * clients, "{} of {} bookings succeeded", committed.len(), per * clients);
    // Wait for one message per booking (bounded), then a moment more for any duplicate.
    // Bounded: two minutes in all, or 15 seconds if nothing at all arrives (no dispatcher).
    let (started, deadline) = (Instant::now(), Instant::now() + Duration::from_secs(120));
    loop {
        let got = count_ours(&fake, &committed);
        if got == committed.len() || Instant::now() > deadline || (got == 0 && started.elapsed().as_secs() > 15) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = wall.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut samples = Vec::new();
    let mut last = SystemTime::UNIX_EPOCH;
    for m in fake.messages().all() {
        for rcpt in &m.rcpt_to {
            if let Some((email, at)) = committed.get_key_value(rcpt.as_str()) {
                *seen.entry(email.as_str()).or_default() += 1;
                if seen[email.as_str()] == 1 {
                    samples.push(m.received_at.duration_since(*at).unwrap_or(Duration::ZERO));
                    last = last.max(m.received_at);
                }
            }
        }
    }
    let first = committed.values().min().copied().context("no bookings")?;
    let span = last.duration_since(first).unwrap_or(Duration::ZERO).as_secs_f64();
    let missing = committed.len() - seen.len();
    let duplicated = seen.values().filter(|&&c| c > 1).count();
    let verified = format!(
        "{} bookings, {} messages at the fake SMTP: {missing} missing, {duplicated} duplicated; {:.0} messages/s from the first commit to the last arrival",
        committed.len(),
        samples.len(),
        samples.len() as f64 / span.max(1e-9)
    );
    ensure!(missing == 0, "{verified}");
    let mut f = figures("messages: booking → SMTP provider", "sqlite", samples, wall, verified);
    // Throughput as the provider saw it, not bookings per second.
    f.per_second = f.requests as f64 / span.max(1e-9);
    let quiet = one_at_a_time(&api, &clinic, &fake, day0 + SignedDuration::from_hours(20)).await?;
    Ok(vec![f, quiet])
}

/// The delay of one booking on a quiet server (what a watcher waiting for "a slot is free"
/// feels): 30 bookings one after another, each waiting for its own message before the next.
async fn one_at_a_time(
    api: &Api,
    clinic: &crate::client::Clinic,
    fake: &SmtpFake,
    from: Timestamp,
) -> anyhow::Result<Figures> {
    let n = 30;
    let wall = Instant::now();
    let mut samples = Vec::with_capacity(n);
    for k in 0..n {
        let email = format!("quiet-{k}@bench.nobat.test");
        let body = json!({
            "service": clinic.service, "practitioner": clinic.practitioners[0],
            "start": (from + SignedDuration::from_mins(5 * k as i64)).to_string(),
            "patient": { "name": format!("Quiet {k}"), "email": email }
        });
        let (status, _) = api.post(&format!("/clinics/{}/appointments", clinic.slug), &body).await?;
        ensure!(status == 201, "quiet booking {k} answered {status}");
        let committed = SystemTime::now();
        let until = Instant::now() + Duration::from_secs(10);
        let arrived = loop {
            let found = fake.messages().all().into_iter().find(|m| m.rcpt_to.contains(&email));
            if let Some(m) = found {
                break m.received_at;
            }
            ensure!(Instant::now() < until, "quiet booking {k}: no message within 10 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        samples.push(arrived.duration_since(committed).unwrap_or(Duration::ZERO));
        // Quiet between bookings: each one finds the dispatcher idle.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let verified = format!("{n} bookings one at a time, each its message before the next");
    Ok(figures("messages: one booking on a quiet server → SMTP provider", "sqlite", samples, wall.elapsed(), verified))
}

fn count_ours(fake: &SmtpFake, committed: &HashMap<String, SystemTime>) -> usize {
    let mut ours: Vec<&str> = Vec::new();
    for m in fake.messages().all() {
        for r in &m.rcpt_to {
            if let Some((k, _)) = committed.get_key_value(r.as_str()) {
                ours.push(k.as_str());
            }
        }
    }
    ours.sort_unstable();
    ours.dedup();
    ours.len()
}
