//! Patients' privacy, tried from the outside: guest contact verification, the private manage
//! link, "who looked at my record", export, erasure, the tamper-evident audit trail, retention
//! and consents. Every test runs the real server on a fresh database and checks the database
//! behind the API's back where the API alone could hide a mistake.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::AnyPool;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `/clinics/{slug}`.
fn clinic_path(seed: &Seed) -> String {
    format!("/clinics/{}", seed.slug)
}

/// A guest's request (no credential at all).
async fn guest_get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    decode(app.anon.get(format!("{}{path}", app.api)).send().await.unwrap()).await
}

async fn guest_post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.anon.post(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

/// A booking body for a patient with their own phone (the common helper shares one phone
/// between everyone, which would make "the phone is gone from the database" meaningless).
fn booking_for(slot: &Value, name: &str, phone: &str) -> Value {
    let mut b = booking(slot, name);
    b["patient"]["phone"] = json!(phone);
    b
}

/// A distinctive suffix, so a search for a patient's data cannot hit anything by chance.
fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// The slots of the 30-minute consultation with the first doctor, some days ahead.
async fn consult_slots(app: &TestApp, seed: &Seed, days_ahead: i64) -> Vec<Value> {
    let all = slots(app, seed, &seed.consult, &day(days_ahead), Some(&seed.doctors[0])).await;
    assert!(all.len() >= 10, "the seeded schedule offers slots: {all:?}");
    all
}

/// Books as a guest and insists it worked.
async fn guest_books(app: &TestApp, seed: &Seed, body: Value) -> Value {
    let (s, b) = guest_post(app, &format!("{}/appointments", clinic_path(seed)), body).await;
    assert_eq!(s, StatusCode::CREATED, "guest booking: {b}");
    b
}

/// Books as staff (the owner) for a patient and insists it worked.
async fn staff_books(app: &TestApp, seed: &Seed, body: Value) -> Value {
    let (s, b) = app.post(&format!("{}/appointments", clinic_path(seed)), body).await;
    assert_eq!(s, StatusCode::CREATED, "staff booking: {b}");
    b
}

async fn put_security(
    app: &TestApp,
    seed: &Seed,
    verify_guest_contact: bool,
    retention_days: Value,
) -> (StatusCode, Value) {
    let res = app
        .client
        .put(format!("{}{}/security", app.api, clinic_path(seed)))
        .json(&json!({
            "require_staff_2fa": false,
            "verify_guest_contact": verify_guest_contact,
            "retention_days": retention_days,
        }))
        .send()
        .await
        .unwrap();
    decode(res).await
}

fn problem_type(body: &Value) -> &str {
    body["type"].as_str().unwrap_or_default()
}

async fn count(db: &AnyPool, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(db).await.unwrap();
    n
}

/// Asks for a one-time code for `phone` as a guest; returns the verification id and the code,
/// read from the outbox — the only place the code exists in clear (it is "sent" from there).
async fn request_code(app: &TestApp, seed: &Seed, phone: &str) -> (String, String) {
    let (s, v) = guest_post(app, &format!("{}/verifications", clinic_path(seed)), json!({ "phone": phone })).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["channel"], "sms", "{v}");
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
    assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()), "six digits: {code}");
    (id, code)
}

async fn confirm(app: &TestApp, seed: &Seed, id: &str, code: &str) -> (StatusCode, Value) {
    guest_post(app, &format!("{}/verifications/{id}/confirm", clinic_path(seed)), json!({ "code": code })).await
}

/// A six-digit code that is certainly not `code`.
fn wrong_code(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

/// What the guest sees through their manage link: who at the clinic did what with their record.
async fn access_log(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = guest_get(app, &format!("/manage/{token}/access-log")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

/// Runs `nobat audit verify` against the test database (the server keeps running; SQLite's WAL
/// lets a second process read). Returns whether it exited 0, and everything it printed.
async fn audit_verify(app: &TestApp) -> (bool, String) {
    let (url, dir) = (app.db_url.clone(), app.dir.path().to_owned());
    // The child is waited for on the blocking pool: the server under test shares this runtime.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_nobat"))
            .arg("--database-url")
            .arg(&url)
            .arg("--data-dir")
            .arg(&dir)
            .args(["audit", "verify"])
            .env_remove("NOBAT_CONFIG")
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The line `nobat audit verify` printed about one chain.
fn chain_line<'a>(output: &'a str, chain: &str) -> &'a str {
    output.lines().find(|l| l.contains(chain)).unwrap_or_else(|| panic!("no line about chain {chain} in:\n{output}"))
}

/// Every TEXT column of every table, as (table, column): the whole database's text.
async fn text_columns(app: &TestApp, db: &AnyPool) -> Vec<(String, String)> {
    let sql = if app.engine == "postgres" {
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type = 'text' ORDER BY 1, 2"
    } else {
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND upper(p.type) = 'TEXT' ORDER BY 1, 2"
    };
    let cols: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(db).await.unwrap();
    assert!(cols.iter().any(|(t, c)| t == "patients" && c == "name"), "the column list is real: {cols:?}");
    cols
}

/// Where `needle` occurs in those columns, as "table.column×rows".
async fn find_text(db: &AnyPool, columns: &[(String, String)], needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for (table, column) in columns {
        let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE \"{column}\" LIKE $1");
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(format!("%{needle}%")).fetch_one(db).await.unwrap();
        if n > 0 {
            hits.push(format!("{table}.{column}×{n}"));
        }
    }
    hits
}

/// Moves every appointment of a patient `days` into the past (times and blocks alike).
async fn move_appointments_back(db: &AnyPool, patient: &str, days: i64) {
    let shift = days * 86_400_000_000;
    sqlx::query(
        "UPDATE appointments SET start_us = start_us - $1, end_us = end_us - $1, \
         block_start_us = block_start_us - $1, block_end_us = block_end_us - $1 WHERE patient_id = $2",
    )
    .bind(shift)
    .bind(patient)
    .execute(db)
    .await
    .unwrap();
}

/// The clinic's audit rows not about `patient`: what erasure must leave exactly as it was.
type AuditBody = (i64, Option<String>, Option<String>, Option<String>, Option<i64>, String, String);

async fn audit_rows_not_about(db: &AnyPool, clinic: &str, patient: &str) -> Vec<AuditBody> {
    sqlx::query_as(
        "SELECT seq, before, after, note, redacted_at_us, actor_label, hash FROM audit_events \
         WHERE clinic_id = $1 AND (subject IS NULL OR subject <> $2) ORDER BY seq",
    )
    .bind(clinic)
    .bind(patient)
    .fetch_all(db)
    .await
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Guest verification
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn guests_must_confirm_their_phone_when_the_clinic_asks() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let other = seed_at(&app.client, &app.api).await;
    for s in [&seed, &other] {
        let (st, body) = put_security(&app, s, true, Value::Null).await;
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(body["verify_guest_contact"], true);
    }
    let c = clinic_path(&seed);
    let db = app.db().await;
    let free = consult_slots(&app, &seed, 2).await;
    let phone = "+989121234567";

    // Without a proof (or with a made-up one) a guest is refused, and nothing is written.
    let (s, p) = guest_post(&app, &format!("{c}/appointments"), booking(&free[0], "Guest Without Proof")).await;
    assert_eq!((s, problem_type(&p)), (StatusCode::FORBIDDEN, "urn:nobat:problem:contact-unverified"), "{p}");
    assert_eq!(p["field"], "contact_proof");
    let mut forged = booking(&free[0], "Guest Without Proof");
    forged["contact_proof"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let (s, p) = guest_post(&app, &format!("{c}/appointments"), forged).await;
    assert_eq!((s, problem_type(&p)), (StatusCode::FORBIDDEN, "urn:nobat:problem:contact-unverified"), "{p}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM appointments").await, 0, "a refused booking writes no appointment");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM patients").await, 0, "nor a patient record");

    // Ask for a code; the verification row keeps only a keyed hash of it.
    let (vid, code) = request_code(&app, &seed, phone).await;
    let (stored_hash, attempts): (String, i64) =
        sqlx::query_as("SELECT code_hash, attempts FROM verifications WHERE id = $1")
            .bind(&vid)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_ne!(stored_hash, code);
    assert!(!stored_hash.contains(&code), "the code is not stored in clear: {stored_hash}");
    assert_eq!(attempts, 0);

    // A wrong code is a 422 and is counted; the right one gives a proof.
    let (s, p) = confirm(&app, &seed, &vid, &wrong_code(&code)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "code");
    let (attempts,): (i64,) =
        sqlx::query_as("SELECT attempts FROM verifications WHERE id = $1").bind(&vid).fetch_one(&db).await.unwrap();
    assert_eq!(attempts, 1, "the wrong try is committed, not rolled back with the error");
    // The code is bound to its clinic: the other clinic does not know this verification.
    let (s, _) = confirm(&app, &other, &vid, &code).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, proof) = confirm(&app, &seed, &vid, &code).await;
    assert_eq!(s, StatusCode::OK, "{proof}");
    let proof = proof["contact_proof"].as_str().unwrap().to_owned();
    // A code works once.
    let (s, p) = confirm(&app, &seed, &vid, &code).await;
    assert_eq!((s, problem_type(&p)), (StatusCode::CONFLICT, "urn:nobat:problem:refused"), "{p}");

    // With the proof the guest books.
    let mut with_proof = booking(&free[0], "Verified Guest");
    with_proof["contact_proof"] = json!(proof);
    let booked = guest_books(&app, &seed, with_proof).await;
    assert_eq!(booked["status"], "booked");

    // The proof is for that phone only…
    let mut other_phone = booking_for(&free[1], "Someone Else", "+989121234568");
    other_phone["contact_proof"] = json!(proof);
    let (s, p) = guest_post(&app, &format!("{c}/appointments"), other_phone).await;
    assert_eq!((s, problem_type(&p)), (StatusCode::FORBIDDEN, "urn:nobat:problem:contact-unverified"), "{p}");
    // …and for that clinic only.
    let other_slot = consult_slots(&app, &other, 2).await[0].clone();
    let mut elsewhere = booking(&other_slot, "Verified Guest");
    elsewhere["contact_proof"] = json!(proof);
    let (s, p) = guest_post(&app, &format!("{}/appointments", clinic_path(&other)), elsewhere).await;
    assert_eq!((s, problem_type(&p)), (StatusCode::FORBIDDEN, "urn:nobat:problem:contact-unverified"), "{p}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM appointments").await, 1, "only the verified booking was written");

    // Five wrong codes spend a verification: even the right code is refused afterwards.
    let (vid, code) = request_code(&app, &seed, phone).await;
    for i in 0..5 {
        let (s, p) = confirm(&app, &seed, &vid, &wrong_code(&code)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "wrong try {i}: {p}");
    }
    let (s, p) = confirm(&app, &seed, &vid, &code).await;
    assert_eq!((s, problem_type(&p)), (StatusCode::CONFLICT, "urn:nobat:problem:refused"), "spent: {p}");
    let (attempts, confirmed): (i64, Option<i64>) =
        sqlx::query_as("SELECT attempts, confirmed_at_us FROM verifications WHERE id = $1")
            .bind(&vid)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((attempts, confirmed), (5, None));

    // Staff booking for a patient at the desk need no proof.
    let desk = staff_books(&app, &seed, booking_for(&free[2], "Walk-in Patient", "+989121239999")).await;
    assert_eq!(desk["status"], "booked");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. The manage link
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_manage_link_lets_a_guest_view_cancel_and_reschedule_without_an_account() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let db = app.db().await;
    let free = consult_slots(&app, &seed, 2).await;

    let booked = guest_books(&app, &seed, booking(&free[0], "Link Holder")).await;
    let token = booked["manage_token"].as_str().unwrap().to_owned();
    let id = booked["id"].as_str().unwrap().to_owned();
    assert!(booked["manage_url"].as_str().unwrap().ends_with(&format!("/api/v1/manage/{token}")), "{booked}");

    // The guest, with no account, opens it.
    let (s, seen) = guest_get(&app, &format!("/manage/{token}")).await;
    assert_eq!(s, StatusCode::OK, "{seen}");
    assert_eq!((seen["id"].as_str(), seen["status"].as_str()), (Some(id.as_str()), Some("booked")));

    // The link acts for the patient: it cannot claim staff powers.
    let (s, p) = guest_post(&app, &format!("/manage/{token}/cancel"), json!({ "staff_override": true })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("staff_override")), "{p}");
    let (s, p) = guest_post(
        &app,
        &format!("/manage/{token}/reschedule"),
        json!({ "start": free[3]["start"], "staff_override": true }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("staff_override")), "{p}");
    let (status,): (String,) =
        sqlx::query_as("SELECT status FROM appointments WHERE id = $1").bind(&id).fetch_one(&db).await.unwrap();
    assert_eq!(status, "booked", "a refused override changed nothing");

    // A tampered or truncated token opens nothing (and does not say why).
    let mut chars: Vec<char> = token.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    assert_ne!(tampered, token);
    for bad in [tampered.as_str(), &token[..token.len() - 4], "not-a-token"] {
        let (s, p) = guest_get(&app, &format!("/manage/{bad}")).await;
        assert_eq!((s, problem_type(&p)), (StatusCode::NOT_FOUND, "urn:nobat:problem:not-found"), "{bad}: {p}");
        let (s, _) = guest_post(&app, &format!("/manage/{bad}/cancel"), json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
    }

    // Cancel through the link: done, and recorded as the patient's own act.
    let (s, cancelled) = guest_post(&app, &format!("/manage/{token}/cancel"), json!({ "reason": "cannot come" })).await;
    assert_eq!((s, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{cancelled}");
    let (s, trail) = app.get(&format!("{c}/audit?entity=appointment&entity_id={id}&action=cancel")).await;
    assert_eq!(s, StatusCode::OK, "{trail}");
    let trail = trail.as_array().unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["actor"], "patient-link");
    assert_eq!(trail[0]["actor_label"], "the patient (manage link)");
    assert_eq!(trail[0]["note"], "cannot come");
    let (s, p) = guest_post(&app, &format!("/manage/{token}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a cancelled appointment is final: {p}");

    // Reschedule through another booking's link: a new appointment with a new link.
    let second = guest_books(&app, &seed, booking(&free[1], "Link Holder")).await;
    let old_token = second["manage_token"].as_str().unwrap().to_owned();
    let old_id = second["id"].as_str().unwrap().to_owned();
    let (s, moved) =
        guest_post(&app, &format!("/manage/{old_token}/reschedule"), json!({ "start": free[5]["start"] })).await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    let new_token = moved["manage_token"].as_str().unwrap();
    let new_id = moved["id"].as_str().unwrap();
    assert_ne!(new_token, old_token);
    assert_ne!(new_id, old_id);
    assert_eq!(moved["start"], free[5]["start"]);
    assert_eq!(moved["rescheduled_from"].as_str(), Some(old_id.as_str()));
    let (s, old) = guest_get(&app, &format!("/manage/{old_token}")).await;
    assert_eq!(s, StatusCode::OK, "{old}");
    assert_eq!((old["status"].as_str(), old["rescheduled_to"].as_str()), (Some("cancelled"), Some(new_id)), "{old}");
    let (s, new) = guest_get(&app, &format!("/manage/{new_token}")).await;
    assert_eq!((s, new["status"].as_str()), (StatusCode::OK, Some("booked")), "{new}");
    let (actor,): (String,) =
        sqlx::query_as("SELECT actor FROM audit_events WHERE entity_id = $1 AND action = 'reschedule'")
            .bind(&old_id)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(actor, "patient-link");

    // A link stops working when its appointment is over. Nothing books in the past, even for
    // staff, so the appointment is moved there behind the API's back. The link's expiry is
    // signed into the token when it is issued (the appointment's end at that moment), so the
    // token issued at booking still opens; opening it issues a fresh token for the appointment
    // as it now stands, which has already expired.
    let third = guest_books(&app, &seed, booking(&free[7], "Late Patient")).await;
    let third_id = third["id"].as_str().unwrap().to_owned();
    let patient = third["patient"].as_str().unwrap().to_owned();
    move_appointments_back(&db, &patient, 5).await;
    let (s, reissued) = guest_get(&app, &format!("/manage/{}", third["manage_token"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::OK, "{reissued}");
    assert_eq!(reissued["id"].as_str(), Some(third_id.as_str()));
    let expired = reissued["manage_token"].as_str().unwrap();
    for (method, path) in [
        ("GET", format!("/manage/{expired}")),
        ("POST", format!("/manage/{expired}/cancel")),
        ("GET", format!("/manage/{expired}/access-log")),
    ] {
        let (s, p) =
            if method == "GET" { guest_get(&app, &path).await } else { guest_post(&app, &path, json!({})).await };
        assert_eq!((s, problem_type(&p)), (StatusCode::GONE, "urn:nobat:problem:link-expired"), "{path}: {p}");
    }
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Who accessed my record
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_guest_sees_who_at_the_clinic_looked_at_their_record() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let free = consult_slots(&app, &seed, 2).await;
    let booked = guest_books(&app, &seed, booking(&free[0], "Watched Patient")).await;
    let (token, id, patient) = (
        booked["manage_token"].as_str().unwrap().to_owned(),
        booked["id"].as_str().unwrap().to_owned(),
        booked["patient"].as_str().unwrap().to_owned(),
    );
    // Someone else's record, read by the same staff member, must not show up.
    let stranger = guest_books(&app, &seed, booking_for(&free[1], "Other Patient", "+989120000001")).await;
    let (s, _) = app.get(&format!("{c}/patients/{}", stranger["patient"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::OK);

    let before = access_log(&app, &token).await;
    assert!(before.iter().any(|e| e["action"] == "book" && e["who"] == "guest"), "the booking itself: {before:?}");
    assert!(!before.iter().any(|e| e["action"] == "view" || e["action"] == "export"), "{before:?}");

    // A guest cannot read the record through the staff API (and is not recorded as reading it).
    let (s, _) = guest_get(&app, &format!("{c}/appointments/{id}")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = guest_get(&app, &format!("{c}/patients/{patient}")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Three staff reads: the appointment, the patient record, the export.
    let (s, _) = app.get(&format!("{c}/appointments/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, record) = app.get(&format!("{c}/patients/{patient}")).await;
    assert_eq!((s, record["name"].as_str()), (StatusCode::OK, Some("Watched Patient")), "{record}");
    let (s, _) = app.get(&format!("{c}/patients/{patient}/export")).await;
    assert_eq!(s, StatusCode::OK);

    let after = access_log(&app, &token).await;
    let staff: Vec<(&str, &str, &str)> = after
        .iter()
        .filter(|e| e["action"] == "view" || e["action"] == "export")
        .map(|e| (e["who"].as_str().unwrap(), e["action"].as_str().unwrap(), e["what"].as_str().unwrap()))
        .collect();
    // The link shows what happened to *this appointment*: the staff read of it. Reads of the
    // whole record are not the link holder's to see (guests are matched to records by phone and
    // name, so a stranger who typed those could hold a link); they are in the record's history,
    // which the export and the patient's own account show.
    assert_eq!(staff, vec![("Test Owner (owner)", "view", "appointment")], "{after:?}");
    assert_eq!(after.len(), before.len() + 1, "exactly one entry for the appointment read: {after:?}");
    let (s, export) = app.get(&format!("{c}/patients/{patient}/export")).await;
    assert_eq!(s, StatusCode::OK);
    let reads: Vec<(&str, &str, &str)> = export["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "view" || e["action"] == "export")
        .map(|e| (e["actor_label"].as_str().unwrap(), e["action"].as_str().unwrap(), e["entity"].as_str().unwrap()))
        .collect();
    // Newest first: this export, the earlier export, the record view, the appointment view.
    assert_eq!(
        reads,
        vec![
            ("Test Owner (owner)", "export", "patient"),
            ("Test Owner (owner)", "export", "patient"),
            ("Test Owner (owner)", "view", "patient"),
            ("Test Owner (owner)", "view", "appointment"),
        ],
        "{export}"
    );
    assert!(after.iter().all(|e| e["at"].as_str().is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok())), "{after:?}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Export
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_export_holds_everything_about_one_patient_and_only_managers_get_it() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let free = consult_slots(&app, &seed, 2).await;
    let phone = "+989125550123";

    let mut first = booking_for(&free[0], "Exported Patient", phone);
    first["consents"] = json!([
        { "kind": "privacy-notice", "text_version": "2026-01" },
        { "kind": "reminders", "text_version": "v3" },
    ]);
    let first = guest_books(&app, &seed, first).await;
    let patient = first["patient"].as_str().unwrap().to_owned();
    let second = guest_books(&app, &seed, booking_for(&free[2], "Exported Patient", phone)).await;
    assert_eq!(second["patient"].as_str(), Some(patient.as_str()), "same name and phone: same patient");
    let (s, _) =
        guest_post(&app, &format!("/manage/{}/cancel", second["manage_token"].as_str().unwrap()), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    // Another patient on the same phone (a family): none of theirs belongs in this export.
    let sibling = guest_books(&app, &seed, booking_for(&free[4], "Sibling Patient", phone)).await;
    assert_ne!(sibling["patient"], first["patient"]);

    let res = app.client.get(format!("{}{c}/patients/{patient}/export", app.api)).send().await.unwrap();
    let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
    let (s, export) = decode(res).await;
    assert_eq!(s, StatusCode::OK, "{export}");
    assert!(ctype.starts_with("application/json"), "{ctype}");

    assert_eq!(export["patient"]["id"].as_str(), Some(patient.as_str()));
    assert_eq!(export["patient"]["name"], "Exported Patient");
    assert_eq!(export["patient"]["phone"], phone);
    let mut ids: Vec<&str> =
        export["appointments"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = vec![first["id"].as_str().unwrap(), second["id"].as_str().unwrap()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "all of the patient's appointments, cancelled ones too, and no one else's");
    let statuses: Vec<&str> =
        export["appointments"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"cancelled") && statuses.contains(&"booked"), "{statuses:?}");

    let mut consents: Vec<(&str, &str)> = export["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            assert!(k["given_at"].as_str().unwrap().parse::<jiff::Timestamp>().is_ok(), "given_at: {k}");
            assert!(k["withdrawn_at"].is_null(), "{k}");
            assert_eq!(k["source"], "booking");
            (k["kind"].as_str().unwrap(), k["text_version"].as_str().unwrap())
        })
        .collect();
    consents.sort_unstable();
    assert_eq!(consents, vec![("privacy-notice", "2026-01"), ("reminders", "v3")]);

    let history = export["history"].as_array().unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h["action"].as_str().unwrap()).collect();
    for needed in ["book", "give", "cancel", "export"] {
        assert!(actions.contains(&needed), "history has `{needed}`: {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| **a == "book").count(), 2, "{actions:?}");
    assert!(
        history.iter().all(|h| h["patient"].as_str() == Some(patient.as_str())),
        "only this patient's: {history:?}"
    );
    let seqs: Vec<i64> = history.iter().map(|h| h["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");

    // The record belongs to its clinic: through another clinic (even one the same owner runs)
    // it is not found, nor exported, nor erased.
    let elsewhere = clinic_path(&seed_at(&app.client, &app.api).await);
    let (s, _) = app.get(&format!("{elsewhere}/patients/{patient}/export")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.post(&format!("{elsewhere}/patients/{patient}/erase"), json!({ "reason": "wrong clinic" })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A receptionist sees the record but may neither export nor erase it.
    invite_staff(
        &app,
        &app.client,
        &c,
        json!({ "email": "desk@test.nobat", "role": "receptionist", "name": "Desk Person" }),
    )
    .await;
    let secret = login(&app.anon, &app.api, "desk@test.nobat", STAFF_PASSWORD).await;
    let desk = authed_client(&secret);
    let (s, _) = decode(desk.get(format!("{}{c}/patients/{patient}", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "the receptionist is signed in and may view");
    let (s, p) = decode(desk.get(format!("{}{c}/patients/{patient}/export", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let (s, p) = decode(
        desk.post(format!("{}{c}/patients/{patient}/erase", app.api))
            .json(&json!({ "reason": "asked" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let db = app.db().await;
    let (name, erased): (String, Option<i64>) = sqlx::query_as("SELECT name, erased_at_us FROM patients WHERE id = $1")
        .bind(&patient)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!((name.as_str(), erased), ("Exported Patient", None), "the refused erasure did nothing");
    // Their view is in the record's history under their own name and role.
    let (_, export) = app.get(&format!("{c}/patients/{patient}/export")).await;
    let history = export["history"].as_array().unwrap();
    assert!(
        history.iter().any(|e| e["actor_label"] == "Desk Person (receptionist)" && e["action"] == "view"),
        "{history:?}"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 5. Erasure
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn erasure_anonymises_the_patient_but_keeps_statistics_and_the_chain() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let db = app.db().await;
    let free = consult_slots(&app, &seed, 2).await;
    let u = unique();
    let (name, phone, email, note, reason) = (
        format!("Golnar Erasable {u}"),
        "+989125550101".to_owned(),
        format!("golnar.{u}@example.com"),
        format!("allergic to penicillin {u}"),
        format!("moving abroad {u}"),
    );
    let mut body = booking_for(&free[0], &name, &phone);
    body["patient"]["email"] = json!(email);
    body["patient"]["language"] = json!("fa");
    body["note"] = json!(note);
    body["consents"] = json!([{ "kind": "privacy-notice", "text_version": "2026-01" }]);
    let first = guest_books(&app, &seed, body).await;
    let patient = first["patient"].as_str().unwrap().to_owned();
    let second = guest_books(&app, &seed, booking_for(&free[2], &name, &phone)).await;
    let (s, _) = guest_post(
        &app,
        &format!("/manage/{}/cancel", second["manage_token"].as_str().unwrap()),
        json!({ "reason": reason }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("{c}/patients/{patient}")).await;
    assert_eq!(s, StatusCode::OK);
    // Someone else, who must keep everything.
    let mut other = booking_for(&free[4], &format!("Other Person {u}"), "+989125550202");
    other["note"] = json!(format!("other note {u}"));
    let other = guest_books(&app, &seed, other).await;

    let kept_before: Vec<(String, i64, i64, String)> =
        sqlx::query_as("SELECT id, start_us, end_us, status FROM appointments WHERE patient_id = $1 ORDER BY id")
            .bind(&patient)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(kept_before.len(), 2);
    let others_before = audit_rows_not_about(&db, &seed.clinic, &patient).await;
    let (about,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE subject = $1")
        .bind(&patient)
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(about >= 5, "book×2, give, cancel, view are about the patient: {about}");

    // A reason is required.
    let (s, p) = app.post(&format!("{c}/patients/{patient}/erase"), json!({ "reason": "  " })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{p}");
    let (s, erased) =
        app.post(&format!("{c}/patients/{patient}/erase"), json!({ "reason": "the patient asked" })).await;
    assert_eq!(s, StatusCode::OK, "{erased}");
    assert_eq!(erased["appointments_kept"], 2);

    // The record is anonymous.
    let (pname, pphone, pemail, planguage, at): (String, Option<String>, Option<String>, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT name, phone, email, language, erased_at_us FROM patients WHERE id = $1")
            .bind(&patient)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((pname.as_str(), pphone, pemail, planguage), ("erased", None, None, None));
    assert!(at.is_some());

    // Appointments stay for the statistics, with the same times and status, without notes.
    let kept_after: Vec<(String, i64, i64, String)> =
        sqlx::query_as("SELECT id, start_us, end_us, status FROM appointments WHERE patient_id = $1 ORDER BY id")
            .bind(&patient)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(kept_after, kept_before);
    let (notes,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM appointments WHERE patient_id = $1 AND (note IS NOT NULL OR cancel_reason IS NOT NULL)",
    )
    .bind(&patient)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(notes, 0, "notes and cancel reasons go");

    // The audit rows about them are blanked and say so; every other row is exactly as it was.
    type Body = (Option<String>, Option<String>, Option<String>, Option<i64>);
    let blanked: Vec<Body> =
        sqlx::query_as("SELECT before, after, note, redacted_at_us FROM audit_events WHERE subject = $1")
            .bind(&patient)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(blanked.len() as i64, about, "no row about them was removed");
    assert!(blanked.iter().all(|r| r.0.is_none() && r.1.is_none() && r.2.is_none() && r.3.is_some()), "{blanked:?}");
    let others_after = audit_rows_not_about(&db, &seed.clinic, &patient).await;
    let last_seq = others_before.last().unwrap().0;
    let (unchanged, new): (Vec<_>, Vec<_>) = others_after.into_iter().partition(|r| r.0 <= last_seq);
    assert_eq!(unchanged, others_before, "rows about others are untouched");
    assert_eq!(new.len(), 1, "one new row: the erasure itself: {new:?}");
    let (action, actor, entity_id, enote): (String, String, String, Option<String>) =
        sqlx::query_as("SELECT action, actor, entity_id, note FROM audit_events WHERE clinic_id = $1 AND seq = $2")
            .bind(&seed.clinic)
            .bind(new[0].0)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        (action.as_str(), entity_id.as_str(), enote.as_deref()),
        ("erase", patient.as_str(), Some("the patient asked"))
    );
    assert!(actor.starts_with("user:"), "{actor}");

    // Nothing personal is left in the clinic's records; the other patient's data is (which
    // also shows the search finds what is there).
    let columns: Vec<(String, String)> = text_columns(&app, &db)
        .await
        .into_iter()
        .filter(|(t, _)| ["patients", "appointments", "consents", "audit_events"].contains(&t.as_str()))
        .collect();
    for needle in [name.as_str(), phone.as_str(), email.as_str(), note.as_str(), reason.as_str()] {
        let hits = find_text(&db, &columns, needle).await;
        assert!(hits.is_empty(), "`{needle}` is still in {hits:?}");
    }
    assert!(!find_text(&db, &columns, &format!("Other Person {u}")).await.is_empty());
    assert!(!find_text(&db, &columns, &format!("other note {u}")).await.is_empty());
    let (other_name,): (String,) = sqlx::query_as("SELECT name FROM patients WHERE id = $1")
        .bind(other["patient"].as_str().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(other_name, format!("Other Person {u}"));

    // Their consents are withdrawn.
    let (open,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM consents WHERE patient_id = $1 AND withdrawn_at_us IS NULL")
            .bind(&patient)
            .fetch_one(&db)
            .await
            .unwrap();
    let (all,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM consents WHERE patient_id = $1")
        .bind(&patient)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!((all, open), (1, 0));

    // Staff reading the record now see no one (the read is recorded, as always, after the
    // erasure: it is not redacted and has nothing in it).
    let (s, record) = app.get(&format!("{c}/patients/{patient}")).await;
    assert_eq!((s, record["name"].as_str(), record["phone"].is_null()), (StatusCode::OK, Some("erased"), true));

    // Erasing twice finds no one to erase.
    let (s, _) = app.post(&format!("{c}/patients/{patient}/erase"), json!({ "reason": "again" })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The same person booking again is a new patient, not the erased record brought back.
    let again = guest_books(&app, &seed, booking_for(&free[6], &name, &phone)).await;
    assert_ne!(again["patient"].as_str(), Some(patient.as_str()));
    let (with_phone,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM patients WHERE phone = $1").bind(&phone).fetch_one(&db).await.unwrap();
    assert_eq!(with_phone, 1);

    // The chain still verifies: redaction blanked bodies, not hashes.
    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "audit verify after erasure:\n{out}");
    let line = chain_line(&out, &seed.clinic);
    assert!(line.starts_with("ok") && line.contains(&format!("({about} redacted)")), "{line}");
    app.stop().await;
}

/// Erasure must reach every copy of the patient's data the server keeps, not only the clinic's
/// tables: the outbox (verification messages carry the phone they were sent to), remembered
/// Idempotency-Key answers (they hold the booked appointment, note included) and pending
/// verifications (keyed by the phone).
#[tokio::test]
async fn erasure_leaves_nothing_personal_anywhere_in_the_database() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let (s, _) = put_security(&app, &seed, true, Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    let c = clinic_path(&seed);
    let db = app.db().await;
    let free = consult_slots(&app, &seed, 2).await;
    let u = unique();
    let (name, phone, note) = (format!("Leyla Thorough {u}"), "+989125557788".to_owned(), format!("private note {u}"));

    let (vid, code) = request_code(&app, &seed, &phone).await;
    let (s, proof) = confirm(&app, &seed, &vid, &code).await;
    assert_eq!(s, StatusCode::OK);
    let mut body = booking_for(&free[0], &name, &phone);
    body["note"] = json!(note);
    body["contact_proof"] = proof["contact_proof"].clone();
    let res = app
        .anon
        .post(format!("{}{c}/appointments", app.api))
        .header("Idempotency-Key", format!("retry-{u}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (s, booked) = decode(res).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let patient = booked["patient"].as_str().unwrap();

    let (s, _) = app.post(&format!("{c}/patients/{patient}/erase"), json!({ "reason": "the patient asked" })).await;
    assert_eq!(s, StatusCode::OK);

    let columns = text_columns(&app, &db).await;
    let mut leaks = Vec::new();
    for needle in [name.as_str(), phone.as_str(), note.as_str()] {
        for hit in find_text(&db, &columns, needle).await {
            leaks.push(format!("`{needle}` in {hit}"));
        }
    }
    assert!(leaks.is_empty(), "personal data survived erasure: {leaks:#?}");
    app.stop().await;
}

/// A patient with an account is named in the trail by their account's name when they book
/// themselves (the actor label). The label is part of the row's hash, so erasure cannot blank
/// it afterwards; the trail must not take the name in the first place (as for guests).
#[tokio::test]
async fn erasure_leaves_no_name_in_the_trail_of_a_patient_who_booked_signed_in() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let db = app.db().await;
    let u = unique();
    let name = format!("Shirin Account {u}");
    let email = format!("shirin.{u}@example.com");
    let (s, p) = guest_post(
        &app,
        "/auth/register",
        json!({ "email": email, "password": "a long enough password", "name": name }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let me = authed_client(&login(&app.anon, &app.api, &email, "a long enough password").await);
    let slot = consult_slots(&app, &seed, 2).await[0].clone();
    let res = me
        .post(format!("{}{c}/appointments", app.api))
        .json(&booking_for(&slot, &name, "+989125553344"))
        .send()
        .await
        .unwrap();
    let (s, booked) = decode(res).await;
    assert_eq!(s, StatusCode::CREATED, "{booked}");
    let patient = booked["patient"].as_str().unwrap();
    let (s, _) = app.post(&format!("{c}/patients/{patient}/erase"), json!({ "reason": "the patient asked" })).await;
    assert_eq!(s, StatusCode::OK);

    let labels: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT seq, action, actor_label FROM audit_events WHERE clinic_id = $1 AND actor_label LIKE $2",
    )
    .bind(&seed.clinic)
    .bind(format!("%{name}%"))
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(labels.is_empty(), "the erased patient's name is still in the clinic's trail: {labels:?}");
    app.stop().await;
}

/// A registered patient erases their own account: their records in every clinic are anonymised,
/// the account cannot sign in or be found by email, the chains still verify, and a clinic's only
/// owner is refused.
#[tokio::test]
async fn a_patient_erases_their_account_and_every_record_linked_to_it() {
    let app = spawn_app().await;
    let (a, b) = (seed(&app).await, seed(&app).await);
    let db = app.db().await;
    let u = unique();
    let (name, email, phone) = (format!("Nima Account {u}"), format!("nima.{u}@example.com"), "+989127770011");
    let (s, p) = guest_post(
        &app,
        "/auth/register",
        json!({ "email": email, "password": "a long enough password", "name": name }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let me = authed_client(&login(&app.anon, &app.api, &email, "a long enough password").await);
    for seed in [&a, &b] {
        let slot = consult_slots(&app, seed, 2).await[0].clone();
        let res = me
            .post(format!("{}{}/appointments", app.api, clinic_path(seed)))
            .json(&booking_for(&slot, &name, phone))
            .send()
            .await
            .unwrap();
        assert_eq!(decode(res).await.0, StatusCode::CREATED);
    }
    let (s, body) =
        decode(me.post(format!("{}/me/erase", app.api)).json(&json!({ "password": "wrong" })).send().await.unwrap())
            .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the password is needed: {body}");
    let res =
        me.post(format!("{}/me/erase", app.api)).json(&json!({ "password": "a long enough password" })).send().await;
    let (s, body) = decode(res.unwrap()).await;
    assert_eq!((s, body["patient_records_erased"].as_u64()), (StatusCode::OK, Some(2)), "{body}");
    // Signed out everywhere; the password no longer opens anything.
    assert_eq!(decode(me.get(format!("{}/me", app.api)).send().await.unwrap()).await.0, StatusCode::UNAUTHORIZED);
    let res = app
        .anon
        .post(format!("{}/auth/login", app.api))
        .json(&json!({ "email": email, "password": "a long enough password" }))
        .send()
        .await;
    assert_eq!(decode(res.unwrap()).await.0, StatusCode::UNAUTHORIZED);
    let columns = text_columns(&app, &db).await;
    for needle in [name.as_str(), email.as_str(), phone] {
        assert_eq!(find_text(&db, &columns, needle).await, Vec::<String>::new(), "{needle} survived the erasure");
    }
    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "{out}");
    // The operator owns the seeded clinics alone: erasing that account is refused, nothing changes.
    let res =
        app.client.post(format!("{}/me/erase", app.api)).json(&json!({ "password": OWNER_PASSWORD })).send().await;
    let (s, body) = decode(res.unwrap()).await;
    assert_eq!((s, body["type"].as_str()), (StatusCode::CONFLICT, Some("urn:nobat:problem:refused")), "{body}");
    assert_eq!(app.get(&format!("{}/members", clinic_path(&a))).await.0, StatusCode::OK);
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Tamper evidence
// ---------------------------------------------------------------------------------------------

/// Some activity in a clinic: bookings, a cancellation, a read.
async fn activity(app: &TestApp, seed: &Seed) {
    let free = consult_slots(app, seed, 2).await;
    let a = guest_books(app, seed, booking(&free[0], "Chain Patient")).await;
    let b = staff_books(app, seed, booking(&free[1], "Chain Patient")).await;
    let (s, _) =
        app.post(&format!("{}/appointments/{}/cancel", clinic_path(seed), b["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("{}/patients/{}", clinic_path(seed), a["patient"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::OK);
}

async fn chain_head(db: &AnyPool, clinic: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT MAX(seq) FROM audit_events WHERE clinic_id = $1")
        .bind(clinic)
        .fetch_one(db)
        .await
        .unwrap();
    n
}

/// Keeps a copy of one audit row (to put it back after deleting it).
async fn stash_row(db: &AnyPool, clinic: &str, seq: i64) {
    sqlx::query("DROP TABLE IF EXISTS audit_stash").execute(db).await.unwrap();
    // Parameters go in an INSERT: PostgreSQL takes none in CREATE TABLE … AS.
    sqlx::query("CREATE TABLE audit_stash AS SELECT * FROM audit_events WHERE 1 = 0").execute(db).await.unwrap();
    sqlx::query("INSERT INTO audit_stash SELECT * FROM audit_events WHERE clinic_id = $1 AND seq = $2")
        .bind(clinic)
        .bind(seq)
        .execute(db)
        .await
        .unwrap();
}

async fn delete_row(db: &AnyPool, clinic: &str, seq: i64) {
    let n = sqlx::query("DELETE FROM audit_events WHERE clinic_id = $1 AND seq = $2")
        .bind(clinic)
        .bind(seq)
        .execute(db)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(n, 1);
}

async fn unstash_row(db: &AnyPool) {
    sqlx::query("INSERT INTO audit_events SELECT * FROM audit_stash").execute(db).await.unwrap();
}

#[tokio::test]
async fn changing_or_removing_audit_rows_behind_the_apps_back_is_detected() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    activity(&app, &seed).await;
    let db = app.db().await;
    let clinic = seed.clinic.as_str();

    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "{out}");
    assert!(chain_line(&out, clinic).starts_with("ok"), "{out}");

    let head = chain_head(&db, clinic).await;
    assert!(head >= 10, "seeding and activity made a real chain: {head}");
    let middle = head / 2;

    // Someone rewrites who did something.
    let (label, after): (String, Option<String>) =
        sqlx::query_as("SELECT actor_label, after FROM audit_events WHERE clinic_id = $1 AND seq = $2")
            .bind(clinic)
            .bind(middle)
            .fetch_one(&db)
            .await
            .unwrap();
    sqlx::query("UPDATE audit_events SET actor_label = 'Someone Innocent (owner)' WHERE clinic_id = $1 AND seq = $2")
        .bind(clinic)
        .bind(middle)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out) = audit_verify(&app).await;
    assert!(!ok, "a changed actor must not verify:\n{out}");
    let line = chain_line(&out, clinic);
    assert!(line.starts_with("BROKEN") && line.contains(&format!("row {middle}")), "{line}");
    sqlx::query("UPDATE audit_events SET actor_label = $1 WHERE clinic_id = $2 AND seq = $3")
        .bind(&label)
        .bind(clinic)
        .bind(middle)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out) = audit_verify(&app).await;
    assert!(ok && chain_line(&out, clinic).starts_with("ok"), "restored:\n{out}");

    // Someone rewrites what was changed.
    sqlx::query("UPDATE audit_events SET after = '{\"forged\":true}' WHERE clinic_id = $1 AND seq = $2")
        .bind(clinic)
        .bind(middle)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out) = audit_verify(&app).await;
    assert!(!ok, "a changed body must not verify:\n{out}");
    assert!(chain_line(&out, clinic).contains(&format!("row {middle}")), "{out}");
    sqlx::query("UPDATE audit_events SET after = $1 WHERE clinic_id = $2 AND seq = $3")
        .bind(after)
        .bind(clinic)
        .bind(middle)
        .execute(&db)
        .await
        .unwrap();
    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "restored:\n{out}");

    // Someone removes the newest entry: the head remembers it.
    stash_row(&db, clinic, head).await;
    delete_row(&db, clinic, head).await;
    let (ok, out) = audit_verify(&app).await;
    assert!(!ok, "{out}");
    assert!(chain_line(&out, clinic).contains("removed from the end"), "{out}");
    unstash_row(&db).await;
    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "put back:\n{out}");

    // Someone removes an entry in the middle.
    delete_row(&db, clinic, middle).await;
    let (ok, out) = audit_verify(&app).await;
    assert!(!ok, "{out}");
    let line = chain_line(&out, clinic);
    assert!(line.contains("missing") && line.contains(&format!("row {middle}")), "{line}");
    sqlx::query("DROP TABLE audit_stash").execute(&db).await.unwrap();
    app.stop().await;
}

/// Redaction (erasure) may blank a row's body without breaking the chain, so the verifier skips
/// the body check of rows marked redacted. Marking a row redacted must not become a way to
/// rewrite it: a redacted row's body is empty, and only rows about a patient are ever redacted.
#[tokio::test]
async fn a_forged_redaction_is_detected() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    activity(&app, &seed).await;
    let db = app.db().await;
    let clinic = seed.clinic.as_str();
    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "{out}");

    // A row about a patient: its body replaced by something else, and marked redacted.
    let (about_patient,): (i64,) = sqlx::query_as(
        "SELECT MIN(seq) FROM audit_events WHERE clinic_id = $1 AND subject IS NOT NULL AND after IS NOT NULL",
    )
    .bind(clinic)
    .fetch_one(&db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE audit_events SET after = '{\"status\":\"fulfilled\"}', redacted_at_us = 1 WHERE clinic_id = $1 AND seq = $2",
    )
    .bind(clinic)
    .bind(about_patient)
    .execute(&db)
    .await
    .unwrap();
    let (rewritten_ok, rewritten_out) = audit_verify(&app).await;
    // Undo, then the second forgery on its own.
    sqlx::query("UPDATE audit_events SET before = NULL, after = NULL, note = NULL WHERE clinic_id = $1 AND seq = $2")
        .bind(clinic)
        .bind(about_patient)
        .execute(&db)
        .await
        .unwrap();

    // A row about no patient (the clinic's own settings): blanked and marked redacted.
    let (setting,): (i64,) = sqlx::query_as(
        "SELECT MIN(seq) FROM audit_events WHERE clinic_id = $1 AND subject IS NULL AND after IS NOT NULL",
    )
    .bind(clinic)
    .fetch_one(&db)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE audit_events SET before = NULL, after = NULL, note = NULL, redacted_at_us = 1 WHERE clinic_id = $1 AND seq = $2",
    )
    .bind(clinic)
    .bind(setting)
    .execute(&db)
    .await
    .unwrap();
    let (blanked_ok, blanked_out) = audit_verify(&app).await;

    let mut undetected = Vec::new();
    if rewritten_ok || !chain_line(&rewritten_out, clinic).contains(&format!("row {about_patient}")) {
        undetected.push(format!("row {about_patient} marked redacted but given a new body:\n{rewritten_out}"));
    }
    if blanked_ok || !chain_line(&blanked_out, clinic).contains(&format!("row {setting}")) {
        undetected.push(format!("row {setting}, about no patient, blanked as if redacted:\n{blanked_out}"));
    }
    assert!(undetected.is_empty(), "forgeries that verified:\n{}", undetected.join("\n"));
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 7. Retention
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_retention_sweep_anonymises_patients_whose_period_ended_and_no_one_else() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let db = app.db().await;

    // Out of range, either way.
    for days in [json!(5), json!(29), json!(36_501)] {
        let (s, p) = put_security(&app, &seed, false, days.clone()).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("retention_days")), "{days}: {p}");
    }
    let (s, p) = put_security(&app, &seed, false, json!(30)).await;
    assert_eq!((s, p["retention_days"].as_u64()), (StatusCode::OK, Some(30)), "{p}");

    let free = consult_slots(&app, &seed, 2).await;
    let gone = staff_books(&app, &seed, booking_for(&free[0], "Long Ago Patient", "+989120000010")).await;
    let ahead = staff_books(&app, &seed, booking_for(&free[2], "Coming Back Patient", "+989120000020")).await;
    let recent = staff_books(&app, &seed, booking_for(&free[4], "Recent Patient", "+989120000030")).await;
    let (gone, ahead, recent) = (
        gone["patient"].as_str().unwrap().to_owned(),
        ahead["patient"].as_str().unwrap().to_owned(),
        recent["patient"].as_str().unwrap().to_owned(),
    );

    // Forty days pass for two of them (nothing can be booked in the past, so their rows are
    // aged behind the API's back): created long ago, last visit long over…
    for p in [&gone, &ahead] {
        move_appointments_back(&db, p, 40).await;
        sqlx::query("UPDATE patients SET created_at_us = created_at_us - $1 WHERE id = $2")
            .bind(60 * 86_400_000_000_i64)
            .bind(p)
            .execute(&db)
            .await
            .unwrap();
    }
    // …but one of them has booked again: nothing is due while something is ahead.
    let free = consult_slots(&app, &seed, 3).await;
    let again = staff_books(&app, &seed, booking_for(&free[0], "Coming Back Patient", "+989120000020")).await;
    assert_eq!(again["patient"].as_str(), Some(ahead.as_str()));

    // The sweep already ran once at start-up; its next round is an hour away, so this is the
    // one that finds them.
    let out = app.store.execute(nobat_store::Command::RetentionSweep).await.unwrap();
    assert!(matches!(out, nobat_store::Output::Count(1)), "one patient is due: {out:?}");

    let state = |id: String| {
        let db = db.clone();
        async move {
            let r: (String, Option<String>, Option<i64>) =
                sqlx::query_as("SELECT name, phone, erased_at_us FROM patients WHERE id = $1")
                    .bind(id)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            r
        }
    };
    let (name, phone, at) = state(gone.clone()).await;
    assert_eq!((name.as_str(), phone), ("erased", None));
    assert!(at.is_some());
    let (name, phone, at) = state(ahead.clone()).await;
    assert_eq!((name.as_str(), phone.as_deref(), at), ("Coming Back Patient", Some("+989120000020"), None));
    let (name, phone, at) = state(recent.clone()).await;
    assert_eq!((name.as_str(), phone.as_deref(), at), ("Recent Patient", Some("+989120000030"), None));

    // The erasure is in the trail, by the system, with why.
    let (s, trail) = app.get(&format!("{c}/audit?entity=patient&entity_id={gone}&action=erase")).await;
    assert_eq!(s, StatusCode::OK, "{trail}");
    let trail = trail.as_array().unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["actor"], "system");
    assert_eq!(trail[0]["note"], "retention period ended");
    let (s, others) = app.get(&format!("{c}/audit?action=erase")).await;
    assert_eq!((s, others.as_array().unwrap().len()), (StatusCode::OK, 1), "no one else was erased: {others}");

    // Done is done: the next round finds no one.
    let out = app.store.execute(nobat_store::Command::RetentionSweep).await.unwrap();
    assert!(matches!(out, nobat_store::Output::Count(0)), "{out:?}");
    let (ok, out) = audit_verify(&app).await;
    assert!(ok, "{out}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 8. Consents
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn consents_are_recorded_listed_and_withdrawn_once() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let db = app.db().await;
    let free = consult_slots(&app, &seed, 2).await;
    let booked = staff_books(&app, &seed, booking_for(&free[0], "Consenting Patient", "+989120000040")).await;
    let patient = booked["patient"].as_str().unwrap().to_owned();
    let other = staff_books(&app, &seed, booking_for(&free[2], "Other Patient", "+989120000050")).await;
    let other = other["patient"].as_str().unwrap().to_owned();
    let consents = format!("{c}/patients/{patient}/consents");

    let (s, listed) = app.get(&consents).await;
    assert_eq!((s, listed.as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{listed}");

    // Given at the desk.
    let (s, given) = app.post(&consents, json!({ "kind": " reminders ", "text_version": "2026-01" })).await;
    assert_eq!(s, StatusCode::CREATED, "{given}");
    assert_eq!((given["kind"].as_str(), given["source"].as_str()), (Some("reminders"), Some("staff")), "trimmed");
    assert!(given["given_at"].as_str().unwrap().parse::<jiff::Timestamp>().is_ok());
    assert!(given["withdrawn_at"].is_null());
    let id = given["id"].as_str().unwrap().to_owned();
    let (_, listed) = app.get(&consents).await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0]["id"].as_str(), listed[0]["text_version"].as_str()), (Some(id.as_str()), Some("2026-01")));

    // Withdrawing under another patient's record does nothing.
    let (s, _) = app.post(&format!("{c}/patients/{other}/consents/{id}/withdraw"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Withdrawn once, then there is nothing left to withdraw.
    let (s, _) = app.post(&format!("{consents}/{id}/withdraw"), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, listed) = app.get(&consents).await;
    let withdrawn = listed[0]["withdrawn_at"].as_str().unwrap();
    assert!(withdrawn.parse::<jiff::Timestamp>().is_ok(), "{listed}");
    let (s, p) = app.post(&format!("{consents}/{id}/withdraw"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (_, listed) = app.get(&consents).await;
    assert_eq!(listed[0]["withdrawn_at"].as_str(), Some(withdrawn), "the first withdrawal's time stays");

    // Both acts are in the trail, about this patient.
    let (s, trail) = app.get(&format!("{c}/audit?entity=consent&entity_id={id}")).await;
    assert_eq!(s, StatusCode::OK);
    let mut actions: Vec<(&str, &str)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["patient"].as_str().unwrap()))
        .collect();
    actions.sort_unstable();
    assert_eq!(actions, vec![("give", patient.as_str()), ("withdraw", patient.as_str())]);

    // A consent needs a kind and a text version, at the desk and with a booking alike.
    for bad in [
        json!({ "kind": "", "text_version": "v1" }),
        json!({ "kind": "   ", "text_version": "v1" }),
        json!({ "kind": "reminders", "text_version": "" }),
    ] {
        let (s, p) = app.post(&consents, bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
    }
    let before = count(&db, "SELECT COUNT(*) FROM appointments").await;
    let mut body = booking_for(&free[4], "Consenting Patient", "+989120000040");
    body["consents"] = json!([{ "kind": "", "text_version": "v1" }]);
    let (s, p) = guest_post(&app, &format!("{c}/appointments"), body).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("consents[0]")), "{p}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM appointments").await, before, "nothing booked");
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM consents WHERE patient_id = $1")
        .bind(&patient)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(n, 1, "no consent written by the refused requests");

    // No consent for a patient who is not there.
    let (s, _) = app
        .post(
            &format!("{c}/patients/{}/consents", uuid::Uuid::new_v4()),
            json!({ "kind": "reminders", "text_version": "v1" }),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// Guests are matched to an earlier record by phone and name, which anyone can type: consents
/// a later guest booking brings to a record it did not create are kept but marked unverified;
/// with a contact proof they are plain booking consents.
#[tokio::test]
async fn consents_from_an_unverified_guest_on_an_existing_record_are_marked() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = clinic_path(&seed);
    let free = consult_slots(&app, &seed, 2).await;
    let with_consent = |slot: &Value| {
        let mut body = booking_for(slot, "Consenting Guest", "+989121110000");
        body["consents"] = json!([{ "kind": "reminders", "text_version": "2026-01" }]);
        body
    };
    let first = guest_books(&app, &seed, with_consent(&free[0])).await;
    let second = guest_books(&app, &seed, with_consent(&free[2])).await;
    assert_eq!(first["patient"], second["patient"], "the same record, matched by phone and name");
    let (code_id, code) = request_code(&app, &seed, "+989121110000").await;
    let (s, proof) = confirm(&app, &seed, &code_id, &code).await;
    assert_eq!(s, StatusCode::OK, "{proof}");
    let mut third = with_consent(&free[4]);
    third["contact_proof"] = proof["contact_proof"].clone();
    guest_books(&app, &seed, third).await;
    let patient = first["patient"].as_str().unwrap();
    let (s, consents) = app.get(&format!("{c}/patients/{patient}/consents")).await;
    assert_eq!(s, StatusCode::OK);
    let sources: Vec<&str> = consents.as_array().unwrap().iter().map(|k| k["source"].as_str().unwrap()).collect();
    assert_eq!(sources, vec!["booking", "booking (contact not verified)", "booking"], "{consents}");
    app.stop().await;
}
