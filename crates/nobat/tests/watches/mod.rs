//! Shared by the watches_*.rs tests: a seeded clinic whose email goes to a fake SMTP server,
//! slots by their Tehran wall-clock time, bookings, cancellations, watches, and a wait until
//! the watch matcher and the dispatcher have caught up with every event.
#![allow(dead_code, clippy::unwrap_used)]

use crate::common::*;
use nobat_testkit::smtp::{SmtpFake, SmtpMessage};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The Tehran wall-clock `HH:MM` of an RFC 3339 instant.
pub fn tehran_hm(start: &str) -> String {
    let t: jiff::Timestamp = start.parse().unwrap();
    t.to_zoned(nobat_core::zones::get("Asia/Tehran").unwrap()).strftime("%H:%M").to_string()
}

/// Doctor `doctor`'s consult slot at `hm` (Tehran) `days` from today.
pub async fn slot_at(app: &TestApp, seed: &Seed, doctor: usize, days: i64, hm: &str) -> Value {
    let free = slots(app, seed, &seed.consult, &day(days), Some(&seed.doctors[doctor])).await;
    free.into_iter().find(|s| tehran_hm(s["start"].as_str().unwrap()) == hm).unwrap_or_else(|| panic!("no {hm} slot"))
}

/// A guest books `slot` (phone only: no message to them by email). Returns (id, manage token).
pub async fn book(app: &TestApp, seed: &Seed, slot: &Value, name: &str) -> (String, String) {
    let res = app.anon.post(format!("{}/clinics/{}/appointments", app.api, seed.slug)).json(&booking(slot, name));
    let (s, b) = decode(res.send().await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (b["id"].as_str().unwrap().to_owned(), b["manage_token"].as_str().unwrap().to_owned())
}

/// Staff cancel an appointment.
pub async fn cancel(app: &TestApp, seed: &Seed, id: &str) {
    let (s, b) =
        app.post(&format!("/clinics/{}/appointments/{id}/cancel", seed.slug), json!({ "staff_override": true })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// A guest creates a watch; returns the answer.
pub async fn watch(app: &TestApp, seed: &Seed, body: Value) -> Value {
    let res = app.anon.post(format!("{}/clinics/{}/watches", app.api, seed.slug)).json(&body).send().await.unwrap();
    let (s, b) = decode(res).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// A watch of doctor A's consult at 10:00 Tehran, from `from` to `to` days ahead.
pub fn ten_oclock(seed: &Seed, mode: &str, email: &str, lang: &str, from: i64, to: i64) -> Value {
    json!({
        "service": seed.consult, "practitioner": seed.doctors[0],
        "from": day(from), "to": day(to), "times": [{ "from": "10:00", "to": "10:01" }],
        "mode": mode, "patient": { "name": format!("Watcher {email}"), "email": email, "language": lang }
    })
}

/// An app mailing to `smtp`, with quick retries, and the clinic seeded.
pub async fn setup(smtp: &SmtpFake) -> (TestApp, Seed) {
    let url = smtp.url();
    let app = spawn_with(move |c| {
        c.messages.email.smtp_url = Some(url);
        c.messages.email.smtp_from = "Test Clinic <noreply@clinic.test>".into();
        c.messages.email.timeout = Duration::from_secs(5);
        c.messages.retry_base = Duration::from_millis(100);
        c.messages.poll = Duration::from_millis(100);
    })
    .await;
    let seed = seed(&app).await;
    // The seeding's own events (new hours) are matched before any watch exists.
    settled(&app).await;
    (app, seed)
}

/// Waits until the watch matcher and the dispatcher have taken every event of every clinic and
/// every message is sent or dead.
pub async fn settled(app: &TestApp) {
    let db = app.db().await;
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let behind: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM event_heads h JOIN outbox_cursors k ON k.clinic_id = h.clinic_id \
             WHERE k.consumer IN ('watches', 'dispatcher') AND k.last_seq < h.last_seq",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        let missing: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM event_heads h WHERE NOT EXISTS (SELECT 1 FROM outbox_cursors k \
             WHERE k.clinic_id = h.clinic_id AND k.consumer = 'watches')",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox_deliveries WHERE consumer IN ('watches', 'dispatcher') AND status = 'pending'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        let unsent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status NOT IN ('sent', 'dead')")
            .fetch_one(&db)
            .await
            .unwrap();
        if behind + missing + pending + unsent == 0 {
            break;
        }
        assert!(std::time::Instant::now() < until, "never settled: {behind} {missing} {pending} {unsent}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.close().await;
}

/// The mails sent to `to`.
pub fn mails_to(smtp: &SmtpFake, to: &str) -> Vec<SmtpMessage> {
    smtp.messages().all().into_iter().filter(|m| m.rcpt_to.iter().any(|r| r == to)).collect()
}

/// Waits for `n` mails to `to`.
pub async fn wait_mails_to(smtp: &SmtpFake, to: &str, n: usize, timeout: Duration) -> Vec<SmtpMessage> {
    let until = std::time::Instant::now() + timeout;
    loop {
        let got = mails_to(smtp, to);
        if got.len() >= n {
            return got;
        }
        assert!(std::time::Instant::now() < until, "{n} mail(s) to {to} never came: {}", got.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The offer id in an offer mail's accept link.
pub fn offer_id(mail: &SmtpMessage) -> String {
    let text = mail.mail().text_body().unwrap_or_default();
    let at = text.find("/offers/").unwrap_or_else(|| panic!("no accept link: {text}"));
    text[at + 8..].split('/').next().unwrap().to_owned()
}

/// Makes the offer holds (and offers) of the clinic lapse now, as if their minutes had passed:
/// the hold's expiry timer runs at once.
pub async fn lapse_offers_now(app: &TestApp) {
    let db = app.db().await;
    let now = jiff::Timestamp::now().as_microsecond() - 1;
    sqlx::query("UPDATE holds SET expires_at_us = $1 WHERE owner LIKE 'offer:%'").bind(now).execute(&db).await.unwrap();
    sqlx::query("UPDATE watch_notices SET expires_at_us = $1 WHERE outcome = 'offered'")
        .bind(now)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET run_at_us = $1 WHERE kind = 'hold.expire'").bind(now).execute(&db).await.unwrap();
    db.close().await;
}

/// Waits (up to 30 s) until `check` holds; panics naming `what` otherwise.
pub async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let start = std::time::Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(30), "waited for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ids of outside source `id`'s free slots, as the API lists them.
pub async fn free_ids(app: &TestApp, id: &str) -> Vec<String> {
    let (s, body) = app.get(&format!("/sources/{id}/slots?from=2000-01-01&to=2100-01-01")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["slots"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}
