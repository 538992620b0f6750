//! A NUL character (U+0000) anywhere a client can put text — a path segment, a query
//! parameter, a JSON string or key — is refused at the edge with problem+json naming where it
//! was, on both engines (PostgreSQL cannot store it in text and used to answer 500), and
//! nothing is written.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Rows in the tables a refused request could have touched.
async fn counts(app: &TestApp) -> Vec<i64> {
    let db = app.db().await;
    let mut out = Vec::new();
    for table in ["appointments", "patients", "holds", "practitioners", "users", "audit_events", "idempotency_keys"] {
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(&db).await.unwrap();
        out.push(n);
    }
    db.close().await;
    out
}

#[tokio::test]
async fn nul_in_path_query_or_body_is_refused_everywhere() {
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let slot = slots(&app, &seed, &seed.consult, &day(2), None).await[0].clone();
    let before = counts(&app).await;

    // GETs, signed in and anonymous: (path and query, field named).
    let gets = [
        ("/clinics/a%00b".to_owned(), "path"),
        (format!("{c}/practitioners/%00"), "path"),
        ("/manage/abc%00def".to_owned(), "path"),
        ("/nothing%00here".to_owned(), "path"),
        (format!("{c}/availability?service=%00&from={}&to={}", day(1), day(1)), "service"),
        (format!("{c}/availability?service={}&from=2026%0001-01&to=2026-01-01", seed.consult), "from"),
        (format!("{c}/audit?actor=a%00b"), "actor"),
        (format!("{c}/audit?entity=x&action=%00"), "action"),
        (format!("{c}/appointments?status=booked%00"), "status"),
        ("/clinics?x%00=1".to_owned(), "x\\0"),
    ];
    for (path, field) in &gets {
        for client in [&app.client, &app.anon] {
            let res = client.get(format!("{}{path}", app.api)).send().await.unwrap();
            let (s, p) = decode(res).await;
            assert!(matches!(s, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY), "{path} → {s} {p}");
            assert_eq!(p["field"].as_str(), Some(*field), "{path} → {p}");
        }
    }

    // Writes: (method, path, body, field named).
    let mut note = booking(&slot, "Nul Note");
    note["note"] = json!("before\u{0}after");
    let mut name = booking(&slot, "Nul\u{0}Name");
    name["patient"]["phone"] = json!("+989121234567");
    let mut consent = booking(&slot, "Consent");
    consent["consents"] = json!([{ "kind": "privacy-notice", "text_version": "2026\u{0}" }]);
    let mut key = booking(&slot, "Key");
    key["patient"] = json!({ "name": "Key", "phone": "+989121234567", "lang\u{0}uage": "fa" });
    let hold = json!({ "service": seed.consult, "practitioner": slot["practitioner"], "start": format!("{}\u{0}", slot["start"].as_str().unwrap()) });
    let writes: Vec<(reqwest::Method, String, Value, &str)> = vec![
        (reqwest::Method::POST, format!("{c}/appointments"), note, "note"),
        (reqwest::Method::POST, format!("{c}/appointments"), name, "patient.name"),
        (reqwest::Method::POST, format!("{c}/appointments"), consent, "consents[0].text_version"),
        (reqwest::Method::POST, format!("{c}/appointments"), key, "patient"),
        (reqwest::Method::POST, format!("{c}/holds"), hold, "start"),
        (reqwest::Method::POST, format!("{c}/appointments%00"), booking(&slot, "Path"), "path"),
        (
            reqwest::Method::POST,
            "/auth/login".to_owned(),
            json!({ "email": "owner@test.nobat\u{0}", "password": OWNER_PASSWORD }),
            "email",
        ),
        (reqwest::Method::POST, format!("{c}/practitioners"), json!({ "name": "Dr.\u{0}Nul" }), "name"),
        (
            reqwest::Method::PATCH,
            format!("{c}/practitioners/{}", seed.doctors[0]),
            json!({ "name": "Dr.\u{0}Patched" }),
            "name",
        ),
        (reqwest::Method::POST, "/clinics".to_owned(), json!({ "slug": "nul-clinic", "name": "N\u{0}" }), "name"),
    ];
    for (i, (method, path, body, field)) in writes.iter().enumerate() {
        // The first seven are public; staff endpoints tell a stranger to sign in (401) before
        // they read the body.
        let clients = if i < 7 { vec![&app.client, &app.anon] } else { vec![&app.client] };
        for client in clients {
            let res = client.request(method.clone(), format!("{}{path}", app.api)).json(body).send().await.unwrap();
            let (s, p) = decode(res).await;
            assert!(matches!(s, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY), "{path} {body} → {s} {p}");
            assert_eq!(p["field"].as_str(), Some(*field), "{path} {body} → {p}");
        }
    }

    // Nothing written, and the server still answers.
    assert_eq!(counts(&app).await, before, "a refused request wrote nothing");
    let (s, p) = app.post(&format!("{c}/appointments"), booking(&slot, "Fine")).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    app.stop().await;
}
