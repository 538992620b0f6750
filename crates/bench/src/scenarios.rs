//! The scenarios of the performance issue, each returning its figures after checking what the
//! server answered against the database.

use crate::client::{Api, Clinic};
use crate::stats::{Figures, figures};
use crate::verify;
use anyhow::ensure;
use futures::future::join_all;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use rand::seq::SliceRandom;
use serde_json::json;
use sqlx::AnyPool;
use std::time::{Duration, Instant};

pub struct Ctx<'a> {
    /// One API handle per server process; clients spread over them round-robin.
    pub apis: &'a [Api],
    pub db: &'a AnyPool,
    pub engine: &'a str,
    pub tag: String,
    pub scale: f64,
}

impl Ctx<'_> {
    fn api(&self, i: usize) -> &Api {
        &self.apis[i % self.apis.len()]
    }
    fn n(&self, full: usize) -> usize {
        ((full as f64 * self.scale) as usize).max(1)
    }
}

fn tomorrow_utc() -> Date {
    Timestamp::now()
        .to_zoned(TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap_or_else(|_| Timestamp::now().to_zoned(TimeZone::UTC).date())
}

fn midnight(d: Date) -> Timestamp {
    d.to_zoned(TimeZone::UTC).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn five_minutes() -> serde_json::Value {
    json!({ "name": "Quick check", "duration_min": 5, "slot_step_min": 5, "min_notice_min": 0, "horizon_days": 400 })
}

/// Availability for one practitioner over 30 days with 2,000 booked appointments, then for
/// 50 practitioners over 14 days. Latency is measured with one client (no queueing), then
/// throughput with 8.
pub async fn availability(ctx: &Ctx<'_>) -> anyhow::Result<Vec<Figures>> {
    let api = ctx.api(0);
    let mut out = Vec::new();

    // 1 practitioner × 30 days, 08:00–20:00 every day, 5-minute slots: 4,320 a month.
    let one = api.seed(&format!("avail1-{}", ctx.tag), "Asia/Tehran", 1, five_minutes(), ("08:00", "20:00")).await?;
    let from = tomorrow_utc();
    let to = from.checked_add(29.days())?;
    let starts = api.slot_starts(&one, &one.practitioners[0], from, to).await?;
    let booked: Vec<Timestamp> = starts.iter().step_by(2).take(2000).copied().collect();
    let results = join_all(booked.chunks(booked.len().div_ceil(32)).enumerate().map(|(i, chunk)| {
        let (api, one) = (ctx.api(i).clone(), &one);
        async move {
            let mut ok = 0;
            for s in chunk {
                if api.book(one, &one.practitioners[0], *s, "Load").await.0 == 201 {
                    ok += 1;
                }
            }
            ok
        }
    }))
    .await;
    let loaded: usize = results.iter().sum();
    ensure!(loaded == booked.len(), "loading: {loaded} of {} bookings succeeded", booked.len());
    let (n, _) = api.availability(&one, from, to).await?;
    ensure!(n == starts.len() - loaded, "availability shows {n} slots, expected {}", starts.len() - loaded);
    let verified = format!("{n} free slots = {} offered − {loaded} booked", starts.len());
    out.push(
        timed_availability(ctx, "availability 1 prac × 30 d (1 client)", &one, from, to, 1, ctx.n(1000), &verified)
            .await?,
    );
    out.push(
        timed_availability(ctx, "availability 1 prac × 30 d (8 clients)", &one, from, to, 8, ctx.n(2000), &verified)
            .await?,
    );
    let (c, _) = api.availability_as(&one, from, to, true).await?;
    ensure!(c == n, "the compact answer holds {c} slots, the full one {n}");
    out.push(
        timed_availability(
            ctx,
            "availability compact 1 prac × 30 d (1 client)",
            &one,
            from,
            to,
            1,
            ctx.n(1000),
            &verified,
        )
        .await?,
    );

    // 50 practitioners × 14 days, 09:00–17:00, 30-minute slots.
    let svc = json!({ "name": "Consultation", "duration_min": 30, "min_notice_min": 0, "horizon_days": 400 });
    let fifty = api.seed(&format!("avail50-{}", ctx.tag), "Africa/Casablanca", 50, svc, ("09:00", "17:00")).await?;
    let to14 = from.checked_add(13.days())?;
    let (n, _) = api.availability(&fifty, from, to14).await?;
    let verified = format!("{n} slots");
    out.push(
        timed_availability(ctx, "availability 50 prac × 14 d (1 client)", &fifty, from, to14, 1, ctx.n(300), &verified)
            .await?,
    );
    // The same 50 × 14 days as a FHIR Slot search: the same core, answered as Slot resources.
    let (f, _) = api.fhir_slots(&fifty, from, to14).await?;
    ensure!(f == n, "FHIR Slot search finds {f} slots, REST availability {n}");
    out.push(
        timed_availability(
            ctx,
            "FHIR Slot search 50 prac × 14 d (1 client)",
            &fifty,
            from,
            to14,
            1,
            ctx.n(300),
            &format!("{f} Slot resources = REST's {n}"),
        )
        .await?,
    );
    out.push(
        timed_availability(
            ctx,
            "availability 50 prac × 14 d (8 clients)",
            &fifty,
            from,
            to14,
            8,
            ctx.n(600),
            &verified,
        )
        .await?,
    );
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn timed_availability(
    ctx: &Ctx<'_>,
    name: &str,
    clinic: &Clinic,
    from: Date,
    to: Date,
    clients: usize,
    total: usize,
    verified: &str,
) -> anyhow::Result<Figures> {
    let compact = name.contains("compact");
    let fhir = name.starts_with("FHIR");
    let query = |api: Api| async move {
        if fhir { api.fhir_slots(clinic, from, to).await } else { api.availability_as(clinic, from, to, compact).await }
    };
    // Warm up connections and caches.
    for i in 0..clients.max(4) {
        query(ctx.api(i).clone()).await?;
    }
    let wall = Instant::now();
    let per = total.div_ceil(clients);
    let samples = join_all((0..clients).map(|c| {
        let api = ctx.api(c).clone();
        async move {
            let mut v = Vec::with_capacity(per);
            for _ in 0..per {
                if let Ok((_, d)) = query(api.clone()).await {
                    v.push(d);
                }
            }
            v
        }
    }))
    .await
    .concat();
    let wall = wall.elapsed();
    ensure!(samples.len() == per * clients, "some availability requests failed");
    Ok(figures(name, ctx.engine, samples, wall, verified.to_owned()))
}

/// 64 clients each book distinct free slots (their own practitioner's day, in order).
pub async fn spread(ctx: &Ctx<'_>, name: &str) -> anyhow::Result<Figures> {
    let clients = 64;
    let per_client = ctx.n(300);
    let clinic =
        ctx.api(0).seed(&format!("spread-{}", ctx.tag), "UTC", clients, five_minutes(), ("00:00", "24:00")).await?;
    let day0 = midnight(tomorrow_utc());
    let wall = Instant::now();
    let results = join_all((0..clients).map(|c| {
        let (api, clinic) = (ctx.api(c).clone(), &clinic);
        async move {
            let mut samples = Vec::with_capacity(per_client);
            let mut ids = Vec::with_capacity(per_client);
            let mut failures = 0;
            for k in 0..per_client {
                let start = day0 + SignedDuration::from_mins(5 * k as i64);
                let (status, id, took) = api.book(clinic, &clinic.practitioners[c], start, "Spread").await;
                samples.push(took);
                match (status, id) {
                    (201, Some(id)) => ids.push(id),
                    _ => failures += 1,
                }
            }
            (samples, ids, failures)
        }
    }))
    .await;
    let wall = wall.elapsed();
    let failures: usize = results.iter().map(|r| r.2).sum();
    ensure!(failures == 0, "{failures} spread bookings failed (every slot was free)");
    let ids: Vec<String> = results.iter().flat_map(|r| r.1.clone()).collect();
    let samples: Vec<Duration> = results.into_iter().flat_map(|r| r.0).collect();
    let verified = verify::bookings(ctx.db, &clinic.id, &ids).await?;
    Ok(figures(name, ctx.engine, samples, wall, verified))
}

/// 64 clients fight over 500 capacity-1 slots, each trying every slot in its own order.
pub async fn contention(ctx: &Ctx<'_>, name: &str) -> anyhow::Result<Figures> {
    let clients = 64;
    let slots = 500;
    let clinic =
        ctx.api(0).seed(&format!("contention-{}", ctx.tag), "UTC", 1, five_minutes(), ("00:00", "24:00")).await?;
    let day0 = midnight(tomorrow_utc());
    let starts: Vec<Timestamp> = (0..slots).map(|k| day0 + SignedDuration::from_mins(5 * k as i64)).collect();
    let wall = Instant::now();
    let results = join_all((0..clients).map(|c| {
        let (api, clinic) = (ctx.api(c).clone(), &clinic);
        let mut order = starts.clone();
        order.shuffle(&mut rand::rng());
        async move {
            let (mut samples, mut won, mut lost, mut other) = (Vec::with_capacity(slots), Vec::new(), 0, 0);
            for s in order {
                let (status, id, took) = api.book(clinic, &clinic.practitioners[0], s, "Contender").await;
                samples.push(took);
                match (status, id) {
                    (201, Some(id)) => won.push(id),
                    (409, _) => lost += 1,
                    _ => other += 1,
                }
            }
            (samples, won, lost, other)
        }
    }))
    .await;
    let wall = wall.elapsed();
    let won: Vec<String> = results.iter().flat_map(|r| r.1.clone()).collect();
    let lost: usize = results.iter().map(|r| r.2).sum();
    let other: usize = results.iter().map(|r| r.3).sum();
    ensure!(won.len() == slots, "{} slots sold, capacity is {slots}", won.len());
    ensure!(other == 0 && lost == clients * slots - slots, "{lost} got 409 and {other} something else");
    let samples: Vec<Duration> = results.into_iter().flat_map(|r| r.0).collect();
    let verified =
        format!("{} sold of {slots}, {lost} × 409; {}", won.len(), verify::bookings(ctx.db, &clinic.id, &won).await?);
    Ok(figures(name, ctx.engine, samples, wall, verified))
}
