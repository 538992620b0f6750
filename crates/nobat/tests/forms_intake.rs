//! Intake forms and secure messages (issue 17), on both engines: a Farsi form with a Solar
//! Hijri date round-trips from the manage link; bad answers are 422 naming the field with
//! nothing stored; a required form blocks check-in until filled; editing makes a new version;
//! answers and message bodies are not in the database file or table contents; another clinic's
//! staff and another patient's manage link reach none of it.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use nobat_core::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const COMPLAINT: &str = "درد شانه راست پس از سقوط zqxjv";
const MESSAGE: &str = "سلام، آیا باید عکس رادیولوژی بیاورم؟ kwpfz";
const REPLY: &str = "بله لطفاً همراه داشته باشید mbvtq";

fn farsi_form(required: bool) -> Value {
    json!({
        "title": {"fa": "فرم پذیرش کاردرمانی", "en": "Occupational therapy intake"},
        "required_before_check_in": required,
        "fields": [
            {"key": "complaint", "type": "text", "multiline": true, "label": {"fa": "شکایت اصلی"}, "required": true},
            {"key": "birth", "type": "date", "calendar": "persian", "label": {"fa": "تاریخ تولد"}, "required": true},
            {"key": "pain", "type": "scale", "min": 0, "max": 10, "label": {"fa": "شدت درد"}},
            {"key": "hand", "type": "choice", "label": {"fa": "دست غالب"},
             "options": [{"value": "right", "label": {"fa": "راست"}}, {"value": "left", "label": {"fa": "چپ"}}]},
            {"key": "meds", "type": "yes_no", "label": {"fa": "دارو مصرف می‌کنید؟"}},
            {"key": "sign", "type": "signature", "label": {"fa": "امضا (نام کامل)"}, "required": true}
        ]
    })
}

/// Books a consult for `name` (distinct phone per patient) and returns (appointment, patient, manage token).
async fn book(app: &TestApp, seed: &Seed, name: &str, phone: &str, offset: usize) -> (String, String, String) {
    let slots = slots(app, seed, &seed.consult, &day(2), Some(&seed.doctors[0])).await;
    let mut body = booking(&slots[offset], name);
    body["patient"]["phone"] = json!(phone);
    body["patient"]["language"] = json!("fa");
    let (s, b) = app.post(&format!("/clinics/{}/appointments", seed.slug), body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let appt = b["appointment"]["id"].as_str().or(b["id"].as_str()).unwrap().to_owned();
    let patient = b["appointment"]["patient"].as_str().or(b["patient"].as_str()).unwrap_or_default().to_owned();
    (appt, patient, b["manage_token"].as_str().unwrap().to_owned())
}

async fn patient_of(app: &TestApp, seed: &Seed, appt: &str) -> String {
    let (s, a) = app.get(&format!("/clinics/{}/appointments/{appt}", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    a["patient"]["id"].as_str().or(a["patient"].as_str()).or(a["patient_id"].as_str()).unwrap().to_owned()
}

async fn anon_post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(app.anon.post(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

async fn anon_get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    decode(app.anon.get(format!("{}{path}", app.api)).send().await.unwrap()).await
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let db = app.db().await;
    let (n,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(&db).await.unwrap();
    db.close().await;
    n
}

/// Every byte the database holds: the SQLite file and its WAL, or on PostgreSQL every row of
/// the new tables as text.
async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    if app.engine == "sqlite" {
        let mut all = Vec::new();
        for name in ["nobat.sqlite3", "nobat.sqlite3-wal"] {
            if let Ok(b) = std::fs::read(app.dir.path().join(name)) {
                all.extend(b);
            }
        }
        return all;
    }
    let db = app.db().await;
    let mut all = Vec::new();
    for table in ["form_answers", "secure_messages", "audit_log", "outbox", "events"] {
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {table} t")))
            .fetch_all(&db)
            .await
            .unwrap_or_default();
        for (r,) in rows {
            all.extend(r.into_bytes());
        }
    }
    db.close().await;
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn farsi_intake_round_trips_is_sealed_versions_and_gates_check_in() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (s, form) = app.post(&format!("{c}/forms"), farsi_form(true)).await;
    assert_eq!(s, StatusCode::CREATED, "{form}");
    let form_id = form["id"].as_str().unwrap().to_owned();
    assert_eq!(form["version"], 1);

    let (appt, _, token) = book(&app, &seed, "مریم احمدی", "+989121110001", 0).await;
    let patient = patient_of(&app, &seed, &appt).await;

    // Check-in is refused until the form is filled (both the status and the queue door).
    let (s, p) = app.post(&format!("{c}/appointments/{appt}/status"), json!({"status": "arrived"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert!(p["type"].as_str().unwrap().ends_with("forms-required"), "{p}");
    let (s, p) = app.post(&format!("{c}/appointments/{appt}/check-in"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");

    // Invalid answers: 422 naming the field, nothing stored.
    let good = json!({"complaint": COMPLAINT, "birth": "۱۳۷۰/۰۶/۳۱", "pain": "۷", "hand": "right", "meds": "no",
                      "sign": "مریم احمدی"});
    for (key, bad) in
        [("birth", json!("1370/13/01")), ("pain", json!(11)), ("hand", json!("both")), ("sign", json!(""))]
    {
        let mut answers = good.clone();
        answers[key] = bad;
        let (s, p) = anon_post(&app, &format!("/manage/{token}/forms/{form_id}"), json!({"answers": answers})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{key}: {p}");
        assert_eq!(p["field"], format!("answers.{key}"), "{p}");
    }
    assert_eq!(count(&app, "form_answers").await, 0, "a refused answer stores nothing");

    // The patient fills it from the manage link: the Solar Hijri date is stored as ISO.
    let (s, a) = anon_post(&app, &format!("/manage/{token}/forms/{form_id}"), json!({"answers": good})).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["version"], 1);
    let (s, list) = app.get(&format!("{c}/patients/{patient}/forms")).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list[0]["answers"]["birth"], "1991-09-22", "{list}");
    assert_eq!(list[0]["answers"]["complaint"], COMPLAINT);
    assert_eq!(list[0]["answers"]["pain"], 7);
    assert_eq!(list[0]["answers"]["meds"], false);

    // Now check-in goes through.
    let (s, t) = app.post(&format!("{c}/appointments/{appt}/check-in"), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");

    // Editing makes version 2; the old answer keeps version 1; a new answer names version 2.
    let mut edited = farsi_form(true);
    edited["id"] = json!(form_id);
    edited["fields"][2]["max"] = json!(5);
    let (s, v2) = app.post(&format!("{c}/forms"), edited).await;
    assert_eq!((s, v2["version"].as_i64()), (StatusCode::CREATED, Some(2)), "{v2}");
    let mut answers = good.clone();
    answers["pain"] = json!(7);
    let (s, p) = app.post(&format!("{c}/patients/{patient}/forms/{form_id}"), json!({"answers": answers})).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("answers.pain")), "{p}");
    answers["pain"] = json!(4);
    let (s, a2) = app.post(&format!("{c}/patients/{patient}/forms/{form_id}"), json!({"answers": answers})).await;
    assert_eq!((s, a2["version"].as_i64()), (StatusCode::CREATED, Some(2)), "{a2}");
    let (_, list) = app.get(&format!("{c}/patients/{patient}/forms")).await;
    let versions: Vec<i64> = list.as_array().unwrap().iter().map(|a| a["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, vec![2, 1]);

    // Messages: both ways, unread counts, read marks.
    let (s, m) = anon_post(&app, &format!("/manage/{token}/messages"), json!({"body": MESSAGE})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, u) = app.get(&format!("{c}/messages/unread")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u, json!([{"patient": patient, "unread": 1}]));
    let (s, thread) = app.get(&format!("{c}/patients/{patient}/messages")).await;
    assert_eq!((s, thread[0]["body"].as_str()), (StatusCode::OK, Some(MESSAGE)), "{thread}");
    let (_, u) = app.get(&format!("{c}/messages/unread")).await;
    assert_eq!(u, json!([]), "reading the thread marks the patient's messages read");
    let (s, r) = app.post(&format!("{c}/patients/{patient}/messages"), json!({"body": REPLY})).await;
    assert_eq!((s, r["from_staff"].as_bool()), (StatusCode::CREATED, Some(true)), "{r}");
    let (s, mine) = anon_get(&app, &format!("/manage/{token}/messages")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        mine.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect::<Vec<_>>(),
        [MESSAGE, REPLY]
    );
    let (s, p) = app.post(&format!("{c}/patients/{patient}/messages"), json!({"body": "  "})).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{p}");

    // Nothing of the answers or messages is readable in the database.
    let bytes = stored_bytes(&app).await;
    assert!(!bytes.is_empty());
    for secret in [COMPLAINT, MESSAGE, REPLY, "zqxjv", "kwpfz", "mbvtq", "1991-09-22"] {
        assert!(!contains(&bytes, secret), "{secret} is readable in the {} database", app.engine);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clinic_and_another_patient_reach_no_forms_answers_or_messages() {
    let app = spawn_app().await;
    let alpha = seed(&app).await;
    let bravo = seed(&app).await;
    let a = format!("/clinics/{}", alpha.slug);
    let b = format!("/clinics/{}", bravo.slug);
    let (_, form) = app.post(&format!("{a}/forms"), farsi_form(false)).await;
    let form_id = form["id"].as_str().unwrap().to_owned();
    let (appt1, _, token1) = book(&app, &alpha, "بیمار یک", "+989121110002", 0).await;
    let (_, _, token2) = book(&app, &alpha, "بیمار دو", "+989121110003", 1).await;
    let (_, _, bravo_token) = book(&app, &bravo, "بیمار سه", "+989121110004", 0).await;
    let p1 = patient_of(&app, &alpha, &appt1).await;
    let answers = json!({"complaint": COMPLAINT, "birth": "1370/06/31", "sign": "بیمار یک"});
    let (s, _) = anon_post(&app, &format!("/manage/{token1}/forms/{form_id}"), json!({"answers": answers})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = anon_post(&app, &format!("/manage/{token1}/messages"), json!({"body": MESSAGE})).await;
    assert_eq!(s, StatusCode::CREATED);

    // Another patient's manage link: their own (empty) thread, never patient one's.
    let (s, t2) = anon_get(&app, &format!("/manage/{token2}/messages")).await;
    assert_eq!((s, t2), (StatusCode::OK, json!([])));
    // Bravo's patient cannot answer Alpha's form (it is not their clinic's).
    let (s, _) = anon_post(&app, &format!("/manage/{bravo_token}/forms/{form_id}"), json!({"answers": answers})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A forged token opens nothing.
    let (s, _) = anon_get(&app, "/manage/not-a-token/messages").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Bravo's owner (a member of Bravo only) gets 403 on Alpha's routes, and Bravo's routes
    // with Alpha's ids find nothing.
    let bravo_owner = member(&app, &bravo, Role::Owner, None).await;
    for path in [
        format!("{a}/forms"),
        format!("{a}/forms/{form_id}"),
        format!("{a}/patients/{p1}/forms"),
        format!("{a}/patients/{p1}/messages"),
        format!("{a}/messages/unread"),
    ] {
        let (s, _) = decode(bravo_owner.get(format!("{}{path}", app.api)).send().await.unwrap()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
    }
    for path in
        [format!("{b}/forms/{form_id}"), format!("{b}/patients/{p1}/forms"), format!("{b}/patients/{p1}/messages")]
    {
        let (s, v) = decode(bravo_owner.get(format!("{}{path}", app.api)).send().await.unwrap()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (s, _) = decode(
        bravo_owner
            .post(format!("{}{b}/patients/{p1}/forms/{form_id}", app.api))
            .json(&json!({"answers": answers}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = decode(
        bravo_owner
            .post(format!("{}{b}/patients/{p1}/messages", app.api))
            .json(&json!({"body": "x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Reception of Alpha may fill forms at the desk but not read the answers.
    let desk = member(&app, &alpha, Role::Receptionist, None).await;
    let (s, _) = decode(desk.get(format!("{}{a}/patients/{p1}/forms", app.api)).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = decode(
        desk.post(format!("{}{a}/patients/{p1}/forms/{form_id}", app.api))
            .json(&json!({"answers": answers}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    app.stop().await;
}

/// The manage-link page: a Farsi form renders right-to-left with its Farsi labels, takes a
/// Solar Hijri date typed in Persian digits without JavaScript (a plain form post), and a
/// refused answer re-shows the form naming the field, storing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_farsi_form_page_renders_rtl_and_round_trips_without_javascript() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let (_, form) = app.post(&format!("{c}/forms"), farsi_form(false)).await;
    let form_id = form["id"].as_str().unwrap().to_owned();
    let (appt, _, token) = book(&app, &seed, "مریم احمدی", "+989121110005", 0).await;
    let patient = patient_of(&app, &seed, &appt).await;
    let page = format!("{}/m/{token}/forms/{form_id}", app.base);
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let res = no_redirect.get(&page).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="fa" dir="rtl">"#), "the patient booked in Farsi: {html}");
    for label in ["فرم پذیرش کاردرمانی", "تاریخ تولد", "دست غالب", "راست", "بله"]
    {
        assert!(html.contains(label), "{label} missing");
    }
    // A plain HTML form: what the posts below send is what a browser without scripts sends.
    assert!(html.contains(&format!(r#"<form method="post" action="/m/{token}/forms/{form_id}""#)), "{html}");

    let post = |fields: Vec<(&'static str, &'static str)>| {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        no_redirect.post(&page).header("content-type", "application/x-www-form-urlencoded").body(body).send()
    };
    let res = post(vec![("complaint", COMPLAINT), ("birth", "۱۳۷۰/۱۳/۰۱"), ("sign", "مریم احمدی"), ("_csrf", "")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"class="field invalid""#) && html.contains(COMPLAINT), "typed text is kept: {html}");
    assert_eq!(count(&app, "form_answers").await, 0);

    let res = post(vec![
        ("complaint", COMPLAINT),
        ("birth", "۱۳۷۰/۰۶/۳۱"),
        ("pain", "۶"),
        ("hand", "left"),
        ("meds", "yes"),
        ("sign", "مریم احمدی"),
        ("_csrf", ""),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let done = res.headers()["location"].to_str().unwrap().to_owned();
    let html = no_redirect.get(format!("{}{done}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("پاسخ‌های شما دریافت شد"), "{html}");
    let (_, list) = app.get(&format!("{c}/patients/{patient}/forms")).await;
    assert_eq!(list[0]["answers"]["birth"], "1991-09-22");
    assert_eq!(list[0]["answers"]["hand"], "left");
    assert_eq!(list[0]["answers"]["meds"], true);
    assert_eq!(list[0]["answers"]["pain"], 6);
    app.stop().await;
}
