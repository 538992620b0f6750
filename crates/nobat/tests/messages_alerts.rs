//! Admin alerts as durable messages (issue 12): the SMS budget running out falls back to the
//! patient's email and tells the clinic's admins once a month; a worker that keeps failing
//! (`operator.alert`) reaches the instance's operators by email, once per worker per hour.

#![allow(clippy::unwrap_used)]

mod common;
mod messages;

use common::*;
use messages::*;
use nobat_store::commands::{NewMessage, OutboxItem};
use nobat_store::{Command, Event, EventKind, Output, Subjects};
use nobat_testkit::smtp::SmtpFake;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn claim_dispatcher(app: &TestApp) -> Vec<OutboxItem> {
    let cmd =
        Command::ClaimOutbox { consumer: "dispatcher".into(), limit: 100, lease: jiff::SignedDuration::from_secs(60) };
    match app.store.execute(cmd).await.unwrap() {
        Output::Outbox(items) => items,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_spent_sms_budget_falls_back_to_email_and_alerts_the_admins_once() {
    // No channel configured: no dispatcher runs, the test plays it through the store.
    let app = spawn_app().await;
    let seed = seed(&app).await;
    let db = app.db().await;
    sqlx::query("UPDATE clinics SET sms_monthly_budget = 2 WHERE id = $1")
        .bind(&seed.clinic)
        .execute(&db)
        .await
        .unwrap();
    let free = slots(&app, &seed, &seed.consult, &day(1), None).await;
    for (i, slot) in free.iter().take(4).enumerate() {
        let mut body = booking(slot, &format!("Patient {i}"));
        body["patient"]["email"] = json!(format!("p{i}@example.org"));
        body["patient"]["phone"] = json!(format!("+98912123456{i}"));
        let (s, b) = app.post(&format!("/clinics/{}/appointments", seed.slug), body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let items = claim_dispatcher(&app).await;
    assert_eq!(items.len(), 4);
    for (i, item) in items.into_iter().enumerate() {
        let m = NewMessage {
            appointment: None,
            kind: "booking_confirmed".into(),
            channel: "sms".into(),
            recipient: format!("+98912123456{i}"),
            language: "en".into(),
            source: format!("outbox:{}:patient", item.id),
            facts: json!({}),
            fallback: Some(("email".into(), format!("p{i}@example.org"))),
        };
        app.store.execute(Command::PlanMessages { delivery: item, messages: vec![m] }).await.unwrap();
    }
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT kind, channel, recipient FROM messages ORDER BY created_at_us, id")
            .fetch_all(&db)
            .await
            .unwrap();
    let by = |kind: &str, channel: &str| rows.iter().filter(|(k, c, _)| k == kind && c == channel).count();
    assert_eq!(by("booking_confirmed", "sms"), 2, "{rows:?}");
    assert_eq!(by("booking_confirmed", "email"), 2, "past the budget, email: {rows:?}");
    let alerts: Vec<&(String, String, String)> = rows.iter().filter(|(k, _, _)| k == "admin_alert").collect();
    assert_eq!(alerts.len(), 1, "one alert per admin per month, not per message: {rows:?}");
    assert_eq!(alerts[0].2, OWNER_EMAIL);
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_failing_worker_alerts_the_operators_by_email_once_an_hour() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 5).await;
    let nil = nobat_core::ClinicId(uuid::Uuid::nil());
    let alert = || {
        let subjects = Subjects { worker: Some("jobs".into()), ..Subjects::default() };
        Event::local(nil, EventKind::OperatorAlert, subjects)
    };
    // Let the dispatcher reach its first pause, where it listens.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.store.announce(alert());
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].rcpt_to, vec![OWNER_EMAIL.to_owned()]);
    assert!(got[0].mail().text_body().unwrap_or_default().contains("jobs"));
    app.store.announce(alert());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(smtp.messages().len(), 1, "the same worker's alert again within the hour is not resent");
    let all = all_messages(&app).await;
    assert_eq!(all.len(), 1, "{all:?}");
    app.stop().await;
}
