//! One slot, two dialects: REST bookings and FHIR `$book`s of the same slot race; exactly the
//! capacity is sold, and each loser is told 409 in its own dialect (problem+json for REST, an
//! OperationOutcome for FHIR). Both go through `Command::Book`, so the store's slot lock decides.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::fhir_support;

use common::*;
use fhir_support::*;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

async fn race(app: &TestApp, seed: &Seed, slot: &Value, slot_id: &str, n: usize) -> (usize, usize) {
    let rest_url = format!("{}/clinics/{}/appointments", app.api, seed.slug);
    let fhir_url = format!("{}/Appointment/$book", fhir(app, seed));
    let requests = (0..n).map(|i| {
        let client = app.client.clone();
        let (rest_url, fhir_url) = (rest_url.clone(), fhir_url.clone());
        let rest_body = booking(slot, &format!("REST {i}"));
        let fhir_body = book_body(slot_id, &format!("FHIR {i}"));
        async move {
            if i % 2 == 0 {
                let (s, b) = decode(client.post(rest_url).json(&rest_body).send().await.unwrap()).await;
                if s == StatusCode::CONFLICT {
                    assert_eq!(b["type"], "urn:nobat:problem:slot-taken", "{b}");
                }
                ("rest", s)
            } else {
                let res = client.post(fhir_url).header("content-type", "application/fhir+json").json(&fhir_body);
                let (s, b) = fhir_decode(res.send().await.unwrap()).await;
                if s == StatusCode::CONFLICT {
                    assert_eq!(b["issue"][0]["code"], "conflict", "{b}");
                    assert_eq!(b["issue"][0]["details"]["coding"][0]["code"], "slot-taken", "{b}");
                }
                ("fhir", s)
            }
        }
    });
    let results = join_all(requests).await;
    let created = results.iter().filter(|(_, s)| *s == StatusCode::CREATED).count();
    let conflicts = results.iter().filter(|(_, s)| *s == StatusCode::CONFLICT).count();
    assert_eq!(created + conflicts, n, "every loser gets 409: {results:?}");
    (created, conflicts)
}

async fn occupying(app: &TestApp, practitioner: &str, start: &str) -> i64 {
    let start_us = start.parse::<jiff::Timestamp>().unwrap().as_microsecond();
    let db = app.db().await;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM appointments WHERE occupies = 1 AND practitioner_id = $1 AND start_us = $2",
    )
    .bind(practitioner)
    .bind(start_us)
    .fetch_one(&db)
    .await
    .unwrap();
    db.close().await;
    n
}

/// The FHIR Slot (id) at the REST slot's start, for that practitioner and service.
async fn fhir_slot(app: &TestApp, seed: &Seed, slot: &Value) -> String {
    let start = slot["start"].as_str().unwrap().replace('+', "%2B");
    let url = format!(
        "{}/Slot?schedule={}&service-type={}&start=ge{start}&start=le{start}",
        fhir(app, seed),
        slot["practitioner"].as_str().unwrap(),
        slot["service"].as_str().unwrap()
    );
    let (s, b) = get(&app.anon, &url).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let found = entries(&b);
    assert_eq!(found.len(), 1, "{b}");
    found[0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rest_and_fhir_racing_for_one_slot_sell_it_once() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let d = day(2);
    let consult = slots(&app, &seed, &seed.consult, &d, Some(&seed.doctors[0])).await;
    let slot = &consult[3];
    let id = fhir_slot(&app, &seed, slot).await;
    let (created, _) = race(&app, &seed, slot, &id, 40).await;
    assert_eq!(created, 1, "one slot, one booking");
    assert_eq!(occupying(&app, &seed.doctors[0], slot["start"].as_str().unwrap()).await, 1);

    // A group session of three places: exactly three, whichever dialect wins them.
    let group = slots(&app, &seed, &seed.group, &d, Some(&seed.doctors[1])).await;
    let slot = &group[5];
    let id = fhir_slot(&app, &seed, slot).await;
    let (created, _) = race(&app, &seed, slot, &id, 40).await;
    assert_eq!(created, 3, "the capacity, not more");
    assert_eq!(occupying(&app, &seed.doctors[1], slot["start"].as_str().unwrap()).await, 3);
    app.stop().await;
}
