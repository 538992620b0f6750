//! Shared by the messages_*.rs tests: an app whose email goes to a fake SMTP server, with
//! quick retries, and helpers to book and read what was sent.
#![allow(dead_code, clippy::unwrap_used)]

use crate::common::*;
use nobat_testkit::smtp::{SmtpFake, SmtpMessage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// An app sending email to `smtp`, retrying after ~100 ms (doubling), at most `attempts` tries.
pub async fn app_with_mail(smtp: &SmtpFake, attempts: i64) -> TestApp {
    let url = smtp.url();
    spawn_with(move |c| {
        c.messages.channels.smtp_url = Some(url);
        c.messages.channels.smtp_from = "Test Clinic <noreply@clinic.test>".into();
        c.messages.channels.timeout = Duration::from_secs(5);
        c.messages.retry_base = Duration::from_millis(100);
        c.messages.max_attempts = attempts;
        c.messages.poll = Duration::from_millis(100);
    })
    .await
}

/// The Message-ID's local part: the message's id in the `messages` table.
pub fn key(m: &SmtpMessage) -> Option<String> {
    m.mail().message_id().map(|id| id.split('@').next().unwrap_or_default().to_owned())
}

/// A guest books the first free consult tomorrow with an email address and a language.
pub async fn book_with_email(app: &TestApp, seed: &Seed, n: usize, email: &str, lang: &str) -> Value {
    let free = slots(app, seed, &seed.consult, &day(1), None).await;
    let slot = &free[n];
    let body = json!({
        "service": slot["service"], "practitioner": slot["practitioner"], "start": slot["start"],
        "patient": { "name": format!("Patient {n}"), "email": email, "language": lang }
    });
    let res = app.anon.post(format!("{}/clinics/{}/appointments", app.api, seed.slug)).json(&body).send().await;
    let (s, b) = decode(res.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// The appointment's messages as staff see them.
pub async fn messages_of(app: &TestApp, seed: &Seed, appointment: &str) -> Vec<Value> {
    let (s, b) = app.get(&format!("/clinics/{}/appointments/{appointment}/messages", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["messages"].as_array().unwrap().clone()
}

/// Waits until every message about the appointment has a status in `done` (and there are `n`).
pub async fn wait_statuses(app: &TestApp, seed: &Seed, appointment: &str, n: usize, done: &[&str]) -> Vec<Value> {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let m = messages_of(app, seed, appointment).await;
        if m.len() == n && m.iter().all(|m| done.contains(&m["status"].as_str().unwrap_or_default())) {
            return m;
        }
        assert!(std::time::Instant::now() < until, "messages never settled: {m:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every message id in the table, with its status.
pub async fn all_messages(app: &TestApp) -> Vec<(String, String, String)> {
    let db = app.db().await;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, kind, status FROM messages ORDER BY created_at_us, id")
            .fetch_all(&db)
            .await
            .unwrap();
    db.close().await;
    rows
}
