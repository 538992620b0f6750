//! Watches on an outside publisher's slots (issue 13): served from a loopback SMART feed, then
//! changed; the right watcher is told exactly once per slot, with the publisher's deep link
//! (our `source` and `booking-referral` merged into its query) or its phone; the others, and the
//! same slot freeing again, tell nobody.
#![allow(clippy::unwrap_used)]

use crate::common;

use crate::watches::{free_ids, wait_until};
use common::*;
use nobat_testkit::{SmartFeed, SmtpFake};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn watch(location: &str, from: &str, to: &str, email: &str, times: Option<Value>) -> Value {
    let mut w = json!({
        "location": location, "from": from, "to": to, "mode": "notify",
        "patient": { "name": "Sara", "email": email, "language": "fr" },
    });
    if let Some(t) = times {
        w["times"] = t;
    }
    w
}

#[tokio::test]
async fn the_right_watcher_is_told_once_per_slot_with_the_publishers_link() {
    let smtp = SmtpFake::start().await.unwrap();
    let day =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().checked_add(jiff::ToSpan::days(7)).unwrap();
    let day_start = day.at(9, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
    let (feed, _) = SmartFeed::start_messy(day_start).await.unwrap();
    let url = smtp.url();
    let app = spawn_with(|c| {
        c.sources.min_poll_seconds = 1;
        c.sources.poll_seconds = 1;
        c.messages.email.smtp_url = Some(url);
    })
    .await;
    let (s, body) = app.post("/sources", json!({ "kind": "smart", "url": feed.manifest_url() })).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    wait_until("the first import", || async { free_ids(&app, &id).await.len() == 4 }).await;

    let (from, to) = (day.to_string(), day.checked_add(jiff::ToSpan::days(6)).unwrap().to_string());
    let path = format!("{}/sources/{id}/watches", app.api);
    let post = |body: Value| {
        let (client, path) = (app.anon.clone(), path.clone());
        async move { decode(client.post(path).json(&body).send().await.unwrap()).await }
    };
    // Anyone may watch (no account); bad input names the field.
    let (s, a) = post(watch("L-ok", &from, &to, "sara@example.test", None)).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!((a["status"].as_str(), a["position"].as_u64()), (Some("active"), Some(1)));
    assert!(a["token"].as_str().unwrap().len() >= 32);
    let (s, b) = post(watch("L-null", &from, &to, "other-place@example.test", None)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let evening = Some(json!([{ "from": "20:00", "to": "21:00" }]));
    let (s, c) = post(watch("L-ok", &from, &to, "evenings@example.test", evening)).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    for (body, field) in [
        (
            json!({ "location": "L-ok", "from": from, "to": to, "mode": "offer", "patient": { "name": "x", "email": "x@y.z" } }),
            "mode",
        ),
        (json!({ "from": from, "to": to, "mode": "notify", "patient": { "name": "x", "email": "x@y.z" } }), "location"),
        (
            json!({ "location": "L-ok", "from": from, "to": "2020-01-01", "mode": "notify", "patient": { "name": "x", "email": "x@y.z" } }),
            "to",
        ),
        (
            json!({ "location": "L-ok", "from": from, "to": to, "mode": "notify", "patient": { "name": "x" } }),
            "patient",
        ),
        (
            json!({ "location": "L-ok", "from": from, "to": to, "mode": "notify", "time_zone": "Mars/Olympus", "patient": { "name": "x", "email": "x@y.z" } }),
            "time_zone",
        ),
    ] {
        let (s, p) = post(body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(p.to_string().contains(field), "{field}: {p}");
    }
    let (s, _) = decode(
        app.anon
            .post(format!("{}/sources/no-such/watches", app.api))
            .json(&watch("L-ok", &from, &to, "x@y.z", None))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A busy slot at L-ok frees (09:30 UTC): Sara is told, by its phone (it has no link).
    assert!(feed.set_slot_status("slot-busy", "free"));
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    let mail = mails[0].mail();
    assert_eq!(mail.to_addresses(), ["sara@example.test"]);
    let text = mail.text_body().unwrap();
    assert!(text.contains("Sara") && text.contains("Clinic Ok") && text.contains("tel:000-000-0000"), "{text}");
    assert!(text.contains("Un créneau"), "in the watcher's language: {text}");

    // A slot with deep links frees again: the first link, our parameters merged in.
    assert!(feed.set_slot_status("slot-links", "busy"));
    wait_until("slot-links taken", || async { !free_ids(&app, &id).await.contains(&"slot-links".to_owned()) }).await;
    assert!(feed.set_slot_status("slot-links", "free"));
    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    let text = mails[1].mail().text_body().unwrap();
    let watch_id = a["id"].as_str().unwrap();
    let expected = format!("https://book.example/s?slot=5&lang=en&source=nobat&booking-referral={watch_id}");
    assert!(text.contains(&expected), "{expected} in {text}");

    // The first slot taken and freed again: announced again, but Sara was told already.
    assert!(feed.set_slot_status("slot-busy", "busy"));
    wait_until("slot-busy taken", || async { !free_ids(&app, &id).await.contains(&"slot-busy".to_owned()) }).await;
    assert!(feed.set_slot_status("slot-busy", "free"));
    wait_until("slot-busy free", || async { free_ids(&app, &id).await.contains(&"slot-busy".to_owned()) }).await;
    let polls = feed.polls("/$bulk-publish");
    feed.wait_for_polls("/$bulk-publish", polls + 3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = smtp.messages().all();
    let to: Vec<Vec<String>> = all.iter().map(|m| m.mail().to_addresses()).collect();
    assert_eq!(to, vec![vec!["sara@example.test".to_owned()]; 2], "only Sara, once per slot");
    let events = app.store.events_since(nobat_store::commands::SOURCES_CLINIC, 0, 1000).await.unwrap();
    let busy_freed = events.iter().filter(|e| e.subjects.slot.as_deref() == Some("slot-busy")).count();
    assert_eq!(busy_freed, 2, "the slot's second appearance was announced");
}
