//! FHIR R4 under `/fhir/{clinic}` (issue 16): the directory and computed Slots for anyone,
//! Appointment and Patient for the clinic's staff only, booking by `$find`/`$hold`/`$book`,
//! an OperationOutcome for every error, and every resource kind accepted by two independent
//! R4 parsers (fhir.resources 6.4.0, fhirclient 4.4.0 strict).
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::fhir_support;

use common::*;
use fhir_support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A day's window in Tehran as FHIR search parameters.
fn window(d: &str) -> String {
    format!("start=ge{d}T00:00:00%2B03:30&start=lt{d}T23:59:00%2B03:30")
}

#[tokio::test]
async fn the_directory_and_slots_read_and_search_as_fhir_and_errors_are_outcomes() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let base = fhir(&app, &seed);
    let anon = &app.anon;

    let (s, cap) = get(anon, &format!("{base}/metadata")).await;
    assert_eq!(s, StatusCode::OK, "{cap}");
    assert_eq!(
        (cap["resourceType"].as_str(), cap["fhirVersion"].as_str()),
        (Some("CapabilityStatement"), Some("4.0.1"))
    );

    let (s, b) = get(anon, &format!("{base}/Practitioner")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let ps = entries(&b);
    assert_eq!(ps.len(), 2);
    let doctor = &seed.doctors[0];
    let (s, p) = get(anon, &format!("{base}/Practitioner/{doctor}")).await;
    assert_eq!((s, p["name"][0]["text"].as_str()), (StatusCode::OK, Some("Dr. A")), "{p}");
    let (_, role) = get(anon, &format!("{base}/PractitionerRole/{doctor}")).await;
    assert_eq!(role["location"][0]["reference"], format!("Location/{}", seed.tehran), "{role}");
    let (_, sched) = get(anon, &format!("{base}/Schedule?actor=Practitioner/{doctor}")).await;
    assert_eq!(entries(&sched).len(), 1, "{sched}");
    let (_, loc) = get(anon, &format!("{base}/Location/{}", seed.tehran)).await;
    assert_eq!(loc["extension"][0]["valueCode"], "Asia/Tehran");
    let (_, svc) = get(anon, &format!("{base}/HealthcareService")).await;
    assert_eq!(entries(&svc).len(), 2);

    // Slots: computed, the same as REST availability for the day, paged with `next`.
    let d = day(1);
    let rest = slots(&app, &seed, &seed.consult, &d, Some(doctor)).await;
    let mut url =
        format!("{base}/Slot?schedule=Schedule/{doctor}&service-type={}&{}&_count=7", seed.consult, window(&d));
    let mut got: Vec<Value> = Vec::new();
    let mut pages = 0;
    loop {
        let (s, b) = get(anon, &url).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        got.extend(entries(&b));
        pages += 1;
        match next_link(&b) {
            Some(n) => url = n,
            None => break,
        }
    }
    assert!(pages > 1, "paged");
    let rest_starts: Vec<jiff::Timestamp> =
        rest.iter().map(|s| s["start"].as_str().unwrap().parse().unwrap()).collect();
    let fhir_starts: Vec<jiff::Timestamp> = got.iter().map(|s| s["start"].as_str().unwrap().parse().unwrap()).collect();
    assert_eq!(fhir_starts, rest_starts, "the same slots as REST availability");
    assert!(got.iter().all(|s| s["status"] == "free" && s["start"].as_str().unwrap().ends_with("+03:30")));
    // The `end` bound: only slots ending by 10:00 Tehran.
    let (_, early) =
        get(anon, &format!("{base}/Slot?schedule={doctor}&{}&end=le{d}T10:00:00%2B03:30", window(&d))).await;
    let early = entries(&early);
    assert!(!early.is_empty());
    let ten: jiff::Timestamp = format!("{d}T10:00:00+03:30").parse().unwrap();
    assert!(early.iter().all(|s| s["end"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap() <= ten));
    // A slot reads back by its id.
    let id = got[0]["id"].as_str().unwrap();
    let (s, one) = get(anon, &format!("{base}/Slot/{id}")).await;
    assert_eq!((s, one["status"].as_str(), &one["start"]), (StatusCode::OK, Some("free"), &got[0]["start"]), "{one}");

    // Errors, each an OperationOutcome with the status REST would give.
    let (s, o) = get(anon, &format!("{base}/Slot/not-a-slot")).await;
    assert_eq!((s, o["issue"][0]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not-found")));
    let (s, o) = get(anon, &format!("{base}/Observation")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{o}");
    let (s, o) = get(anon, &format!("{base}/Slot?bogus=1")).await;
    assert_eq!((s, o["issue"][0]["expression"][0].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bogus")));
    let (s, o) = get(anon, &format!("{base}/Slot?start=ge2026-13-45")).await;
    assert_eq!((s, o["issue"][0]["expression"][0].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("start")));
    let (s, _) = get(anon, &format!("{base}/Appointment")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = get(anon, &format!("{base}/Patient/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = fhir_decode(
        anon.get(format!("{base}/metadata")).header("accept", "application/fhir+xml").send().await.unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_ACCEPTABLE);
    let (s, _) = get(anon, &format!("{base}/metadata?_format=xml")).await;
    assert_eq!(s, StatusCode::NOT_ACCEPTABLE);
    let (s, _) = get(anon, &format!("{}/fhir/no-such-clinic/metadata", app.base)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = fhir_decode(anon.delete(format!("{base}/Practitioner/{doctor}")).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = post(anon, &format!("{base}/Appointment/$book"), &json!({ "resourceType": "Patient" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let res = anon
        .post(format!("{base}/Appointment/$book"))
        .body("{not json")
        .header("content-type", "application/fhir+json");
    let (s, _) = fhir_decode(res.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn find_hold_and_book_over_fhir_and_staff_read_what_was_booked() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let base = fhir(&app, &seed);
    let d = day(1);
    let doctor = &seed.doctors[0];
    let mut seen: Vec<Value> = Vec::new();

    let (s, found) = get(
        &app.anon,
        &format!(
            "{base}/Appointment/$find?practitioner=Practitioner/{doctor}&service-type={}&{}",
            seed.consult,
            window(&d)
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    let proposed = entries(&found);
    assert!(proposed.iter().all(|a| a["status"] == "proposed"));
    seen.push(found.clone());
    let first = proposed[0].clone();
    let slot_ref = first["slot"][0]["reference"].as_str().unwrap().to_owned();
    let slot_id = slot_ref.trim_start_matches("Slot/").to_owned();

    // A guest holds it: pending, with a busy-tentative slot, and the slot reads so.
    let (s, held) = post(&app.anon, &format!("{base}/Appointment/$hold"), &first).await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    assert_eq!(
        (held["status"].as_str(), held["contained"][0]["status"].as_str()),
        (Some("pending"), Some("busy-tentative"))
    );
    seen.push(held.clone());
    let (_, slot) = get(&app.anon, &format!("{base}/Slot/{slot_id}")).await;
    assert_eq!(slot["status"], "busy-tentative", "{slot}");
    seen.push(slot);
    // Someone else cannot book the held slot; the holder books it, with its hold token.
    let (s, o) = post(&app.anon, &format!("{base}/Appointment/$book"), &book_body(&slot_id, "Intruder")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{o}");
    seen.push(o);
    let mut body = book_body(&slot_id, "Sara Karimi");
    body["id"] = held["id"].clone();
    body["extension"] = held["extension"].clone();
    let (s, booked) = post(&app.anon, &format!("{base}/Appointment/$book"), &body).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["status"], "booked");
    assert_eq!(booked["start"], first["start"]);
    let id = booked["id"].as_str().unwrap().to_owned();
    let (_, slot) = get(&app.anon, &format!("{base}/Slot/{slot_id}")).await;
    assert_eq!(slot["status"], "busy", "{slot}");
    seen.push(slot);

    // Booked over FHIR is booked for REST: the same appointment, and gone from availability.
    let (s, rest) = app.get(&format!("/clinics/{}/appointments/{id}", seed.slug)).await;
    assert_eq!((s, rest["status"].as_str()), (StatusCode::OK, Some("booked")), "{rest}");
    let free = slots(&app, &seed, &seed.consult, &d, Some(doctor)).await;
    assert!(free.iter().all(|s| s["start"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap()
        != first["start"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap()));

    // Staff read and search appointments and patients.
    let staff = &app.client;
    let (s, a) = get(staff, &format!("{base}/Appointment/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let patient = a["participant"][0]["actor"]["reference"].as_str().unwrap().to_owned();
    let (s, p) = get(staff, &format!("{base}/{patient}")).await;
    assert_eq!((s, p["name"][0]["text"].as_str()), (StatusCode::OK, Some("Sara Karimi")), "{p}");
    seen.push(p);
    let (_, search) =
        get(staff, &format!("{base}/Appointment?actor=Practitioner/{doctor}&status=booked&{}", window(&d))).await;
    assert_eq!(entries(&search).iter().map(|a| a["id"].clone()).collect::<Vec<_>>(), vec![json!(id)]);
    seen.push(search);
    let (_, none) = get(
        staff,
        &format!("{base}/Appointment?actor=Practitioner/{doctor}&{}&end=lt{d}T00:00:00%2B03:30", window(&d)),
    )
    .await;
    assert!(entries(&none).is_empty(), "the end bound filters");
    let (_, pats) = get(staff, &format!("{base}/Patient?_count=1")).await;
    assert_eq!(entries(&pats).len(), 1);
    seen.push(pats);
    let (_, held_read) = get(staff, &format!("{base}/Appointment/{}", held["id"].as_str().unwrap())).await;
    // The hold was converted: it is gone.
    assert_eq!(held_read["resourceType"], "OperationOutcome");

    // Cancelled over REST, the appointment says so over FHIR (with its reason).
    let (s, _) = app
        .post(
            &format!("/clinics/{}/appointments/{id}/cancel", seed.slug),
            json!({ "reason": "ill", "staff_override": true }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = get(staff, &format!("{base}/Appointment/{id}")).await;
    assert_eq!(
        (a["status"].as_str(), a["cancelationReason"]["text"].as_str()),
        (Some("cancelled"), Some("ill")),
        "{a}"
    );
    seen.push(a);

    // Every kind of resource this server emits, through both R4 parsers.
    let public = [
        "metadata".to_owned(),
        "Practitioner".into(),
        format!("Practitioner/{doctor}"),
        "PractitionerRole".into(),
        "Location".into(),
        "HealthcareService".into(),
        "Schedule".into(),
        format!("Slot?{}&_count=3", window(&d)),
        "Slot/nope".into(),
    ];
    for path in public {
        seen.push(get(&app.anon, &format!("{base}/{path}")).await.1);
    }
    seen.push(get(&app.anon, &format!("{base}/Appointment")).await.1);
    let kinds: std::collections::BTreeSet<String> = seen
        .iter()
        .flat_map(|r| std::iter::once(r.clone()).chain(if r["resourceType"] == "Bundle" { entries(r) } else { vec![] }))
        .map(|r| r["resourceType"].as_str().unwrap_or("?").to_owned())
        .collect();
    for k in [
        "Appointment",
        "Bundle",
        "CapabilityStatement",
        "HealthcareService",
        "Location",
        "OperationOutcome",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Schedule",
        "Slot",
    ] {
        assert!(kinds.contains(k), "{k} checked: {kinds:?}");
    }
    fhir_parsers_accept(&seen);
    app.stop().await;
}

/// Tenant isolation over FHIR: another clinic's staff get nothing of this clinic's
/// appointments or patients, by id or by search, through either clinic's base.
#[tokio::test]
async fn another_clinics_staff_read_nothing_of_ours_over_fhir() {
    let app = spawn_app().await;
    let ours = seed(&app).await;
    let theirs = seed(&app).await;
    let free = slots(&app, &ours, &ours.consult, &day(1), None).await;
    let (s, booked) =
        app.post(&format!("/clinics/{}/appointments", ours.slug), booking(&free[0], "Secret Patient")).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let id = booked["id"].as_str().unwrap();
    let patient = booked["patient"].as_str().unwrap().to_owned();

    // A receptionist of the other clinic, signed in (a session) — and an owner-free view.
    invite_staff(
        &app,
        &app.client,
        &format!("/clinics/{}", theirs.slug),
        json!({ "email": "rec@b.test", "role": "receptionist" }),
    )
    .await;
    let token = login(&app.anon, &app.api, "rec@b.test", STAFF_PASSWORD).await;
    let intruder = authed_client(&token);
    let (mine, other) = (fhir(&app, &ours), fhir(&app, &theirs));
    for path in [format!("Appointment/{id}"), "Appointment".into(), format!("Patient/{patient}"), "Patient".into()] {
        let (s, b) = get(&intruder, &format!("{mine}/{path}")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path} at our base: {b}");
        assert!(!b.to_string().contains("Secret Patient"));
    }
    for path in [format!("Appointment/{id}"), format!("Patient/{patient}")] {
        let (s, b) = get(&intruder, &format!("{other}/{path}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path} through their own base: {b}");
    }
    for path in ["Appointment", "Patient", &format!("Appointment?patient=Patient/{patient}")] {
        let (s, b) = get(&intruder, &format!("{other}/{path}")).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(entries(&b).is_empty(), "{path}: {b}");
        assert!(!b.to_string().contains(id) && !b.to_string().contains("Secret Patient"));
    }
    // Booking over FHIR into their clinic with our slot names none of theirs: refused.
    let (_, found) = get(&app.anon, &format!("{mine}/Slot?_count=1")).await;
    let slot_id = entries(&found)[0]["id"].as_str().unwrap().to_owned();
    let (s, _) = post(&intruder, &format!("{other}/Appointment/$book"), &book_body(&slot_id, "X")).await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::UNPROCESSABLE_ENTITY, "{s}");
    app.stop().await;
}

/// Patient search for a scheduling client (staff only): by name (a word's start, `:contains`,
/// `:exact`), by phone however typed, by telecom/email, by identifier and `_id`, in keyset
/// pages; every patient a page shows is in the audit trail under that patient, and nobody
/// else is. Another clinic's staff find nothing.
#[tokio::test]
async fn staff_find_patients_over_fhir_and_each_one_shown_is_in_their_access_log() {
    let app = spawn_app().await;
    let ours = seed(&app).await;
    let theirs = seed(&app).await;
    let (s, b) = app.patch(&format!("/clinics/{}", ours.slug), json!({ "country": "IR" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let free = slots(&app, &ours, &ours.consult, &day(1), None).await;
    let people = [
        json!({ "name": "Sara Karimi", "phone": "+989121234567" }),
        json!({ "name": "Reza Karimi", "phone": "+989351112233" }),
        json!({ "name": "Ali Rezaei", "email": "ali@example.test" }),
        json!({ "name": "Zed Unseen", "phone": "+989131234567" }),
    ];
    let mut ids = Vec::new();
    for (slot, who) in free.iter().zip(&people) {
        let body = json!({ "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"],
                           "patient": who });
        let (s, booked) = app.post(&format!("/clinics/{}/appointments", ours.slug), body).await;
        assert_eq!(s, StatusCode::CREATED, "{booked}");
        ids.push(booked["patient"].as_str().unwrap().to_owned());
    }
    let (sara, reza, ali, zed) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let base = fhir(&app, &ours);
    let staff = &app.client;
    let find = |q: String| {
        let url = format!("{base}/Patient?{q}");
        async move {
            let (s, b) = get(staff, &url).await;
            assert_eq!(s, StatusCode::OK, "{url}: {b}");
            let mut found: Vec<String> = entries(&b).iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
            found.sort();
            found
        }
    };
    let sorted = |v: &[&String]| {
        let mut v: Vec<String> = v.iter().map(|s| (*s).clone()).collect();
        v.sort();
        v
    };
    assert_eq!(find("name=kar".into()).await, sorted(&[sara, reza]), "a word starting so, any case");
    assert_eq!(find("name=ari".into()).await, Vec::<String>::new(), "not the middle of a word");
    assert_eq!(find("name:contains=ARI".into()).await, sorted(&[sara, reza]));
    assert_eq!(find("name:exact=Sara%20Karimi".into()).await, sorted(&[sara]));
    assert_eq!(find("name:exact=sara%20karimi".into()).await, Vec::<String>::new());
    assert_eq!(find("name=100%25".into()).await, Vec::<String>::new(), "LIKE wildcards are literal");
    assert_eq!(find("phone=0912%20123%204567".into()).await, sorted(&[sara]), "typed the national way");
    assert_eq!(find("telecom=phone%7C%2B989351112233".into()).await, sorted(&[reza]));
    assert_eq!(find("telecom=email%7CALI@example.test".into()).await, sorted(&[ali]));
    assert_eq!(find("email=ali@example.test&name=ali".into()).await, sorted(&[ali]));
    assert_eq!(find("email=ali@example.test&name=sara".into()).await, Vec::<String>::new(), "criteria combine");
    assert_eq!(find(format!("identifier=urn:nobat:patient%7C{reza}")).await, sorted(&[reza]));
    assert_eq!(find(format!("_id={sara},{ali}")).await, sorted(&[sara, ali]));
    assert_eq!(find("_id=not-an-id".into()).await, Vec::<String>::new(), "a bad id matches nothing");
    for bad in ["identifier=http://other%7Cx", "phone=12", "name:fuzzy=sara", "birthdate=2000-01-01", "name="] {
        let (s, b) = get(staff, &format!("{base}/Patient?{bad}")).await;
        assert_eq!(
            (s, b["resourceType"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("OperationOutcome")),
            "{bad}: {b}"
        );
    }
    // Paging: one a page, `next` until it is absent, each patient once.
    let mut url = format!("{base}/Patient?name:contains=kar&_count=1");
    let mut paged = Vec::new();
    for _ in 0..5 {
        let (_, b) = get(staff, &url).await;
        paged.extend(entries(&b).iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match next_link(&b) {
            Some(n) => url = n,
            None => break,
        }
    }
    paged.sort();
    assert_eq!(paged, sorted(&[sara, reza]));
    let (_, shown) = get(staff, &format!("{base}/Patient?_id={sara}")).await;
    assert_eq!(entries(&shown)[0]["identifier"][0], json!({ "system": "urn:nobat:patient", "value": sara }));

    // Each one shown is in their own access log (the audit trail under that patient); the one
    // never shown is not.
    let searched = |p: &String| {
        let path = format!("/clinics/{}/audit?patient={p}&action=search", ours.slug);
        let app = &app;
        async move {
            let (s, log) = app.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{log}");
            log.as_array().unwrap().len()
        }
    };
    for p in [sara, reza, ali] {
        assert!(searched(p).await > 0, "{p} was shown by a search");
    }
    assert_eq!(searched(zed).await, 0, "never shown, never logged");

    // Another clinic's receptionist: refused at our base, nothing of ours at theirs.
    invite_staff(
        &app,
        &app.client,
        &format!("/clinics/{}", theirs.slug),
        json!({ "email": "rec2@b.test", "role": "receptionist" }),
    )
    .await;
    let token = login(&app.anon, &app.api, "rec2@b.test", STAFF_PASSWORD).await;
    let intruder = authed_client(&token);
    let (s, b) = get(&intruder, &format!("{base}/Patient?name=kar")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(!b.to_string().contains("Karimi"));
    for q in ["name=kar", "phone=%2B989121234567", &format!("_id={sara}")] {
        let (s, b) = get(&intruder, &format!("{}/Patient?{q}", fhir(&app, &theirs))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(entries(&b).is_empty(), "{q}: {b}");
    }
    let (s, _) = get(&app.anon, &format!("{base}/Patient?name=kar")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    fhir_parsers_accept(&[shown]);
    app.stop().await;
}

/// `$hold` expires: its `hold-expires` says when (the configured TTL), the slot reads
/// `busy-tentative` until then and `free` after, and the expired hold no longer books — the
/// slot goes to whoever books it next.
#[tokio::test]
async fn a_fhir_hold_expires_when_it_says_and_then_books_nothing() {
    let app = spawn_with(|c| c.hold_ttl_seconds = 2).await;
    let seed = seed(&app).await;
    let base = fhir(&app, &seed);
    let d = day(1);
    let (s, found) = get(
        &app.anon,
        &format!(
            "{base}/Appointment/$find?practitioner=Practitioner/{}&service-type={}&{}",
            seed.doctors[0],
            seed.consult,
            window(&d)
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    let first = entries(&found)[0].clone();
    let slot_id = first["slot"][0]["reference"].as_str().unwrap().trim_start_matches("Slot/").to_owned();
    let asked = jiff::Timestamp::now();
    let (s, held) = post(&app.anon, &format!("{base}/Appointment/$hold"), &first).await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    let expires: jiff::Timestamp = held["extension"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["url"] == "urn:nobat:fhir:hold-expires")
        .and_then(|e| e["valueInstant"].as_str())
        .unwrap()
        .parse()
        .unwrap();
    let ttl = expires.duration_since(asked).as_secs_f64();
    assert!((1.0..=3.5).contains(&ttl), "hold-expires is the TTL ahead: {ttl}s");
    let (_, slot) = get(&app.anon, &format!("{base}/Slot/{slot_id}")).await;
    assert_eq!(slot["status"], "busy-tentative", "{slot}");
    // Wait for the expiry (a condition, not a fixed sleep).
    let started = std::time::Instant::now();
    loop {
        let (_, slot) = get(&app.anon, &format!("{base}/Slot/{slot_id}")).await;
        if slot["status"] == "free" {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "the hold never expired: {slot}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(jiff::Timestamp::now() >= expires, "free no sooner than hold-expires");
    let mut late = book_body(&slot_id, "Late Holder");
    late["id"] = held["id"].clone();
    late["extension"] = held["extension"].clone();
    let (s, o) = post(&app.anon, &format!("{base}/Appointment/$book"), &late).await;
    assert!(s.is_client_error(), "an expired hold books nothing: {s} {o}");
    assert_eq!(o["resourceType"], "OperationOutcome", "{o}");
    let (s, booked) = post(&app.anon, &format!("{base}/Appointment/$book"), &book_body(&slot_id, "Next Patient")).await;
    assert_eq!((s, booked["status"].as_str()), (StatusCode::CREATED, Some("booked")), "{booked}");
    app.stop().await;
}

/// The CapabilityStatement lists exactly what is implemented: every search parameter it names,
/// for every resource, is accepted with a value that matches something (and finds it), each
/// paged Bundle has a `self` link, and a parameter it does not name is refused.
#[tokio::test]
async fn every_search_parameter_the_capability_statement_names_works() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let base = fhir(&app, &seed);
    let d = day(1);
    let doctor = &seed.doctors[0];
    let free = slots(&app, &seed, &seed.consult, &d, Some(doctor)).await;
    let (s, booked) = app.post(&format!("/clinics/{}/appointments", seed.slug), booking(&free[0], "Sara Karimi")).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let (appointment, patient) = (booked["id"].as_str().unwrap(), booked["patient"].as_str().unwrap());
    let start = free[1]["start"].as_str().unwrap().replace('+', "%2B");
    let (_, cap) = get(&app.anon, &format!("{base}/metadata")).await;
    let value = |kind: &str, param: &str| -> String {
        match (kind, param) {
            ("Practitioner" | "PractitionerRole" | "Schedule", "_id") => doctor.clone(),
            ("Location", "_id") => seed.tehran.clone(),
            ("HealthcareService", "_id") => seed.consult.clone(),
            ("Appointment", "_id") => appointment.to_owned(),
            ("Patient", "_id") => patient.to_owned(),
            (_, "active") => "true".into(),
            (_, "practitioner") => format!("Practitioner/{doctor}"),
            (_, "actor") => format!("Practitioner/{doctor}"),
            (_, "schedule") => format!("Schedule/{doctor}"),
            (_, "service-type") => format!("urn:nobat:service%7C{}", seed.consult),
            ("Slot", "start") => format!("ge{start}"),
            (_, "start" | "date") => format!("ge{d}"),
            (_, "end") => "le2100-01-01".into(),
            ("Slot", "status") => "free".into(),
            (_, "status") => "booked".into(),
            (_, "patient") => format!("Patient/{patient}"),
            (_, "location") => format!("Location/{}", seed.tehran),
            (_, "identifier") => format!("urn:nobat:patient%7C{patient}"),
            (_, "name") => "sara".into(),
            (_, "telecom") => "phone%7C%2B989121234567".into(),
            (_, "phone") => "%2B989121234567".into(),
            (_, "email") => "nobody@example.test".into(),
            other => panic!("the test has no value for {other:?}: add one"),
        }
    };
    let mut checked = 0;
    for resource in cap["rest"][0]["resource"].as_array().unwrap() {
        let kind = resource["type"].as_str().unwrap();
        let client = if resource["documentation"].is_string() { &app.client } else { &app.anon };
        for p in resource["searchParam"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let url = format!("{base}/{kind}?{name}={}", value(kind, name));
            let (s, b) = get(client, &url).await;
            assert_eq!(s, StatusCode::OK, "{url}: {b}");
            assert_eq!(b["link"][0]["relation"], "self", "{url}: {b}");
            // `email` names nobody here: it must answer (and find nothing), not be refused.
            assert_eq!(entries(&b).is_empty(), name == "email", "{url}: {b}");
            checked += 1;
        }
        let (s, b) = get(client, &format!("{base}/{kind}?not-a-parameter=1")).await;
        assert_eq!(
            (s, b["issue"][0]["expression"][0].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not-a-parameter"))
        );
    }
    assert!(checked >= 30, "{checked}");
    app.stop().await;
}
