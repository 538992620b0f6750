//! The compact availability answer says exactly what the full one says: same slots, same
//! times, same capacity — also on a day when the clocks go back and a local time happens twice.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// (start as an instant, end as an instant, practitioner, location, capacity left) of every slot
/// in the full answer.
fn from_full(full: &Value) -> BTreeSet<(i64, i64, String, String, u64)> {
    full["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let at = |k: &str| s[k].as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
            let id = |k: &str| s[k].as_str().unwrap().to_owned();
            (at("start"), at("end"), id("practitioner"), id("location"), s["capacity_left"].as_u64().unwrap())
        })
        .collect()
}

/// The same, rebuilt from the compact answer: date + local time + offset give the instant,
/// the service's duration the end.
fn from_compact(compact: &Value, capacity: u64) -> BTreeSet<(i64, i64, String, String, u64)> {
    let duration = compact["duration_min"].as_i64().unwrap() * 60;
    let mut out = BTreeSet::new();
    for g in compact["groups"].as_array().unwrap() {
        let starts = g["starts"].as_array().unwrap();
        let left = g.get("capacity_left").and_then(|l| l.as_array());
        assert_eq!(left.is_some(), capacity > 1, "capacity is listed for group services only: {g}");
        for (i, t) in starts.iter().enumerate() {
            let text =
                format!("{}T{}:00{}", g["date"].as_str().unwrap(), t.as_str().unwrap(), g["offset"].as_str().unwrap());
            let start = text.parse::<jiff::Timestamp>().unwrap().as_second();
            let cap = left.map_or(1, |l| l[i].as_u64().unwrap());
            let id = |k: &str| g[k].as_str().unwrap().to_owned();
            out.insert((start, start + duration, id("practitioner"), id("location"), cap));
        }
    }
    out
}

async fn both(app: &TestApp, slug: &str, service: &str, from: &str, to: &str) -> (Value, Value) {
    let q = format!("/clinics/{slug}/availability?service={service}&from={from}&to={to}");
    let (s, full) = app.get(&q).await;
    assert_eq!(s, StatusCode::OK, "{full}");
    let q = format!("/clinics/{slug}/availability/compact?service={service}&from={from}&to={to}");
    let (s, compact) = app.get(&q).await;
    assert_eq!(s, StatusCode::OK, "{compact}");
    (full, compact)
}

#[tokio::test]
async fn the_compact_answer_holds_exactly_the_full_answers_slots() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    // Something booked, so capacity differs between slots of the group service.
    let group = slots(&app, &seed, &seed.group, &day(2), Some(&seed.doctors[0])).await;
    let (s, _) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&group[0], "In Group")).await;
    assert_eq!(s, StatusCode::CREATED);
    for (service, capacity) in [(&seed.consult, 1), (&seed.group, 3)] {
        let (full, compact) = both(&app, &seed.slug, service, &day(1), &day(4)).await;
        let expected = from_full(&full);
        assert!(expected.len() > 50, "a real amount of slots: {}", expected.len());
        assert_eq!(from_compact(&compact, capacity), expected);
        let groups = compact["groups"].as_array().unwrap().len();
        assert_eq!(groups, 2 * 4, "one group per practitioner and day: {compact}");
        let (full_len, compact_len) = (full.to_string().len(), compact.to_string().len());
        assert!(compact_len * 5 < full_len, "compact: {compact_len} bytes, full: {full_len}");
    }
    // Bad input is refused the same way.
    let q = format!("/clinics/{}/availability/compact?service=nope&from={}&to={}", seed.slug, day(1), day(2));
    let (s, p) = app.get(&q).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("service")), "{p}");
    app.stop().await;
}

/// Paris falls back on 2027-10-31: 02:00–03:00 happens twice. The compact answer gives that
/// night two groups, one per offset, and still means exactly the same instants.
#[tokio::test]
async fn a_night_when_the_clocks_go_back_keeps_every_slot_unambiguous() {
    let app = spawn_app().await;
    let slug = format!("p{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (s, _) = app.post("/clinics", json!({ "slug": slug, "name": "Nuit" })).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, paris) =
        app.post(&format!("/clinics/{slug}/locations"), json!({ "name": "Paris", "time_zone": "Europe/Paris" })).await;
    let (_, doc) = app.post(&format!("/clinics/{slug}/practitioners"), json!({ "name": "Dr. Nuit" })).await;
    let (s, svc) = app
        .post(
            &format!("/clinics/{slug}/services"),
            json!({ "name": "Night", "duration_min": 30, "min_notice_min": 0, "horizon_days": 732 }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{svc}");
    let (s, r) = app
        .post(
            &format!("/clinics/{slug}/schedule/rules"),
            json!({ "practitioner": doc["id"], "location": paris["id"], "weekdays": ["sun"],
                    "start": "00:00", "end": "05:00", "valid_from": "2027-01-01" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (full, compact) = both(&app, &slug, svc["id"].as_str().unwrap(), "2027-10-31", "2027-10-31").await;
    let expected = from_full(&full);
    assert_eq!(expected.len(), 12, "five wall-clock hours, one of them twice: {full}");
    assert_eq!(from_compact(&compact, 1), expected);
    let offsets: Vec<&str> =
        compact["groups"].as_array().unwrap().iter().map(|g| g["offset"].as_str().unwrap()).collect();
    assert_eq!(offsets, vec!["+02:00", "+01:00"], "{compact}");
    app.stop().await;
}

/// A wide anonymous query over many practitioners on a fine grid (93 days × 20 practitioners
/// × a 5-minute grid, half a million slots, 130 MB as JSON before the bound) is answered with
/// a clear 422 `too-many-slots` in both forms, quickly; a narrower one is answered in full;
/// the compact form's bound is the higher one.
#[tokio::test]
async fn answers_are_bounded_in_slots() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, fine) = app
        .post(
            &format!("{c}/services"),
            json!({ "name": "Fine grid", "duration_min": 5, "slot_step_min": 5, "min_notice_min": 0 }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{fine}");
    let fine = fine["id"].as_str().unwrap().to_owned();
    let mut doctors = seed.doctors.clone();
    while doctors.len() < 20 {
        let (s, d) = app.post(&format!("{c}/practitioners"), json!({ "name": format!("Dr. {}", doctors.len()) })).await;
        assert_eq!(s, StatusCode::CREATED, "{d}");
        doctors.push(d["id"].as_str().unwrap().to_owned());
    }
    for d in &doctors[2..] {
        let (s, r) = app
            .post(
                &format!("{c}/schedule/rules"),
                json!({ "practitioner": d, "location": seed.tehran, "weekdays": ["mon","tue","wed","thu","fri","sat","sun"],
                        "start": "00:00", "end": "23:55", "valid_from": "2020-01-01" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let q = |form: &str, days: i64, who: Option<&str>| {
        let who = who.map(|p| format!("&practitioner={p}")).unwrap_or_default();
        format!("{}{c}/availability{form}?service={fine}&from={}&to={}{who}", app.api, day(1), day(days))
    };
    for form in ["", "/compact"] {
        let started = std::time::Instant::now();
        let res = app.anon.get(q(form, 93, None)).send().await.unwrap();
        let (s, p) = decode(res).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{form}: {p}");
        assert_eq!(p["type"], "urn:nobat:problem:too-many-slots", "{p}");
        assert_eq!(p["field"], "to", "{p}");
        assert!(p["detail"].as_str().unwrap().contains("fewer days"), "{p}");
        eprintln!("{form} 93 days × 20 practitioners refused in {:?}", started.elapsed());
    }
    // One practitioner for a week: ~2,000 slots, answered in full.
    let (s, week) = decode(app.anon.get(q("", 7, Some(&doctors[5]))).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{week}");
    assert!(week["slots"].as_array().unwrap().len() > 1_500, "a week on a 5-minute grid");
    // All twenty for two weeks: ~70,000 slots — over the full form's bound, within the compact's.
    let (s, p) = decode(app.anon.get(q("", 14, None)).send().await.unwrap()).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("urn:nobat:problem:too-many-slots")));
    let (s, compact) = decode(app.anon.get(q("/compact", 14, None)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "the compact form is the cheap path: {}", compact["detail"]);
    let n: usize = compact["groups"].as_array().unwrap().iter().map(|g| g["starts"].as_array().unwrap().len()).sum();
    assert!(n > 50_000, "{n} slots in the compact answer");
    app.stop().await;
}
