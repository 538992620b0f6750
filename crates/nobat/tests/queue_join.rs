//! Joining a queue by link or QR code (issue 11), on both engines: off until the clinic allows
//! it, a walk-in ticket with its token and "my place" address, the cap, a closed day, revoked
//! and forged links, the QR code, and the limits per network and per contact.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.client.put(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

/// A patient (no credential) joining by `token`, from `ip` when given (X-Forwarded-For).
async fn join(app: &TestApp, token: &str, body: Value, ip: Option<&str>) -> (StatusCode, Value) {
    let mut req = app.anon.post(format!("{}/join/{token}", app.api)).json(&body);
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", ip);
    }
    decode(req.send().await.unwrap()).await
}

fn problem(v: &Value) -> &str {
    v["type"].as_str().unwrap_or("").trim_start_matches("urn:nobat:problem:")
}

#[tokio::test]
async fn a_patient_joins_by_link_only_when_allowed_under_the_cap_and_until_revoked() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, link) = app.post(&format!("{c}/join-links"), json!({ "location": seed.tehran })).await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let token = link["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 40, "unguessable: {link}");
    assert!(link["url"].as_str().unwrap().ends_with(&format!("/api/v1/join/{token}")), "{link}");

    // Off by default: the link opens, says so, and takes nobody.
    let (s, info) = decode(app.anon.get(format!("{}/join/{token}", app.api)).send().await.unwrap()).await;
    assert_eq!((s, &info["accepting"]), (StatusCode::OK, &json!(false)), "{info}");
    let amina = json!({ "name": "Amina Secret", "phone": "+212612345678", "language": "fr" });
    let (s, p) = join(&app, &token, amina.clone(), None).await;
    assert_eq!((s, problem(&p)), (StatusCode::CONFLICT, "queue-closed"), "{p}");
    let (_, queues) = app.get(&format!("{c}/queues?date={}&location={}", day(0), seed.tehran)).await;
    assert_eq!(queues["queues"], json!([]), "a refused join opens nothing");

    let on = json!({ "grace_min": 15, "walk_in_every": 2, "remote_join": true, "remote_cap": 2 });
    let (s, v) = put(&app, &format!("{c}/queue-settings"), on).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) =
        put(&app, &format!("{c}/queue-settings"), json!({ "grace_min": 15, "walk_in_every": 2, "remote_cap": 0 }))
            .await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("remote_cap")), "{v}");
    let (_, v) = app.get(&format!("{c}/queue-settings")).await;
    assert_eq!((&v["remote_join"], &v["remote_cap"]), (&json!(true), &json!(2)), "kept: {v}");

    // Bad input names the field.
    let (s, p) = join(&app, &token, json!({ "name": "Nobody To Call" }), None).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")), "{p}");
    let (s, p) = join(&app, &token, json!({ "name": "X", "telegram_chat": "not a chat" }), None).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("telegram_chat")), "{p}");

    // Joined: a waiting walk-in in the location's general queue of today, no name in the answer.
    let (s, j) = join(&app, &token, amina, None).await;
    assert_eq!(s, StatusCode::CREATED, "{j}");
    assert_eq!(j["ticket"]["status"], "waiting");
    assert!(j["ticket"].get("patient_name").is_none(), "{j}");
    assert!(!j.to_string().contains("Amina"), "{j}");
    let mine = j["token"].as_str().unwrap();
    assert!(j["my_place"].as_str().unwrap().ends_with(&format!("/api/v1/tickets/{mine}")), "{j}");
    let (s, place) = decode(app.anon.get(format!("{}/tickets/{mine}", app.api)).send().await.unwrap()).await;
    assert_eq!((s, &place["ticket"]["id"]), (StatusCode::OK, &j["ticket"]["id"]), "{place}");
    let queue = j["ticket"]["queue"].as_str().unwrap().to_owned();
    let (_, d) = app.get(&format!("{c}/queues/{queue}")).await;
    assert_eq!(d["queue"]["location"], seed.tehran.as_str());
    assert_eq!(d["queue"]["practitioner"], Value::Null, "the location's general queue: {d}");
    assert_eq!(d["tickets"][0]["patient_name"], "Amina Secret", "staff see the name: {d}");
    // The ticket's events carry ids only (messages are planned from them elsewhere).
    let events = app.store.events_since(seed.clinic.parse().unwrap(), 0, 1000).await.unwrap();
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("Amina") && !text.contains("612345678"), "{text}");

    // A Telegram chat is enough to be reached; the cap (2 waiting) then refuses the third.
    let (s, j2) = join(&app, &token, json!({ "name": "Omar", "telegram_chat": "@omar_b" }), None).await;
    assert_eq!(s, StatusCode::CREATED, "{j2}");
    assert_eq!(j2["ticket"]["queue"], queue.as_str());
    let (s, p) = join(&app, &token, json!({ "name": "Third", "email": "third@join.test" }), None).await;
    assert_eq!((s, problem(&p)), (StatusCode::CONFLICT, "queue-full"), "{p}");
    // Called away, there is room again.
    let (s, _) = app.post(&format!("{c}/queues/{queue}/call-next"), json!({ "desk": "1" })).await;
    assert_eq!(s, StatusCode::OK);
    let (s, j3) = join(&app, &token, json!({ "name": "Third", "email": "third@join.test" }), None).await;
    assert_eq!(s, StatusCode::CREATED, "{j3}");

    // The QR code of the link, for staff.
    let res = app.client.get(format!("{}{c}/join-links/{}/join-qr.svg", app.api, link["id"].as_str().unwrap())).send();
    let res = res.await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let svg = res.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    let (s, _) = decode(
        app.anon
            .get(format!("{}{c}/join-links/{}/join-qr.svg", app.api, link["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A closed day takes nobody.
    let (s, _) = app.post(&format!("{c}/queues/{queue}/close"), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = join(&app, &token, json!({ "name": "Late", "phone": "+212612340000" }), None).await;
    assert_eq!((s, problem(&p)), (StatusCode::CONFLICT, "queue-closed"), "{p}");

    // A link for one queue leads there; revoked, its token opens nothing; a forged one neither.
    let (s, other) =
        app.post(&format!("{c}/queues"), json!({ "location": seed.tehran, "practitioner": seed.doctors[1] })).await;
    assert_eq!(s, StatusCode::OK, "{other}");
    let (s, l2) = app.post(&format!("{c}/join-links"), json!({ "location": seed.tehran, "queue": other["id"] })).await;
    assert_eq!(s, StatusCode::CREATED, "{l2}");
    let (s, p) =
        app.post(&format!("{c}/join-links"), json!({ "location": seed.casablanca, "queue": other["id"] })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("queue")), "{p}");
    let t2 = l2["token"].as_str().unwrap();
    let (s, j4) = join(&app, t2, json!({ "name": "Dr B Patient", "phone": "+212612340001" }), None).await;
    assert_eq!((s, &j4["ticket"]["queue"]), (StatusCode::CREATED, &other["id"]), "{j4}");
    let (s, _) = app.delete(&format!("{c}/join-links/{}", l2["id"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, p) = join(&app, t2, json!({ "name": "After", "phone": "+212612340002" }), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (s, _) = decode(app.anon.get(format!("{}/join/{t2}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut forged: Vec<char> = token.chars().collect();
    forged[10] = if forged[10] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (s, _) = decode(app.anon.get(format!("{}/join/{forged}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, links) = app.get(&format!("{c}/join-links")).await;
    let revoked: Vec<bool> =
        links["links"].as_array().unwrap().iter().map(|l| l["revoked"].as_bool().unwrap()).collect();
    assert_eq!(revoked, vec![true, false], "newest first: {links}");
    app.stop().await;
}

#[tokio::test]
async fn joins_are_limited_per_network_and_per_contact() {
    let app = spawn_with(|cfg| {
        cfg.limits.booking_per_ip = 3;
        cfg.limits.trust_forwarded_for = true;
    })
    .await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let on = json!({ "grace_min": 15, "walk_in_every": 2, "remote_join": true, "remote_cap": 100 });
    assert_eq!(put(&app, &format!("{c}/queue-settings"), on).await.0, StatusCode::OK);
    let (_, link) = app.post(&format!("{c}/join-links"), json!({ "location": seed.tehran })).await;
    let token = link["token"].as_str().unwrap();
    // One phone from many networks: the fourth join is refused.
    let mut got = Vec::new();
    for i in 0..4 {
        let ip = format!("198.51.100.{}", i + 1);
        got.push(join(&app, token, json!({ "name": "Same", "phone": "+212612349999" }), Some(&ip)).await.0);
    }
    assert_eq!(got[..3], [StatusCode::CREATED; 3], "{got:?}");
    assert_eq!(got[3], StatusCode::TOO_MANY_REQUESTS, "per contact: {got:?}");
    // One network, many phones: the fourth is refused too.
    let mut got = Vec::new();
    for i in 0..4 {
        let body = json!({ "name": "Other", "phone": format!("+21261234000{i}") });
        got.push(join(&app, token, body, Some("203.0.113.7")).await.0);
    }
    assert_eq!(got[..3], [StatusCode::CREATED; 3], "{got:?}");
    assert_eq!(got[3], StatusCode::TOO_MANY_REQUESTS, "per network: {got:?}");
    app.stop().await;
}
