//! Changing the catalogue: two admins' concurrent edits both survive, and a service can be
//! deactivated (no slots, no new holds or bookings; its appointments stay).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The entity as the API shows it now (locations are read from their clinic's list).
async fn current(app: &TestApp, path: &str) -> Value {
    match path.rsplit_once("/locations/") {
        Some((clinic, id)) => {
            let (_, list) = app.get(&format!("{clinic}/locations")).await;
            list["locations"].as_array().unwrap().iter().find(|l| l["id"] == id).unwrap().clone()
        }
        None => app.get(path).await.1,
    }
}

/// Pairs of concurrent PATCHes to one entity, each changing a different field; afterwards both
/// changes must be there. Returns the rounds that lost an edit.
async fn concurrent_pairs(
    app: &TestApp,
    path: &str,
    reset: Value,
    a: Value,
    b: impl Fn(usize) -> Value,
) -> Vec<String> {
    let mut lost = Vec::new();
    for round in 0..16 {
        let (s, body) = app.patch(path, reset.clone()).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        let url = format!("{}{path}", app.api);
        let (one, two) =
            tokio::join!(app.client.patch(&url).json(&a).send(), app.client.patch(&url).json(&b(round)).send());
        let (s1, b1) = decode(one.unwrap()).await;
        let (s2, b2) = decode(two.unwrap()).await;
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{b1} {b2}");
        let now = current(app, path).await;
        let expected = [&a, &b(round)];
        for change in expected {
            for (k, v) in change.as_object().unwrap() {
                if &now[k] != v {
                    lost.push(format!("round {round}: {k} is {} instead of {v}", now[k]));
                }
            }
        }
    }
    lost
}

#[tokio::test]
async fn concurrent_edits_to_different_fields_both_survive() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let mut lost = Vec::new();
    // A practitioner deactivated while someone renames them stays deactivated.
    lost.extend(
        concurrent_pairs(
            &app,
            &format!("{c}/practitioners/{}", seed.doctors[0]),
            json!({ "active": true, "name": "Dr. Reset" }),
            json!({ "active": false }),
            |i| json!({ "name": format!("Dr. Renamed {i}") }),
        )
        .await,
    );
    lost.extend(
        concurrent_pairs(
            &app,
            &format!("{c}/services/{}", seed.consult),
            json!({ "active": true, "name": "Reset" }),
            json!({ "active": false }),
            |i| json!({ "name": format!("Consult {i}") }),
        )
        .await,
    );
    lost.extend(
        concurrent_pairs(
            &app,
            &format!("{c}/locations/{}", seed.casablanca),
            json!({ "address": "old address", "name": "Casa" }),
            json!({ "address": "new address" }),
            |i| json!({ "name": format!("Casa {i}") }),
        )
        .await,
    );
    lost.extend(
        concurrent_pairs(
            &app,
            &c,
            json!({ "default_language": "en", "name": "Reset Clinic" }),
            json!({ "default_language": "fa" }),
            |i| json!({ "name": format!("Clinic {i}") }),
        )
        .await,
    );
    assert!(lost.is_empty(), "{} edits lost on {}: {lost:#?}", lost.len(), app.engine);
    // The audit entries carry the state before each change, read under the same lock.
    let db = app.db().await;
    let (with_before,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'update' AND entity = 'practitioner' AND before IS NOT NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(with_before >= 48, "{with_before}");
    app.stop().await;
}

#[tokio::test]
async fn a_deactivated_service_offers_nothing_and_keeps_its_appointments() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let date = day(2);
    let all = slots(&app, &seed, &seed.consult, &date, None).await;
    assert!(all.len() > 4);
    let (s, kept) = app.post(&format!("{c}/appointments"), booking(&all[0], "Kept")).await;
    assert_eq!(s, StatusCode::CREATED, "{kept}");

    let (s, service) = app.patch(&format!("{c}/services/{}", seed.consult), json!({ "active": false })).await;
    assert_eq!(s, StatusCode::OK, "{service}");
    assert_eq!(service["active"], false);
    let (_, listed) = app.get(&format!("{c}/services")).await;
    let shown = listed["services"].as_array().unwrap().iter().find(|s| s["id"] == seed.consult.as_str()).unwrap();
    assert_eq!(shown["active"], false, "staff see it as inactive: {shown}");

    // Not offered, to patients or staff; the other service still is.
    assert!(slots(&app, &seed, &seed.consult, &date, None).await.is_empty());
    let q = format!("/clinics/{}/availability?service={}&from={date}&to={date}", seed.slug, seed.consult);
    let (s, body) = decode(app.anon.get(format!("{}{q}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["slots"].as_array().map(Vec::len), Some(0), "{body}");
    assert!(!slots(&app, &seed, &seed.group, &date, None).await.is_empty());

    // Neither held nor booked, by a guest or by staff.
    let hold =
        json!({ "service": all[2]["service"], "practitioner": all[2]["practitioner"], "start": all[2]["start"] });
    let (s, p) = decode(app.anon.post(format!("{}{c}/holds", app.api)).json(&hold).send().await.unwrap()).await;
    assert!(s == StatusCode::CONFLICT || s == StatusCode::UNPROCESSABLE_ENTITY, "{s} {p}");
    let (s, p) = decode(
        app.anon.post(format!("{}{c}/appointments", app.api)).json(&booking(&all[3], "Guest")).send().await.unwrap(),
    )
    .await;
    assert!(s == StatusCode::CONFLICT || s == StatusCode::UNPROCESSABLE_ENTITY, "{s} {p}");
    let (s, p) = app.post(&format!("{c}/appointments"), booking(&all[4], "Staff")).await;
    assert!(s == StatusCode::CONFLICT || s == StatusCode::UNPROCESSABLE_ENTITY, "{s} {p}");
    let db = app.db().await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments").fetch_one(&db).await.unwrap();
    assert_eq!(n, 1, "only the appointment made before");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM holds").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0);

    // The existing appointment stays, and can still be changed and cancelled.
    let id = kept["id"].as_str().unwrap();
    let (s, a) = app.get(&format!("{c}/appointments/{id}")).await;
    assert_eq!((s, a["status"].as_str()), (StatusCode::OK, Some("booked")), "{a}");
    let (s, a) = app.post(&format!("{c}/appointments/{id}/cancel"), json!({ "reason": "service ended" })).await;
    assert_eq!((s, a["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{a}");

    // Reactivated, it is offered again.
    let (s, service) = app.patch(&format!("{c}/services/{}", seed.consult), json!({ "active": true })).await;
    assert_eq!((s, &service["active"]), (StatusCode::OK, &json!(true)), "{service}");
    assert_eq!(slots(&app, &seed, &seed.consult, &date, None).await.len(), all.len());
    app.stop().await;
}
