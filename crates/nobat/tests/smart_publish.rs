//! Our own SMART Scheduling Links publication (issue 16): computed from the rules, free and busy
//! slots with capacity, strict timestamps, deep links to the booking page, ETag / 304 /
//! `_since` / `max-age`, current as bookings change — and read back by our own consumer
//! unchanged.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

async fn app() -> TestApp {
    spawn_with(|c| {
        c.smart.horizon_days = 3;
        c.sources.min_poll_seconds = 1;
        c.sources.poll_seconds = 1;
    })
    .await
}

async fn fetch(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = app.anon.get(format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    let (s, h) = (res.status(), res.headers().clone());
    (s, h, res.text().await.unwrap())
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `2026-12-01T09:00:00+03:30`: seconds and an offset, nothing else.
fn strict(t: &str) -> bool {
    let b = t.as_bytes();
    t.len() == 25
        && b[10] == b'T'
        && b[16] == b':'
        && b[19] != b'.'
        && (b[19] == b'+' || b[19] == b'-')
        && b[22] == b':'
}

#[tokio::test]
async fn the_publication_is_strict_current_and_conditional() {
    let app = app().await;
    let seed = seed(&app).await;
    let base = format!("/smart/{}", seed.slug);
    let (s, h, text) = fetch(&app, &format!("{base}/$bulk-publish"), &[]).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert_eq!(h["cache-control"], "public, max-age=300");
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let outputs = manifest["output"].as_array().unwrap();
    let types: Vec<&str> = outputs.iter().map(|o| o["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["Location", "Schedule", "Slot"]);
    assert!(outputs.iter().all(|o| o["url"].as_str().unwrap().starts_with(&format!("{}{base}/", app.base))));
    assert!(manifest["request"].as_str().unwrap().ends_with("/$bulk-publish"));
    let etag = h["etag"].to_str().unwrap().to_owned();
    let (s, _, body) = fetch(&app, &format!("{base}/$bulk-publish"), &[("if-none-match", &etag)]).await;
    assert_eq!((s, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
    // `_since` after the last change: nothing listed; a bad one is refused naming it.
    let since = manifest["transactionTime"].as_str().unwrap();
    let (_, _, later) = fetch(&app, &format!("{base}/$bulk-publish?_since={since}"), &[]).await;
    assert_eq!(serde_json::from_str::<Value>(&later).unwrap()["output"], json!([]), "{later}");
    let (s, _, bad) = fetch(&app, &format!("{base}/$bulk-publish?_since=yesterday"), &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.contains("_since"));

    let (s, h, locations) = fetch(&app, &format!("{base}/locations.ndjson"), &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/fhir+ndjson");
    assert_eq!(lines(&locations).len(), 2);
    let (_, _, schedules) = fetch(&app, &format!("{base}/schedules.ndjson"), &[]).await;
    let schedules = lines(&schedules);
    // Two doctors in Tehran × two services.
    assert_eq!(schedules.len(), 4, "{schedules:?}");
    assert!(schedules.iter().all(|s| s["actor"][0]["reference"].as_str().unwrap().starts_with("Location/")));
    let (_, h, slots_text) = fetch(&app, &format!("{base}/slots.ndjson"), &[]).await;
    let slots = lines(&slots_text);
    assert!(slots.iter().all(|s| strict(s["start"].as_str().unwrap()) && strict(s["end"].as_str().unwrap())));
    assert!(slots.iter().all(|s| s["start"].as_str().unwrap().ends_with("+03:30")), "Tehran's offset");
    assert!(slots.iter().all(|s| s["id"].as_str().unwrap().len() <= 64));
    let free: Vec<&Value> = slots.iter().filter(|s| s["status"] == "free").collect();
    assert!(slots.iter().all(|s| s["status"] == "free"), "nothing booked yet");
    // As many free slots as the booking API offers over the horizon, for both services.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut offered = 0;
    for service in [&seed.consult, &seed.group] {
        let to = today.checked_add(jiff::ToSpan::days(3)).unwrap();
        let (s, body) =
            app.get(&format!("/clinics/{}/availability?service={service}&from={today}&to={to}", seed.slug)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        offered += body["slots"].as_array().unwrap().len();
    }
    assert_eq!(free.len(), offered);
    let link = free[0]["extension"][0]["valueUrl"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/c/{}?service=", app.base, seed.slug)), "{link}");
    assert!(link.contains("&practitioner=") && link.contains("&start=") && link.contains("%2B03%3A30"), "{link}");
    let group_free = free.iter().find(|s| s["extension"][1]["valueInteger"] == 3);
    assert!(group_free.is_some(), "the group session publishes its capacity");

    // A booking makes its slot busy in the next answer, with a new ETag.
    let slot = &common::slots(
        &app,
        &seed,
        &seed.consult,
        &(today.checked_add(jiff::ToSpan::days(1)).unwrap()).to_string(),
        None,
    )
    .await[0];
    let (s, booked) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(slot, "Ada")).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let old_etag = h["etag"].to_str().unwrap().to_owned();
    let (s, h, after) = fetch(&app, &format!("{base}/slots.ndjson"), &[("if-none-match", &old_etag)]).await;
    assert_eq!(s, StatusCode::OK, "changed, so not 304");
    assert_ne!(h["etag"].to_str().unwrap(), old_etag);
    let after = lines(&after);
    let busy: Vec<&Value> = after.iter().filter(|s| s["status"] == "busy").collect();
    // The practitioner is taken for both services at that time: the consultation and the
    // group session (its whole capacity) turn busy.
    assert_eq!(busy.len(), 2, "{busy:?}");
    let start: jiff::Timestamp = slot["start"].as_str().unwrap().parse().unwrap();
    for b in &busy {
        assert_eq!(b["start"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap(), start);
    }
    let capacities: BTreeSet<u64> = busy.iter().map(|b| b["extension"][0]["valueInteger"].as_u64().unwrap()).collect();
    assert_eq!(capacities, BTreeSet::from([1, 3]));
    assert_eq!(after.iter().filter(|s| s["status"] == "free").count(), free.len() - 2);
    assert!(!after.to_owned().iter().any(|s| s.to_string().contains("Ada")), "no patient data");
    // The manifest lists the files again for a `_since` before the booking.
    let (_, _, listed) = fetch(&app, &format!("{base}/$bulk-publish?_since={since}"), &[]).await;
    assert_eq!(serde_json::from_str::<Value>(&listed).unwrap()["output"].as_array().unwrap().len(), 3, "{listed}");
}

#[tokio::test]
async fn our_own_publication_is_read_back_unchanged_by_our_own_consumer() {
    let app = app().await;
    let seed = seed(&app).await;
    // A phone typed the national way in an Iranian clinic is stored (and published) in E.164;
    // one that cannot exist is refused naming the field.
    let clinic = format!("/clinics/{}", seed.slug);
    let (s, body) = app.patch(&clinic, json!({ "country": "IR" })).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = app.patch(&format!("{clinic}/locations/{}", seed.tehran), json!({ "phone": "12345" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("phone"), "{body}");
    let (s, body) =
        app.patch(&format!("{clinic}/locations/{}", seed.tehran), json!({ "phone": "021 8877 6655" })).await;
    assert_eq!((s, body["phone"].as_str()), (StatusCode::OK, Some("+982188776655")), "{body}");
    let (_, _, text) = fetch(&app, &format!("/smart/{}/locations.ndjson", seed.slug), &[]).await;
    let tehran = lines(&text).into_iter().find(|l| l["id"] == seed.tehran.as_str()).unwrap();
    assert_eq!(tehran["telecom"][0], json!({ "system": "phone", "value": "+982188776655" }), "{tehran}");
    let (_, _, fhir) = fetch(&app, &format!("/fhir/{}/Location/{}", seed.slug, seed.tehran), &[]).await;
    let fhir: Value = serde_json::from_str(&fhir).unwrap();
    assert_eq!(fhir["telecom"][0]["value"], "+982188776655", "{fhir}");

    let base = format!("{}/smart/{}", app.base, seed.slug);
    let (s, body) = app.post("/sources", json!({ "kind": "smart", "url": format!("{base}/$bulk-publish") })).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap();
    let started = Instant::now();
    let status = loop {
        let (_, st) = app.get(&format!("/sources/{id}")).await;
        if st["last_change"].is_string() {
            break st;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status["skipped_count"], 0, "our publication is clean: {status}");
    let (_, _, text) = fetch(&app, &format!("/smart/{}/slots.ndjson", seed.slug), &[]).await;
    let ext = |s: &Value, url: &str| -> Value {
        s["extension"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["url"].as_str().unwrap().ends_with(url))
            .cloned()
            .unwrap_or_default()
    };
    type Row = (String, jiff::Timestamp, u64, String, Option<String>);
    let published: BTreeSet<Row> = lines(&text)
        .iter()
        .filter(|s| s["status"] == "free")
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["start"].as_str().unwrap().parse().unwrap(),
                ext(s, "slot-capacity")["valueInteger"].as_u64().unwrap(),
                ext(s, "booking-deep-link")["valueUrl"].as_str().unwrap().to_owned(),
                ext(s, "booking-phone")["valueString"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let (s, body) = app.get(&format!("/sources/{id}/slots?from=2000-01-01&to=2100-01-01")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let imported: BTreeSet<Row> = body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["start"].as_str().unwrap().parse().unwrap(),
                s["capacity"].as_u64().unwrap(),
                s["booking_links"][0].as_str().unwrap().to_owned(),
                s["booking_phone"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert!(!published.is_empty());
    // The seed's rules are all at Tehran: every free slot carries its number.
    let phones: BTreeSet<Option<String>> = published.iter().map(|r| r.4.clone()).collect();
    assert_eq!(phones, BTreeSet::from([Some("+982188776655".to_owned())]), "{phones:?}");
    assert_eq!(imported, published);
}

/// The published `booking-deep-link` is the booking page that places a hold when opened: the
/// link as written in `slots.ndjson` (an offset instant, percent-encoded) redirects to the
/// details form with a hold, and the next publication no longer offers that slot free.
#[tokio::test]
async fn the_published_deep_link_holds_its_slot_when_opened() {
    let app = app().await;
    let seed = seed(&app).await;
    let file = format!("/smart/{}/slots.ndjson", seed.slug);
    let (_, _, text) = fetch(&app, &file, &[]).await;
    let consult = |s: &Value| s["status"] == "free" && s["extension"].to_string().contains(&seed.consult);
    let slot = lines(&text).into_iter().find(consult).unwrap();
    let link = slot["extension"][0]["valueUrl"].as_str().unwrap().to_owned();
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = browser.get(&link).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{link}");
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("/details?hold="), "{to}");
    let (_, _, after) = fetch(&app, &file, &[]).await;
    let now = lines(&after);
    assert!(!now.iter().any(|s| s["id"] == slot["id"]), "the held slot is no longer published free");
    assert!(
        now.iter()
            .any(|s| s["id"].as_str() == Some(&format!("{}-b", slot["id"].as_str().unwrap())) && s["status"] == "busy"),
        "it is published busy"
    );
}
