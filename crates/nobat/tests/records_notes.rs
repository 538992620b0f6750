//! Clinical records (issue 17), tried from the outside on both engines: who may read and write
//! visit notes, a signed note keeps its history through amendments, every read shows in the
//! patient's access log, reception sees the administrative record only, the text of a note is
//! nowhere in the database (SQLite file and WAL bytes, every PostgreSQL table), merges undo,
//! and a key rotation keeps every note readable while the retired key opens nothing.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_core::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

async fn send(client: &reqwest::Client, method: &str, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let req = match method {
        "get" => client.get(url),
        "post" => client.post(url),
        "patch" => client.patch(url),
        _ => client.put(url),
    };
    let req = if let Some(b) = body { req.json(&b) } else { req };
    decode(req.send().await.unwrap()).await
}

/// Books the consultation with `doctor` for a guest with their own phone; returns the booking.
async fn book(app: &TestApp, seed: &Seed, doctor: usize, name: &str, phone: &str, days: i64) -> Value {
    let slots = slots(app, seed, &seed.consult, &day(days), Some(&seed.doctors[doctor])).await;
    let mut body = booking(&slots[0], name);
    body["patient"]["phone"] = json!(phone);
    let (s, b) = app.post(&format!("/clinics/{}/appointments", seed.slug), body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_owned()
}

#[tokio::test]
async fn notes_by_role_signed_notes_amend_with_history_and_reads_are_logged() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let booked = book(&app, &seed, 0, "Sara Ahmadi", "+989121230001", 1).await;
    let (patient, appointment) = (text(&booked["patient"]), text(&booked["id"]));
    let notes = format!("{}/clinics/{}/patients/{patient}/notes", app.api, seed.slug);
    let mine = member(&app, &seed, Role::Practitioner, Some(&seed.doctors[0])).await;
    let other = member(&app, &seed, Role::Practitioner, Some(&seed.doctors[1])).await;
    let desk = member(&app, &seed, Role::Receptionist, None).await;
    let admin = member(&app, &seed, Role::Admin, None).await;
    let draft = json!({ "appointment": appointment, "subjective": "کودک در خواب مشکل دارد", "plan": "تمرین حسی" });

    // Reception and admins never reach notes, reading or writing.
    for (who, c) in [("receptionist", &desk), ("admin", &admin)] {
        let (s, p) = send(c, "get", notes.clone(), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} read notes: {p}");
        let (s, p) = send(c, "post", notes.clone(), Some(draft.clone())).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} wrote a note: {p}");
    }
    // Another practitioner may not write about this practitioner's appointment.
    let (s, p) = send(&other, "post", notes.clone(), Some(draft.clone())).await;
    assert_eq!((s, p["type"].as_str()), (StatusCode::FORBIDDEN, Some("urn:nobat:problem:forbidden")), "{p}");
    // Bad input names its field.
    let (s, p) = send(&mine, "post", notes.clone(), Some(json!({ "appointment": appointment }))).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("subjective")), "{p}");
    let (s, p) = send(&mine, "post", notes.clone(), Some(json!({ "appointment": "nope", "plan": "x" }))).await;
    assert_eq!(p["field"].as_str(), Some("appointment"), "{s} {p}");

    // The appointment's practitioner writes a draft, rewrites it, signs it.
    let (s, n) = send(&mine, "post", notes.clone(), Some(draft.clone())).await;
    assert_eq!((s, n["status"].as_str(), n["version"].as_i64()), (StatusCode::CREATED, Some("draft"), Some(1)), "{n}");
    let note = text(&n["id"]);
    let (s, n) = send(
        &mine,
        "patch",
        format!("{notes}/{note}"),
        Some(json!({ "subjective": "کودک در خواب مشکل دارد", "objective": "تون عضلانی پایین", "plan": "تمرین حسی" })),
    )
    .await;
    assert_eq!((s, n["versions"][0]["objective"].as_str()), (StatusCode::OK, Some("تون عضلانی پایین")), "{n}");
    let (s, n) = send(&mine, "post", format!("{notes}/{note}/sign"), None).await;
    assert_eq!((s, n["status"].as_str()), (StatusCode::OK, Some("signed")), "{n}");
    assert!(n["versions"][0]["signed_at"].is_string(), "{n}");

    // Signed: never edited, never signed again; amended only, with a reason.
    let (s, p) = send(&mine, "patch", format!("{notes}/{note}"), Some(json!({ "subjective": "rewritten" }))).await;
    assert_eq!(s, StatusCode::CONFLICT, "a signed note was edited: {p}");
    let (s, p) = send(&mine, "post", format!("{notes}/{note}/sign"), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let amended = json!({ "subjective": "کودک در خواب مشکل دارد", "objective": "تون عضلانی پایین",
                          "assessment": "بهبود نسبی", "plan": "تمرین حسی روزانه" });
    let (s, p) = send(&mine, "post", format!("{notes}/{note}/amend"), Some(amended.clone())).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")), "no reason: {p}");
    let mut blank = amended.clone();
    blank["reason"] = json!("  ");
    let (s, p) = send(&mine, "post", format!("{notes}/{note}/amend"), Some(blank)).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "blank reason: {p}");
    let (s, p) =
        send(&other, "post", format!("{notes}/{note}/amend"), Some(json!({ "plan": "x", "reason": "r" }))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another practitioner amended: {p}");
    let mut with_reason = amended.clone();
    with_reason["reason"] = json!("ارزیابی جلسه دوم");
    let (s, n) = send(&mine, "post", format!("{notes}/{note}/amend"), Some(with_reason)).await;
    assert_eq!((s, n["version"].as_i64()), (StatusCode::OK, Some(2)), "{n}");
    let versions = n["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{n}");
    assert_eq!(versions[0]["plan"], "تمرین حسی", "the signed first version is kept as it was");
    assert_eq!(versions[0]["assessment"], "");
    assert_eq!(versions[1]["changed"], json!(["assessment", "plan"]), "{n}");
    assert_eq!(versions[1]["reason"], "ارزیابی جلسه دوم");
    assert!(versions[1]["signed_by"].is_string() && versions[1]["signed_at"].is_string(), "who signed: {n}");
    // The owner may amend any note.
    let mut by_owner = amended.clone();
    by_owner["plan"] = json!("ارجاع");
    by_owner["reason"] = json!("owner review");
    let (s, n) = app.post(&format!("/clinics/{}/patients/{patient}/notes/{note}/amend", seed.slug), by_owner).await;
    assert_eq!((s, n["version"].as_i64()), (StatusCode::OK, Some(3)), "{n}");

    // Another practitioner of the clinic reads (practitioners and owners read notes); the read
    // is in the patient's access log.
    let (s, list) = send(&other, "get", notes.clone(), None).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{list}");
    // The patient's access log (`/me/access-log` for a registered patient) is the trail
    // entries whose subject is the patient.
    let (s, log) = app.get(&format!("/clinics/{}/audit?patient={patient}", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let actions: Vec<String> =
        log.to_string().split("\"action\":\"").skip(1).map(|a| a.split('"').next().unwrap().to_owned()).collect();
    for expected in ["view_notes", "create", "edit", "sign", "amend"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} is in the patient's log: {actions:?}");
    }
    assert!(!log.to_string().contains("تمرین"), "the access log shows who looked, never the text: {log}");

    // The record: reception gets the administrative part, clinicians the notes too.
    let record = format!("{}/clinics/{}/patients/{patient}/record", app.api, seed.slug);
    let (s, r) = send(&desk, "get", record.clone(), None).await;
    assert_eq!((s, r["clinical"].as_bool()), (StatusCode::OK, Some(false)), "{r}");
    assert_eq!(r["notes"], json!([]), "{r}");
    assert!(r["timeline"].as_array().unwrap().iter().all(|e| e["kind"] != "note"), "{r}");
    assert!(r["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "appointment"), "{r}");
    assert!(!r.to_string().contains("تمرین"), "reception sees no clinical text: {r}");
    let (s, r) = send(&mine, "get", record, None).await;
    assert_eq!((s, r["clinical"].as_bool()), (StatusCode::OK, Some(true)), "{r}");
    assert!(r["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "note"), "{r}");
    assert_eq!(r["notes"][0]["versions"].as_array().map(Vec::len), Some(3), "{r}");

    // The printable record: in Farsi, right to left, notes for clinicians only.
    let print = format!("{}/clinics/{}/patients/{patient}/record/print?lang=fa", app.api, seed.slug);
    let res = mine.get(&print).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\"") && html.contains("بهبود نسبی") && html.contains("ارزیابی جلسه دوم"), "{html}");
    let html = desk.get(&print).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Sara Ahmadi") && !html.contains("تمرین"), "reception's printout has no notes: {html}");

    // The personal-data export carries the notes, opened.
    let (s, e) = app.get(&format!("/clinics/{}/patients/{patient}/export", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["notes"][0]["versions"][2]["plan"], "ارجاع", "{e}");

    // The practice's notes as CSV for a period.
    let from = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let to = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let res = mine
        .get(format!("{}/clinics/{}/exports-clinical/notes?from={from}&to={to}", app.api, seed.slug))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("ارجاع") && csv.contains(&note), "{csv}");
    let (s, _) = send(
        &desk,
        "get",
        format!("{}/clinics/{}/exports-clinical/notes?from={from}&to={to}", app.api, seed.slug),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Note templates per service.
    let tpl = format!("{}/clinics/{}/services/{}/note-template", app.api, seed.slug, seed.consult);
    let (s, t) = send(&mine, "put", tpl.clone(), Some(json!({ "subjective": "شکایت اصلی:", "plan": "برنامه:" }))).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (s, t) = send(&other, "get", tpl.clone(), None).await;
    assert_eq!((s, t["subjective"].as_str()), (StatusCode::OK, Some("شکایت اصلی:")), "{t}");
    assert_eq!(send(&desk, "get", tpl, None).await.0, StatusCode::FORBIDDEN);
    app.stop().await;
}

/// Every table's rows as text, on PostgreSQL (`SELECT t::text FROM table t`).
async fn postgres_contents(app: &TestApp) -> String {
    let db = app.db().await;
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(tables.iter().any(|(t,)| t == "clinical_note_versions"), "{tables:?}");
    let mut all = String::new();
    for (t,) in tables {
        let rows: Vec<(String,)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT t::text FROM \"{t}\" t"))).fetch_all(&db).await.unwrap();
        for (r,) in rows {
            all.push_str(&r);
            all.push('\n');
        }
    }
    db.close().await;
    all
}

/// The bytes of the SQLite database, its WAL and shared memory.
fn sqlite_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.contains(".db") || name.contains("sqlite") {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn the_text_of_a_note_is_nowhere_in_the_database() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let tag = unique();
    let patient_name = format!("Nasrin Secret{tag}");
    let booked = book(&app, &seed, 0, &patient_name, "+989121230002", 1).await;
    let patient = text(&booked["patient"]);
    let (subjective, amended) = (format!("اضطراب شدید {tag} هنگام مدرسه"), format!("PLAN-{tag}-amended"));
    let path = format!("/clinics/{}/patients/{patient}/notes", seed.slug);
    let (s, n) = app
        .post(&path, json!({ "appointment": booked["id"], "subjective": subjective, "plan": "x", "sign": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let (s, n) = app
        .post(
            &format!("{path}/{}/amend", text(&n["id"])),
            json!({ "subjective": subjective, "plan": amended, "reason": format!("why {tag}") }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{n}");
    let (s, list) = app.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.to_string().contains(&amended), "the API opens it: {list}");

    let secrets = [subjective.as_str(), amended.as_str(), &format!("why {tag}")];
    if app.engine == "postgres" {
        let all = postgres_contents(&app).await;
        assert!(all.contains(&format!("Secret{tag}")), "the search is real: the patient's name is found");
        for secret in secrets {
            assert!(!all.contains(secret), "{secret:?} is readable in a PostgreSQL table");
        }
        app.stop().await;
    } else {
        let dir = app.dir.path().to_owned();
        let live = sqlite_bytes(&dir);
        assert!(
            contains(&live, &format!("Secret{tag}")),
            "the search is real: the patient's name is in the file bytes"
        );
        for secret in secrets {
            assert!(!contains(&live, secret), "{secret:?} is in the SQLite file or its WAL");
        }
        // And after a checkpoint folds the WAL into the file.
        let keep = tempfile::tempdir().unwrap();
        let mut app = app;
        let dir_guard = std::mem::replace(&mut app.dir, keep);
        app.stop().await;
        let after = sqlite_bytes(dir_guard.path());
        assert!(contains(&after, &format!("Secret{tag}")));
        for secret in secrets {
            assert!(!contains(&after, secret), "{secret:?} is in the SQLite file after shutdown");
        }
    }
}

#[tokio::test]
async fn merging_duplicates_moves_the_record_and_unmerging_restores_both() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let a = book(&app, &seed, 0, "Ali Rezaei", "+989121230003", 1).await;
    let b = book(&app, &seed, 0, "Ali Rezaee", "+989121230004", 2).await;
    let (kept, dup) = (text(&a["patient"]), text(&b["patient"]));
    let c = format!("/clinics/{}", seed.slug);
    let (s, n) = app
        .post(
            &format!("{c}/patients/{dup}/notes"),
            json!({ "appointment": b["id"], "plan": "on the duplicate", "sign": true }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let desk = member(&app, &seed, Role::Receptionist, None).await;
    let (s, _) =
        send(&desk, "post", format!("{}{c}/patients/{kept}/merge", app.api), Some(json!({ "duplicate": dup }))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "reception does not merge records");
    let (s, p) = app.post(&format!("{c}/patients/{kept}/merge"), json!({ "duplicate": kept })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("duplicate")), "{p}");

    let (s, m) = app.post(&format!("{c}/patients/{kept}/merge"), json!({ "duplicate": dup })).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (_, r) = app.get(&format!("{c}/patients/{kept}/record")).await;
    let appts = r["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "appointment").count();
    assert_eq!((appts, r["notes"].as_array().map(Vec::len)), (2, Some(1)), "{r}");
    let (_, d) = app.get(&format!("{c}/patients/{dup}/record")).await;
    assert_eq!(d["merged_into"], json!(kept), "{d}");
    assert_eq!(d["timeline"], json!([]), "{d}");
    let (s, p) = app.post(&format!("{c}/patients/{dup}/merge"), json!({ "duplicate": kept })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a merged record takes no merge: {p}");
    // A new note on the kept record after the merge stays there on unmerge.
    let (s, n2) = app
        .post(&format!("{c}/patients/{kept}/notes"), json!({ "appointment": a["id"], "plan": "after", "sign": true }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n2}");

    let (s, u) = app.post(&format!("{c}/patients/{kept}/unmerge"), json!({ "merge": m["merge"] })).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    let (_, r) = app.get(&format!("{c}/patients/{kept}/record")).await;
    let (_, d) = app.get(&format!("{c}/patients/{dup}/record")).await;
    assert_eq!(d["merged_into"], Value::Null, "{d}");
    assert_eq!(d["notes"][0]["versions"][0]["plan"], "on the duplicate", "{d}");
    assert_eq!(r["notes"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["notes"][0]["id"], n2["id"], "{r}");
    for (rec, appt) in [(&r, &a), (&d, &b)] {
        let ids: Vec<&Value> = rec["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "appointment")
            .map(|e| &e["id"])
            .collect();
        assert_eq!(ids, vec![&appt["id"]], "{rec}");
    }
    let (s, p) = app.post(&format!("{c}/patients/{kept}/unmerge"), json!({ "merge": m["merge"] })).await;
    assert_eq!(s, StatusCode::CONFLICT, "undone twice: {p}");
    // Both are in the trail.
    let (_, audit) = app.get(&format!("{c}/audit")).await;
    let s = audit.to_string();
    assert!(s.contains("\"merge\"") && s.contains("\"unmerge\""), "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn rotating_the_data_keys_keeps_every_note_readable_and_the_retired_key_opens_nothing() {
    let mut app = spawn_app().await;
    let seed = seed(&app).await;
    let booked = book(&app, &seed, 0, "Reza Karimi", "+989121230005", 1).await;
    let patient = text(&booked["patient"]);
    let path = format!("/clinics/{}/patients/{patient}/notes", seed.slug);
    for i in 0..3 {
        let (s, n) =
            app.post(&path, json!({ "appointment": booked["id"], "plan": format!("جلسه {i}"), "sign": i != 2 })).await;
        assert_eq!(s, StatusCode::CREATED, "{n}");
    }
    let (_, before) = app.get(&path).await;
    let db = app.db().await;
    let (old_body,): (String,) = sqlx::query_as("SELECT body FROM clinical_note_versions ORDER BY note_id LIMIT 1")
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    assert!(old_body.starts_with("nb1.1."), "{old_body}");
    let old_ring = nobat::data_keys::load(None, app.dir.path()).unwrap();

    // Stop the server (a rotation runs with the servers stopped), keep its data directory.
    let dir = std::mem::replace(&mut app.dir, tempfile::tempdir().unwrap());
    let db_url = app.db_url.clone();
    app.stop().await;
    let options = nobat_store::StoreOptions { migrate: true, pg_writers: 1, read_pool_size: 2, ..Default::default() };
    let store = nobat_store::Store::open(&db_url, options).await.unwrap();
    use nobat::data_keys::{Rotation, rotate};
    let r = rotate(&store, None, dir.path(), Rotation::Add, 1).await.unwrap();
    assert_eq!((r.current, r.resealed, r.stale_left), (2, 3, 0), "{r:?}");
    let ring = nobat::data_keys::load(None, dir.path()).unwrap();
    assert_eq!(ring.ids(), vec![1, 2]);
    let notes = store.notes_of_patient(&ring, seed.clinic.parse().unwrap(), patient.parse().unwrap()).await.unwrap();
    assert_eq!(notes.len(), 3);
    // Resuming finds nothing left; retiring drops key 1.
    assert_eq!(rotate(&store, None, dir.path(), Rotation::Resume, 50).await.unwrap().resealed, 0);
    let r = rotate(&store, None, dir.path(), Rotation::Retire, 50).await.unwrap();
    assert_eq!(r.retired, vec![1], "{r:?}");
    let ring = nobat::data_keys::load(None, dir.path()).unwrap();
    assert_eq!(ring.ids(), vec![2]);
    store.close().await;

    // A value sealed under the retired key opens no more; the old ring did open it.
    let aads: Vec<String> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|n| nobat_store::sealed_columns::note_aad(&seed.clinic, &text(&n["id"]), 1))
        .collect();
    assert!(aads.iter().any(|aad| old_ring.open(aad, &old_body).is_some()), "the old ring opened it");
    assert!(aads.iter().all(|aad| ring.open(aad, &old_body).is_none()), "the retired key still opens it");

    // The server starts again on the rotated ring and reads every note as before.
    let cfg = config(dir.path(), &db_url);
    let server = nobat::Application::build(&cfg).await.unwrap();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async move {
        let _ = rx.await;
    }));
    let api = format!("http://{addr}/api/v1");
    let client = authed_client(&login(&reqwest::Client::new(), &api, OWNER_EMAIL, OWNER_PASSWORD).await);
    let (s, after) = decode(client.get(format!("{api}{path}")).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after, before, "every note reads the same after the rotation");
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_demo_therapist_has_signed_farsi_notes_once() {
    let app = spawn_app().await;
    nobat::demo::ensure(&app.store, app.dir.path()).await.unwrap();
    let keys = std::sync::Arc::new(nobat::data_keys::load(None, app.dir.path()).unwrap());
    assert_eq!(nobat::demo_notes::ensure(&app.store, keys.clone()).await.unwrap(), 3);
    assert_eq!(nobat::demo_notes::ensure(&app.store, keys.clone()).await.unwrap(), 0, "added once");
    let clinic = app.store.clinic(nobat::demo::SLUG).await.unwrap();
    let far = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 3650);
    let notes = app.store.notes_between(&keys, clinic.id, jiff::Timestamp::UNIX_EPOCH, far, 100).await.unwrap();
    assert_eq!(notes.len(), 3);
    assert!(notes.iter().all(|n| n.status == nobat_core::clinical::NoteStatus::Signed));
    assert_eq!(notes.iter().map(|n| n.versions.len()).max(), Some(2), "one amended note");
    assert!(
        notes
            .iter()
            .all(|n| n.current().unwrap().soap.plan.contains("تمرین")
                || n.current().unwrap().soap.plan.contains("ارجاع"))
    );
    app.stop().await;
}
