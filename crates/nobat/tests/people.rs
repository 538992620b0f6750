//! What every front end relies on about people: `patient.language` is one of the six and is
//! stored, phone numbers are E.164 read in the clinic's country (so one person has one contact
//! key however the number is typed), and problem+json speaks the request's language.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_i18n::{Args, Lang, Messages};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn path(seed: &Seed) -> String {
    format!("/clinics/{}", seed.slug)
}

async fn post_lang(
    app: &TestApp,
    client: &reqwest::Client,
    url: &str,
    lang: Option<&str>,
    body: Value,
) -> (StatusCode, Value, Option<String>) {
    let mut req = client.post(format!("{}{url}", app.api)).json(&body);
    if let Some(l) = lang {
        req = req.header("accept-language", l);
    }
    let res = req.send().await.unwrap();
    let content_language = res.headers().get("content-language").map(|v| v.to_str().unwrap().to_owned());
    let (s, b) = decode(res).await;
    (s, b, content_language)
}

async fn patient_of(app: &TestApp, seed: &Seed, booked: &Value) -> Value {
    let id = booked["patient"].as_str().unwrap();
    let (s, p) = app.get(&format!("{}/patients/{id}", path(seed))).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p
}

fn with_patient(slot: &Value, patient: Value) -> Value {
    let mut b = booking(slot, "x");
    b["patient"] = patient;
    b
}

#[tokio::test]
async fn problem_json_is_said_in_the_requests_language() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = path(&seed);
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let m = Messages::load().unwrap();
    let bad = with_patient(&slot, json!({ "name": "Sara", "email": "not-an-address" }));
    let url = format!("{c}/appointments");

    // No Accept-Language, and the clinic's default is English: English, as before.
    let (s, en, cl) = post_lang(&app, &app.anon, &url, None, bad.clone()).await;
    assert_eq!(
        (s, en["field"].as_str(), cl.as_deref()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.email"), Some("en"))
    );
    assert_eq!(en["title"], "A value is not acceptable", "{en}");
    assert_eq!(en["detail"], "this does not look like an email address", "{en}");

    for (header, lang) in [("fa-IR,fa;q=0.9,en;q=0.5", Lang::Fa), ("ar", Lang::Ar), ("de-DE, fr;q=0.7", Lang::Fr)] {
        let (s, p, cl) = post_lang(&app, &app.anon, &url, Some(header), bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        // The contract does not change with the language.
        assert_eq!(
            (&p["type"], &p["status"], &p["field"]),
            (&en["type"], &en["status"], &en["field"]),
            "{header}: {p}"
        );
        assert_eq!(cl.as_deref(), Some(lang.code()));
        assert_eq!(p["title"], m.render(lang, "problem-invalid-input-title", &Args::new()).unwrap(), "{header}: {p}");
        assert_eq!(p["detail"], m.render(lang, "invalid-email", &Args::new()).unwrap(), "{header}: {p}");
        assert_ne!(p["detail"], en["detail"]);
    }

    // A conflict: the slot is taken. The detail is the catalogue's, in French.
    let (s, b) = app.post(&url, booking(&slot, "First")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, p, _) = post_lang(&app, &app.anon, &url, Some("fr"), booking(&slot, "Second")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["type"], "urn:nobat:problem:slot-taken");
    assert_eq!(p["title"], m.render(Lang::Fr, "problem-slot-taken-title", &Args::new()).unwrap());
    assert_eq!(p["detail"], m.render(Lang::Fr, "problem-slot-taken-detail", &Args::new()).unwrap());

    // Not found, outside any clinic, in Russian; a 404 of the router too.
    let (s, p, _) = post_lang(&app, &app.anon, "/no/such/thing", Some("ru"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    assert_eq!(p["title"], m.render(Lang::Ru, "problem-not-found-title", &Args::new()).unwrap());

    // A field named in the generic detail keeps its name (a contract) inside Persian text.
    let mut no_name = booking(&slot, "x");
    no_name["patient"]["name"] = json!("  ");
    let (_, p, _) = post_lang(&app, &app.anon, &url, Some("fa"), no_name).await;
    assert_eq!(p["field"], "patient.name");
    assert_eq!(p["detail"], m.render(Lang::Fa, "invalid-name", &Args::new().num("max", 200)).unwrap(), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("۲۰۰"), "Persian digits: {p}");

    // The clinic's default language is the fallback when the request names none of the six.
    let (s, b) = app.patch(&c, json!({ "default_language": "tr-TR" })).await;
    assert_eq!((s, b["default_language"].as_str()), (StatusCode::OK, Some("tr")), "{b}");
    for header in [None, Some("de")] {
        let (_, p, cl) = post_lang(&app, &app.anon, &url, header, bad.clone()).await;
        assert_eq!(cl.as_deref(), Some("tr"), "{header:?}: {p}");
        assert_eq!(p["detail"], m.render(Lang::Tr, "invalid-email", &Args::new()).unwrap());
    }
    let (_, p, cl) = post_lang(&app, &app.anon, &url, Some("en-GB"), bad.clone()).await;
    assert_eq!((cl.as_deref(), &p["detail"]), (Some("en"), &en["detail"]), "the browser's own choice wins");
    app.stop().await;
}

#[tokio::test]
async fn patient_language_is_one_of_six_and_stored() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = path(&seed);
    let all = slots(&app, &seed, &seed.consult, &day(2), None).await;
    let url = format!("{c}/appointments");

    // Guest booking: a regional tag is stored as its language.
    let body = with_patient(&all[0], json!({ "name": "Maryam", "phone": "+989121110000", "language": "fa-IR" }));
    let (s, guest_booked, _) = post_lang(&app, &app.anon, &url, None, body).await;
    assert_eq!(s, StatusCode::CREATED, "{guest_booked}");
    assert_eq!(patient_of(&app, &seed, &guest_booked).await["language"], "fa");
    let (s, staff_booked) = app
        .post(&url, with_patient(&all[1], json!({ "name": "Omid", "phone": "+989121110001", "language": "AR_ma" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{staff_booked}");
    let p = patient_of(&app, &seed, &staff_booked).await;
    assert_eq!(p["language"], "ar", "{p}");

    // An unsupported language is refused, naming the field, wherever a patient is given.
    for lang in ["de", "zz-ZZ", "fa IR"] {
        let body = with_patient(&all[2], json!({ "name": "Hans", "phone": "+989121110002", "language": lang }));
        let (s, p) = app.post(&url, body.clone()).await;
        assert_eq!(
            (s, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.language")),
            "{lang}: {p}"
        );
        let (s, p) = app.post(&format!("{c}/holds"), body).await;
        assert_eq!(
            (s, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.language")),
            "hold {lang}: {p}"
        );
        let (s, p) =
            app.post(&format!("{c}/verifications"), json!({ "phone": "+989121110002", "language": lang })).await;
        assert_eq!(
            (s, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.language")),
            "code {lang}: {p}"
        );
    }

    // Rescheduling keeps the language; a returning patient who states another one changes it.
    let id = staff_booked["id"].as_str().unwrap();
    let (s, moved) = app.post(&format!("{c}/appointments/{id}/reschedule"), json!({ "start": all[3]["start"] })).await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    assert_eq!(patient_of(&app, &seed, &moved).await["language"], "ar");
    let (s, again) = app
        .post(&url, with_patient(&all[4], json!({ "name": "Omid", "phone": "+98 912 111 0001", "language": "ru" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["patient"], staff_booked["patient"], "the same person");
    assert_eq!(patient_of(&app, &seed, &again).await["language"], "ru");

    // The clinic's default language is one of the six too.
    let (s, p) = app.patch(&c, json!({ "default_language": "de" })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("default_language")), "{p}");
    let (s, p) = app
        .post("/clinics", json!({ "slug": format!("{}-x", seed.slug), "name": "X", "default_language": "xx" }))
        .await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("default_language")), "{p}");
    app.stop().await;
}

#[tokio::test]
async fn phone_numbers_are_e164_in_the_clinics_country() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = path(&seed);
    let all = slots(&app, &seed, &seed.consult, &day(3), None).await;
    let url = format!("{c}/appointments");

    // No country yet: a national number cannot be read, and the answer says so.
    let (s, p) = app.post(&url, with_patient(&all[0], json!({ "name": "Amina", "phone": "0612345678" }))).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.phone")), "{p}");
    for bad in ["XX", "MAR", "1"] {
        let (s, p) = app.patch(&c, json!({ "country": bad })).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("country")), "{bad}: {p}");
    }
    let (s, clinic) = app.patch(&c, json!({ "country": "ma" })).await;
    assert_eq!((s, clinic["country"].as_str()), (StatusCode::OK, Some("MA")), "{clinic}");

    // A Casablanca receptionist types the number the local way.
    let (s, b) = app.post(&url, with_patient(&all[0], json!({ "name": "Amina", "phone": "0612345678" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(patient_of(&app, &seed, &b).await["phone"], "+212612345678");
    // Another spelling of the same number is the same patient.
    let (s, b2) = app.post(&url, with_patient(&all[1], json!({ "name": "Amina", "phone": "+212 612-34-56-78" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{b2}");
    assert_eq!(b2["patient"], b["patient"]);
    // A foreign number keeps its own country; a number that cannot exist is refused.
    let (s, b3) = app.post(&url, with_patient(&all[2], json!({ "name": "Reza", "phone": "0098 912 345 6789" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{b3}");
    assert_eq!(patient_of(&app, &seed, &b3).await["phone"], "+989123456789");
    let (s, p) = app.post(&url, with_patient(&all[3], json!({ "name": "Typo", "phone": "061234" }))).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("patient.phone")), "{p}");

    // A Tehran clinic: `0912 345 6789` is +989123456789.
    let (s, b) =
        app.post("/clinics", json!({ "slug": format!("{}-ir", seed.slug), "name": "Tehran", "country": "IR" })).await;
    assert_eq!((s, b["country"].as_str()), (StatusCode::CREATED, Some("IR")), "{b}");
    app.stop().await;
}

/// Asks for a one-time code as a guest; returns the verification id and the code, read from the
/// outbox (the only place the code exists in clear).
async fn request_code(app: &TestApp, seed: &Seed, phone: &str) -> (String, String) {
    let (s, v, _) =
        post_lang(app, &app.anon, &format!("{}/verifications", path(seed)), None, json!({ "phone": phone })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let db = app.db().await;
    let payloads: Vec<(String,)> = sqlx::query_as("SELECT payload FROM outbox WHERE topic = 'verification.requested'")
        .fetch_all(&db)
        .await
        .unwrap();
    let code = payloads
        .iter()
        .map(|(p,)| serde_json::from_str::<Value>(p).unwrap())
        .find(|p| p["verification"] == json!(id))
        .and_then(|p| p["code"].as_str().map(str::to_owned))
        .expect("the code is queued in the outbox");
    (id, code)
}

#[tokio::test]
async fn a_guest_verified_with_one_spelling_books_with_another() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = path(&seed);
    let (s, b) = app.patch(&c, json!({ "country": "IR" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let res = app
        .client
        .put(format!("{}{c}/security", app.api))
        .json(&json!({ "require_staff_2fa": false, "verify_guest_contact": true, "retention_days": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(decode(res).await.0, StatusCode::OK);
    let all = slots(&app, &seed, &seed.consult, &day(2), None).await;

    let (id, code) = request_code(&app, &seed, "0912 345 6789").await;
    let (s, proof, _) =
        post_lang(&app, &app.anon, &format!("{c}/verifications/{id}/confirm"), None, json!({ "code": code })).await;
    assert_eq!(s, StatusCode::OK, "{proof}");
    let mut body = with_patient(&all[0], json!({ "name": "Reza", "phone": "+98 912 345 6789" }));
    body["contact_proof"] = proof["contact_proof"].clone();
    let (s, b, _) = post_lang(&app, &app.anon, &format!("{c}/appointments"), None, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "the proof is for the number, not its spelling: {b}");
    // The proof is still only for that number.
    body["start"] = all[1]["start"].clone();
    body["patient"]["phone"] = json!("0912 345 6780");
    let (s, p, _) = post_lang(&app, &app.anon, &format!("{c}/appointments"), None, body).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::FORBIDDEN, Some("urn:nobat:problem:contact-unverified")), "{p}");
    app.stop().await;
}

#[tokio::test]
async fn a_patient_stored_with_bare_digits_is_recognised_and_upgraded() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = path(&seed);
    let (s, b) = app.patch(&c, json!({ "country": "MA" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // A row as the previous release wrote it: the digits as typed, in the phone and the key.
    let db = app.db().await;
    let legacy = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO patients (clinic_id, id, name, phone, email, language, contact_key, created_at_us, user_id) \
         VALUES ($1, $2, 'Amina', '0612345678', NULL, NULL, 'phone:0612345678', 1, NULL)",
    )
    .bind(&seed.clinic)
    .bind(&legacy)
    .execute(&db)
    .await
    .unwrap();
    let all = slots(&app, &seed, &seed.consult, &day(2), None).await;
    let (s, b) = app
        .post(
            &format!("{c}/appointments"),
            with_patient(&all[0], json!({ "name": "Amina", "phone": "06 12 34 56 78" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["patient"], json!(legacy), "the existing record, not a twin");
    let p = patient_of(&app, &seed, &b).await;
    assert_eq!(p["phone"], "+212612345678", "rewritten in E.164: {p}");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM patients WHERE clinic_id = $1")
        .bind(&seed.clinic)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}

#[tokio::test]
async fn staff_correct_a_patients_phone_and_language() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = path(&seed);
    let (s, b) = app.patch(&c, json!({ "country": "MA" })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let all = slots(&app, &seed, &seed.consult, &day(2), None).await;
    let (s, b) = app
        .post(&format!("{c}/appointments"), with_patient(&all[0], json!({ "name": "Karim", "phone": "0612345678" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["patient"].as_str().unwrap().to_owned();
    let url = format!("{c}/patients/{id}");

    let (s, p) = app.patch(&url, json!({ "phone": "06 61 23 45 67", "language": "ar-MA" })).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (p["phone"].as_str(), p["language"].as_str(), p["name"].as_str()),
        (Some("+212661234567"), Some("ar"), Some("Karim"))
    );
    for (body, field) in [
        (json!({ "language": "de" }), "patient.language"),
        (json!({ "phone": "12" }), "patient.phone"),
        (json!({ "phone": "" }), "patient.phone"),
    ] {
        let (s, p) = app.patch(&url, body.clone()).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {p}");
    }
    let (_, p) = app.get(&url).await;
    assert_eq!(p["phone"], "+212661234567", "refused changes change nothing: {p}");
    // The record follows its new number: booking with it finds this patient.
    let (s, b) = app
        .post(&format!("{c}/appointments"), with_patient(&all[1], json!({ "name": "Karim", "phone": "+212661234567" })))
        .await;
    assert_eq!((s, b["patient"].as_str()), (StatusCode::CREATED, Some(id.as_str())), "{b}");
    // Two records cannot be made one by an edit.
    let (s, other) = app
        .post(&format!("{c}/appointments"), with_patient(&all[2], json!({ "name": "Karim", "phone": "0612345679" })))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    let (s, p) = app
        .patch(&format!("{c}/patients/{}", other["patient"].as_str().unwrap()), json!({ "phone": "0661234567" }))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    app.stop().await;
}
