use nobat_testkit::SmartFeed;
use serde_json::{Value, json};

use crate::client;

async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let (s, h) = (r.status().as_u16(), r.headers().clone());
    (s, h, r.text().await.expect("body"))
}

#[tokio::test]
async fn manifest_and_files_round_trip_the_real_example_feed() {
    let feed = SmartFeed::start_with_fixtures().await.expect("start");
    let (s, h, body) = get(&feed.manifest_url(), &[]).await;
    assert_eq!(s, 200);
    assert!(h.contains_key("etag") && h.contains_key("last-modified"));
    let manifest: Value = serde_json::from_str(&body).expect("json");
    let output = manifest["output"].as_array().expect("output");
    assert_eq!(output.len(), 7);
    assert!(manifest["transactionTime"].as_str().expect("time").ends_with('Z'));
    let mut counts = std::collections::BTreeMap::new();
    for o in output {
        let url = o["url"].as_str().expect("url");
        assert!(url.starts_with(&feed.url()), "absolute URL on the fake: {url}");
        let (s, h, ndjson) = get(url, &[]).await;
        assert_eq!(s, 200);
        assert_eq!(h["content-type"], "application/fhir+ndjson");
        for line in ndjson.lines().filter(|l| !l.trim().is_empty()) {
            let r: Value = serde_json::from_str(line).expect("ndjson line");
            assert_eq!(r["resourceType"], o["type"]);
            *counts.entry(o["type"].as_str().expect("type").to_owned()).or_insert(0) += 1;
        }
    }
    assert_eq!(counts["Location"], 10);
    assert_eq!(counts["Schedule"], 10);
    assert!(counts["Slot"] > 250, "{counts:?}");
}

#[tokio::test]
async fn conditional_requests_since_and_changes_between_polls() {
    let feed = SmartFeed::start_with_fixtures().await.expect("start");
    feed.set_max_age(Some(60));
    let url = feed.manifest_url();
    let (_, h, body) = get(&url, &[]).await;
    assert_eq!(h["cache-control"], "max-age=60");
    let etag = h["etag"].to_str().expect("etag").to_owned();
    let last_modified = h["last-modified"].to_str().expect("date").to_owned();
    let first: Value = serde_json::from_str(&body).expect("json");
    let since = first["transactionTime"].as_str().expect("time").to_owned();
    assert_eq!(get(&url, &[("if-none-match", &etag)]).await.0, 304);
    assert_eq!(get(&url, &[("if-modified-since", &last_modified)]).await.0, 304);
    let slots = format!("{}/slots-2021-W09.ndjson", feed.url());
    let (_, h, _) = get(&slots, &[]).await;
    let slots_etag = h["etag"].to_str().expect("etag").to_owned();
    assert_eq!(get(&slots, &[("if-none-match", &slots_etag)]).await.0, 304);

    // Nothing changed since: an empty output.
    let (_, _, body) = get(&format!("{url}?_since={since}"), &[]).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["output"], json!([]));

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert!(feed.set_slot_status("20", "busy"));
    let (s, _, _) = get(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(s, 200, "the manifest changed");
    let (s, _, body) = get(&slots, &[("if-none-match", &slots_etag)]).await;
    assert_eq!(s, 200, "the slot file changed");
    assert!(body.lines().any(|l| l.contains(r#""id":"20""#) && l.contains(r#""status":"busy""#)));
    let (_, _, body) = get(&format!("{url}?_since={since}"), &[]).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    let changed: Vec<&str> =
        v["output"].as_array().expect("output").iter().map(|o| o["url"].as_str().expect("url")).collect();
    assert_eq!(changed, [slots.as_str()]);
    assert_eq!(get(&format!("{url}?_since=yesterday"), &[]).await.0, 400);

    // Corrupt lines are served as given, so importers can be tested on them.
    feed.edit_file("locations.ndjson", |b| format!("{b}\n{{not json\n"));
    let (_, _, body) = get(&format!("{}/locations.ndjson", feed.url()), &[]).await;
    assert!(body.ends_with("{not json\n"));
    feed.remove_file("slots-2021-W13.ndjson");
    assert_eq!(get(&format!("{}/slots-2021-W13.ndjson", feed.url()), &[]).await.0, 404);
    assert!(feed.polls("/$bulk-publish") >= 6);
}

#[tokio::test]
async fn fhir_slot_search_returns_a_searchset_bundle() {
    let feed = SmartFeed::start_with_fixtures().await.expect("start");
    let (s, h, body) = get(&format!("{}/Slot?status=free", feed.url()), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(h["content-type"], "application/fhir+json");
    let b: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(b["resourceType"], json!("Bundle"));
    assert_eq!(b["type"], json!("searchset"));
    let total = b["total"].as_u64().expect("total");
    assert!(total > 0);
    assert!(b["entry"].as_array().expect("entries").iter().all(|e| e["resource"]["status"] == json!("free")));
    feed.set_slot_status("20", "busy");
    let (_, _, body) = get(&format!("{}/Slot?status=free", feed.url()), &[]).await;
    let b: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(b["total"].as_u64(), Some(total - 1));
    feed.fail_next(1, 503);
    assert_eq!(get(&feed.manifest_url(), &[]).await.0, 503);
}

#[tokio::test]
async fn the_messy_feed_has_each_defect_it_promises() {
    let monday = "2031-03-03T09:00:00Z".parse().expect("instant");
    let (feed, messy) = SmartFeed::start_messy(monday).await.expect("start");
    let (_, _, body) = get(&feed.manifest_url(), &[]).await;
    let manifest: Value = serde_json::from_str(&body).expect("json");
    let mut bad = 0;
    let mut resources = Vec::new();
    for o in manifest["output"].as_array().expect("output") {
        let (_, _, ndjson) = get(o["url"].as_str().expect("url"), &[]).await;
        for line in ndjson.lines() {
            match serde_json::from_str::<Value>(line) {
                Ok(v) => resources.push(v),
                Err(_) => bad += 1,
            }
        }
    }
    assert_eq!(bad, messy.bad_lines);
    let by_id =
        |id: &str| resources.iter().find(|r| r["id"] == json!(id)).unwrap_or_else(|| panic!("{id} served")).clone();
    assert_eq!(by_id("S-multi")["actor"][1]["reference"], json!("Location/L-null"));
    assert_eq!(by_id("slot-ok")["start"], json!("2031-03-03T09:00:00+00:00"));
    assert_eq!(by_id("slot-nosec")["start"], json!("2031-03-03T11:00+00:00"));
    assert_eq!(by_id("slot-nosec")["end"], json!("2031-03-03T11:30"));
    assert!(by_id("slot-nostart").get("start").is_none());
    let with_links = by_id("slot-links");
    let links: Vec<&Value> = with_links["extension"]
        .as_array()
        .expect("ext")
        .iter()
        .filter(|e| e["url"].as_str().is_some_and(|u| u.ends_with("booking-deep-link")))
        .collect();
    assert_eq!(links.len(), 2);
    for id in messy.usable_free_slots.iter().chain(&messy.busy_slots) {
        by_id(id);
    }
    for (id, _) in &messy.skipped_slots {
        by_id(id);
    }
    assert!(feed.min_poll_interval("/$bulk-publish").is_none(), "polled once");
}
