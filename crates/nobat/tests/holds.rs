//! Holds belong to someone: only their owner (a signed-in user, or the guest holding the
//! `hold_token` the hold answer gave) converts or releases them, staff may release any of their
//! clinic's; a reschedule converts the caller's own hold; per-owner and per-clinic caps bound
//! squatting.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn hold_body(slot: &Value) -> Value {
    json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"] })
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    decode(req.send().await.unwrap()).await
}

/// A signed-in patient account's client.
async fn patient(app: &TestApp, email: &str) -> reqwest::Client {
    let body = json!({ "email": email, "password": "a long enough password", "name": "Pat" });
    let (s, v) = send(app.anon.post(format!("{}/auth/register", app.api)).json(&body)).await;
    assert!(s.is_success(), "register: {v}");
    authed_client(&login(&app.anon, &app.api, email, "a long enough password").await)
}

async fn counts(app: &TestApp) -> (i64, i64) {
    let db = app.db().await;
    let (holds, appointments): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM holds), (SELECT COUNT(*) FROM appointments)")
            .fetch_one(&db)
            .await
            .unwrap();
    (holds, appointments)
}

#[tokio::test]
async fn only_the_owner_converts_or_releases_a_hold() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("{}/clinics/{}", app.api, seed.slug);
    let free = slots(&app, &seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;

    // A guest's hold: the answer carries the owner secret, once; the database only its hash.
    let (s, hold) = send(app.anon.post(format!("{c}/holds")).json(&hold_body(&free[0]))).await;
    assert_eq!(s, StatusCode::CREATED, "{hold}");
    let token = hold["hold_token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 40, "unguessable: {token}");
    let db = app.db().await;
    let (owner,): (String,) = sqlx::query_as("SELECT owner FROM holds").fetch_one(&db).await.unwrap();
    assert!(owner.starts_with("guest:") && !owner.contains(&token), "{owner}");

    let mut book = booking(&free[0], "Thief");
    book["hold"] = hold["id"].clone();
    let other_patient = patient(&app, "other@test.nobat").await;
    // Another guest (no token, or a wrong one), another signed-in user, and staff: none converts it.
    let attempts = [
        ("a guest without the token", app.anon.clone(), None),
        ("a guest with a wrong token", app.anon.clone(), Some("not-the-token")),
        ("another signed-in user", other_patient.clone(), None),
        ("staff", app.client.clone(), None),
    ];
    for (who, client, token) in &attempts {
        let mut body = book.clone();
        if let Some(t) = token {
            body["hold_token"] = json!(t);
        }
        let (s, p) = send(client.post(format!("{c}/appointments")).json(&body)).await;
        assert_eq!(
            (s, p["type"].as_str()),
            (StatusCode::FORBIDDEN, Some("urn:nobat:problem:hold-not-yours")),
            "{who}: {p}"
        );
        if *who != "staff" {
            let mut req = client.delete(format!("{c}/holds/{}", hold["id"].as_str().unwrap()));
            if let Some(t) = token {
                req = req.header("Hold-Token", *t);
            }
            let (s, p) = send(req).await;
            assert_eq!(
                (s, p["type"].as_str()),
                (StatusCode::FORBIDDEN, Some("urn:nobat:problem:hold-not-yours")),
                "{who}: {p}"
            );
        }
        // Nothing changed: the hold is still there and nothing was booked.
        assert_eq!(counts(&app).await, (1, 0), "after {who}");
    }
    // Booking without the hold: the slot is still held.
    let (s, _) = send(app.anon.post(format!("{c}/appointments")).json(&booking(&free[0], "Thief"))).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The owner converts it.
    book["hold_token"] = json!(token);
    let (s, appt) = send(app.anon.post(format!("{c}/appointments")).json(&book)).await;
    assert_eq!(s, StatusCode::CREATED, "{appt}");
    assert_eq!(counts(&app).await, (0, 1));

    // A guest releases their own hold with the token in the Hold-Token header.
    let (_, h2) = send(app.anon.post(format!("{c}/holds")).json(&hold_body(&free[1]))).await;
    let url = format!("{c}/holds/{}", h2["id"].as_str().unwrap());
    let (s, _) = send(app.anon.delete(&url).header("Hold-Token", "wrong")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = send(app.anon.delete(&url).header("Hold-Token", h2["hold_token"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A signed-in patient's hold needs no token and is theirs alone; staff may release it.
    let me = patient(&app, "me@test.nobat").await;
    let (s, h3) = send(me.post(format!("{c}/holds")).json(&hold_body(&free[2]))).await;
    assert_eq!(s, StatusCode::CREATED, "{h3}");
    assert!(h3.get("hold_token").is_none(), "{h3}");
    let mut b3 = booking(&free[2], "Pat");
    b3["hold"] = h3["id"].clone();
    let (s, _) = send(other_patient.post(format!("{c}/appointments")).json(&b3)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = send(me.post(format!("{c}/appointments")).json(&b3)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, h4) = send(me.post(format!("{c}/holds")).json(&hold_body(&free[3]))).await;
    let url = format!("{c}/holds/{}", h4["id"].as_str().unwrap());
    assert_eq!(send(other_patient.delete(&url)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(send(app.client.delete(&url)).await.0, StatusCode::NO_CONTENT, "staff release any hold");
    app.stop().await;
}

#[tokio::test]
async fn a_reschedule_converts_the_callers_own_hold() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("{}/clinics/{}", app.api, seed.slug);
    let free = slots(&app, &seed, &seed.consult, &day(3), Some(&seed.doctors[0])).await;
    let (s, booked) = send(app.anon.post(format!("{c}/appointments")).json(&booking(&free[0], "Guest"))).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let manage = format!("{}/manage/{}/reschedule", app.api, booked["manage_token"].as_str().unwrap());

    // "Hold the new slot, then move": the guest's own hold no longer blocks the move.
    let (_, hold) = send(app.anon.post(format!("{c}/holds")).json(&hold_body(&free[4]))).await;
    let (s, p) = send(app.anon.post(&manage).json(&json!({ "start": free[4]["start"] }))).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::CONFLICT, Some("urn:nobat:problem:slot-taken")), "{p}");
    // Someone else's token does not convert it.
    let (_, other) = send(app.anon.post(format!("{c}/holds")).json(&hold_body(&free[6]))).await;
    let body = json!({ "start": free[4]["start"], "hold": hold["id"], "hold_token": other["hold_token"] });
    let (s, p) = send(app.anon.post(&manage).json(&body)).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::FORBIDDEN, Some("urn:nobat:problem:hold-not-yours")), "{p}");
    // A hold for another slot is refused.
    let body = json!({ "start": free[5]["start"], "hold": hold["id"], "hold_token": hold["hold_token"] });
    let (s, p) = send(app.anon.post(&manage).json(&body)).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::CONFLICT, Some("urn:nobat:problem:hold-invalid")), "{p}");
    assert_eq!(counts(&app).await, (2, 1), "nothing changed");

    let body = json!({ "start": free[4]["start"], "hold": hold["id"], "hold_token": hold["hold_token"] });
    let (s, moved) = send(app.anon.post(&manage).json(&body)).await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["start"], free[4]["start"]);
    assert_eq!(counts(&app).await, (1, 2), "the hold was converted; the old appointment is kept, cancelled");
    let db = app.db().await;
    let (jobs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'hold.expire' AND key = $1")
        .bind(hold["id"].as_str().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "the converted hold's expiry timer is gone with it");

    // A signed-in patient moving their own appointment into their own hold.
    let me = patient(&app, "mover@test.nobat").await;
    let (s, mine) = send(me.post(format!("{c}/appointments")).json(&booking(&free[8], "Mover"))).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let (_, h) = send(me.post(format!("{c}/holds")).json(&hold_body(&free[9]))).await;
    let url = format!("{c}/appointments/{}/reschedule", mine["id"].as_str().unwrap());
    let (s, moved) = send(me.post(&url).json(&json!({ "start": free[9]["start"], "hold": h["id"] }))).await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    app.stop().await;
}

#[tokio::test]
async fn holds_are_capped_per_owner_and_per_clinic() {
    let app = spawn_with(|c| c.hold_caps = nobat_core::hold::HoldCaps { per_owner: 3, per_clinic: 5 }).await;
    let seed = seed(&app).await;
    let c = format!("{}/clinics/{}", app.api, seed.slug);
    let free = slots(&app, &seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;
    let me = patient(&app, "squatter@test.nobat").await;
    let mut mine = Vec::new();
    for slot in &free[..3] {
        let (s, h) = send(me.post(format!("{c}/holds")).json(&hold_body(slot))).await;
        assert_eq!(s, StatusCode::CREATED, "{h}");
        mine.push(h);
    }
    let (s, p) = send(me.post(format!("{c}/holds")).json(&hold_body(&free[3]))).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("urn:nobat:problem:too-many-holds")));
    assert_eq!(counts(&app).await.0, 3);
    // Giving one back makes room.
    let (s, _) = send(me.delete(format!("{c}/holds/{}", mine[0]["id"].as_str().unwrap()))).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = send(me.post(format!("{c}/holds")).json(&hold_body(&free[3]))).await;
    assert_eq!(s, StatusCode::CREATED);
    // Staff holding at the desk are not capped per owner, but the clinic's cap binds everyone:
    // guests rotating secrets (a new owner per hold) stop there too.
    let (s, _) = send(app.client.post(format!("{c}/holds")).json(&hold_body(&free[4]))).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = send(app.anon.post(format!("{c}/holds")).json(&hold_body(&free[5]))).await;
    assert_eq!(s, StatusCode::CREATED);
    for (who, client) in [("guest", &app.anon), ("staff", &app.client)] {
        let (s, p) = send(client.post(format!("{c}/holds")).json(&hold_body(&free[6]))).await;
        assert_eq!(
            (s, p["type"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("urn:nobat:problem:clinic-holds-full")),
            "{who}: {p}"
        );
    }
    assert_eq!(counts(&app).await.0, 5);
    // Booking without a hold still works when holds are full.
    let (s, _) = send(app.anon.post(format!("{c}/appointments")).json(&booking(&free[7], "Walk-in"))).await;
    assert_eq!(s, StatusCode::CREATED);
    app.stop().await;
}
