//! Issue 13: with 100,000 active watches, how long from a cancellation (its 200 answer: the
//! commit is done) until the first offer is handed to the channel (the fake SMTP server has
//! it)? And what does creating a watch cost?
//!
//! A server started with `NOBAT_SMTP_URL` at the testkit's fake SMTP server; one clinic (UTC,
//! one practitioner open all day, 30-minute consultations). `n` watches are created through
//! the API and timed; then 100,000 offer watches (scaled) are written straight into the
//! database — random windows of 1–7 days over the next 30, random weekdays and times, so the
//! candidate index has real work — and, for each measured slot, one more watcher that wants
//! exactly that slot, created last (so every slot has someone in line). Each slot is booked,
//! then cancelled one at a time; the delay is the cancellation's answer → the first offer
//! (to whoever is first in line) at the fake SMTP server. Every measured slot must produce
//! exactly one offer mail.

use crate::client::Api;
use crate::server::Server;
use crate::stats::{Figures, figures};
use anyhow::ensure;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use nobat_testkit::smtp::SmtpFake;
use rand::Rng;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime};

pub async fn watches(nobat: &std::path::Path, scale: f64) -> anyhow::Result<(Figures, Figures)> {
    let total = ((100_000.0 * scale) as usize).max(1000);
    let measured = ((50.0 * scale.sqrt()) as usize).clamp(10, 100);
    let fake = SmtpFake::start().await?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("watches.sqlite3").display());
    let srv = Server::start_with_env(nobat, dir.path(), &url, &[("NOBAT_SMTP_URL", fake.url())]).await?;
    let api = Api::new(srv.api()).await?;
    let consult = json!({ "name": "Consult", "duration_min": 30, "min_notice_min": 0, "horizon_days": 400 });
    let clinic = api.seed("watches", "UTC", 1, consult, ("00:00", "24:00")).await?;
    let db = crate::verify::connect(&url).await?;
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();

    // The cost of creating a watch, through the API.
    let creates = 200;
    let mut create_samples = Vec::with_capacity(creates);
    let wall = Instant::now();
    for i in 0..creates {
        let body = json!({
            "service": clinic.service, "from": today.checked_add(jiff::Span::new().days(40))?.to_string(),
            "to": today.checked_add(jiff::Span::new().days(45))?.to_string(), "mode": "notify",
            "times": [{ "from": "09:00", "to": "12:00" }],
            "patient": { "name": format!("Creator {i}"), "email": format!("creator-{i}@bench.nobat.test") }
        });
        let t = Instant::now();
        let (s, b) = api.post(&format!("/clinics/{}/watches", clinic.slug), &body).await?;
        ensure!(s == 201, "creating a watch answered {s}: {b}");
        create_samples.push(t.elapsed());
    }
    let create = figures(
        "watches: create a watch (API)",
        "sqlite",
        create_samples,
        wall.elapsed(),
        format!("{creates} watches created, each 201"),
    );

    // 100,000 active offer watches, written in bulk.
    let now = Timestamp::now().as_microsecond();
    let mut rng = rand::rng();
    let mut rows = Vec::with_capacity(total);
    for i in 0..total {
        let from = today.checked_add(jiff::Span::new().days(rng.random_range(0..30)))?;
        let to = from.checked_add(jiff::Span::new().days(rng.random_range(0..7)))?;
        let h = rng.random_range(0..20);
        let end = h + rng.random_range(1..4);
        let times = format!("[[\"{h:02}:00\",\"{end:02}:00\"]]");
        let weekdays = if rng.random_bool(0.5) { String::new() } else { format!("{}", rng.random_range(1..8)) };
        rows.push((i, from, to, times, weekdays, (h * 60, end * 60)));
    }
    // A schema with the time-of-day envelope (migration 0026) gets it filled as the API fills
    // it; an older server's schema (a "before" run) has no such columns.
    let (envelope,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM pragma_table_info('watches') WHERE name = 'tod_from'")
            .fetch_one(&db)
            .await?;
    for chunk in rows.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO watches (clinic_id, id, service_id, practitioner_id, locations, from_date, to_date, weekdays, \
             times, starts_at_us, ends_at_us, mode, status, patient_name, email, token_hash, contact_verified, \
             created_at_us, updated_at_us",
        );
        sql.push_str(if envelope > 0 { ", tod_from, tod_to) VALUES " } else { ") VALUES " });
        for (k, (i, from, to, times, weekdays, tod)) in chunk.iter().enumerate() {
            let start = from.to_zoned(TimeZone::UTC)?.timestamp().as_microsecond();
            let end = to.tomorrow()?.to_zoned(TimeZone::UTC)?.timestamp().as_microsecond();
            if k > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{c}', 'bulk-{i}', '{s}', NULL, '', '{from}', '{to}', '{weekdays}', '{times}', {start}, {end}, \
                 'offer', 'active', 'Bulk {i}', 'bulk-{i}@bench.nobat.test', 'bulk-hash-{i}', 1, {at}, {at}{env})",
                c = clinic.id,
                s = clinic.service,
                at = now + *i as i64,
                env = if envelope > 0 { format!(", {}, {}", tod.0, tod.1) } else { String::new() },
            ));
        }
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&db).await?;
    }

    // The measured slots: day 31 (past every bulk window's start, so only the dedicated
    // watcher's criteria match exactly), one every 30 minutes from 08:00.
    let day = today.checked_add(jiff::Span::new().days(31))?;
    let base = day.at(8, 0, 0, 0).to_zoned(TimeZone::UTC)?.timestamp();
    let mut booked = Vec::with_capacity(measured);
    for k in 0..measured {
        let start = base + SignedDuration::from_mins(30 * k as i64);
        let hm = start.to_zoned(TimeZone::UTC).strftime("%H:%M").to_string();
        let end_hm = (start + SignedDuration::from_mins(1)).to_zoned(TimeZone::UTC).strftime("%H:%M").to_string();
        let body = json!({
            "service": clinic.service, "practitioner": clinic.practitioners[0], "start": start.to_string(),
            "patient": { "name": format!("Taken {k}"), "phone": "+905321112233" }
        });
        let (s, b) = api.post(&format!("/clinics/{}/appointments", clinic.slug), &body).await?;
        ensure!(s == 201, "booking answered {s}: {b}");
        let email = format!("slot-{k}@bench.nobat.test");
        let w = json!({
            "service": clinic.service, "from": day.to_string(), "to": day.to_string(), "mode": "offer",
            "times": [{ "from": hm, "to": end_hm }], "patient": { "name": format!("Slot {k}"), "email": email }
        });
        let (s, b) = api.post(&format!("/clinics/{}/watches", clinic.slug), &w).await?;
        ensure!(s == 201, "creating a watch answered {s}: {b}");
        ensure!(b["token"].is_string(), "a watch answer without its token: {b}");
        booked.push(email);
    }
    // Let the server digest the set-up's events before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let appointments: Vec<String> = {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM appointments WHERE clinic_id = $1 AND occupies = 1 ORDER BY start_us")
                .bind(&clinic.id)
                .fetch_all(&db)
                .await?;
        rows.into_iter().map(|r| r.0).collect()
    };
    ensure!(appointments.len() == measured, "{} appointments", appointments.len());
    let mut samples = Vec::with_capacity(measured);
    let wall = Instant::now();
    for (k, id) in appointments.iter().enumerate() {
        let before = fake.messages().len();
        let (s, b) = api
            .staff_post(
                &format!("/clinics/{}/appointments/{id}/cancel", clinic.slug),
                &json!({ "staff_override": true }),
            )
            .await?;
        ensure!(s == 200, "cancelling answered {s}: {b}");
        let answered = SystemTime::now();
        let until = Instant::now() + Duration::from_secs(30);
        // The first offer for this slot, whoever is first in line for it.
        let arrived = loop {
            if let Some(m) = fake.messages().all().get(before) {
                break m.received_at;
            }
            ensure!(Instant::now() < until, "no offer for slot {k} within 30 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        samples.push(arrived.duration_since(answered).unwrap_or(Duration::ZERO));
    }
    let wall = wall.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let offers = fake.messages().len();
    let bulk = fake.messages().all().iter().filter(|m| m.rcpt_to.iter().any(|r| r.starts_with("bulk-"))).count();
    ensure!(offers == measured, "{offers} offer mails for {measured} slots");
    let verified = format!(
        "{total} active bulk watches + {measured} slot watchers; {measured} cancellations → {offers} offers, one each \
         ({bulk} to bulk watchers first in line)"
    );
    Ok((create, figures("watches: cancellation → first offer at SMTP", "sqlite", samples, wall, verified)))
}
