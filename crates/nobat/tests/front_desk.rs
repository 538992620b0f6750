//! The front desk's status endpoint sets the steps of a visit only: cancelling goes through the
//! cancel command (its capability, cut-off, reason and event), whoever asks.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_core::access::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_status_endpoint_cannot_cancel() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let slot = slots(&app, &seed, &seed.consult, &day(1), None).await[0].clone();
    let (s, a) = app.post(&format!("{c}/appointments"), booking(&slot, "Kept")).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_str().unwrap().to_owned();
    let db = app.db().await;
    let audits = || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM audit_events WHERE entity_id = $1 AND action IN ('set_status', 'cancel')",
        )
        .bind(&id)
        .fetch_one(&db)
        .await
        .unwrap();
        n
    };
    let audits_before = audits().await;
    let mut events = app.store.subscribe();
    let practitioner = member(&app, &seed, Role::Practitioner, None).await;
    let receptionist = member(&app, &seed, Role::Receptionist, None).await;
    for (who, client) in [("practitioner", &practitioner), ("receptionist", &receptionist), ("owner", &app.client)] {
        for status in ["cancelled", "booked", "pending", "proposed", "waitlist"] {
            let res = client
                .post(format!("{}{c}/appointments/{id}/status", app.api))
                .json(&json!({ "status": status }))
                .send()
                .await
                .unwrap();
            let (s, p) = decode(res).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{who} setting {status}: {p}");
            assert_eq!(p["field"], "status", "{who} setting {status}: {p}");
        }
    }

    let (s, now) = app.get(&format!("{c}/appointments/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{now}");
    assert_eq!(now["status"], "booked", "the appointment is unchanged: {now}");
    assert_eq!(audits().await, audits_before, "nothing was audited");
    while let Ok(event) = events.try_recv() {
        let subjects = serde_json::to_string(&event.subjects).unwrap();
        assert!(!subjects.contains(&id), "nothing about the appointment was announced: {event:?}");
    }
    let (cancelled,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM appointments WHERE status = 'cancelled'").fetch_one(&db).await.unwrap();
    assert_eq!(cancelled, 0);

    // The front-desk statuses still work for the practitioner.
    let res = practitioner
        .post(format!("{}{c}/appointments/{id}/status", app.api))
        .json(&json!({ "status": "arrived" }))
        .send()
        .await
        .unwrap();
    let (s, body) = decode(res).await;
    assert_eq!((s, body["status"].as_str()), (StatusCode::OK, Some("arrived")), "{body}");

    // The API document lists exactly the statuses the endpoint takes.
    let (_, doc) = app.get("/openapi.json").await;
    let listed = &doc["components"]["schemas"]["FrontDeskStatus"]["enum"];
    assert_eq!(listed, &json!(["arrived", "checked-in", "fulfilled", "noshow", "entered-in-error"]), "{listed}");
    let status = &doc["components"]["schemas"]["StatusInput"]["properties"]["status"];
    assert!(status.to_string().contains("FrontDeskStatus"), "{status}");
    app.stop().await;
}
