//! Admin alerts as durable messages (issue 12): the SMS budget running out falls back to the
//! patient's email and tells the clinic's admins once a month; a worker that keeps failing
//! (`operator.alert`) reaches the instance's operators by email, once per worker per hour.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::messages;

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

#[tokio::test]
async fn the_budget_api_counts_segments_and_cost_and_a_spent_budget_goes_by_email() {
    use nobat_testkit::twilio::TwilioFake;
    let smtp = SmtpFake::start().await.unwrap();
    let twilio = TwilioFake::start("ACinst", "inst-token").await.unwrap();
    let (mail, base) = (smtp.url(), twilio.url());
    let app = spawn_with(move |c| {
        c.messages.email.smtp_url = Some(mail);
        c.messages.poll = Duration::from_millis(100);
        c.messages.sms_segment_price_micros = Some(45_000);
        let s = &mut c.channels.settings;
        s.sms_provider = Some("twilio".into());
        s.twilio_api_url = Some(base);
        s.twilio_account_sid = Some("ACinst".into());
        s.twilio_auth_token = Some("inst-token".into());
        s.twilio_from = Some("+15005550006".into());
    })
    .await;
    let seed = seed(&app).await;
    let c = format!("/clinics/{}", seed.slug);
    let put = |body: serde_json::Value| {
        let req = app.client.put(format!("{}{c}/message-budget", app.api)).json(&body);
        async move { decode(req.send().await.unwrap()).await }
    };
    let (s, p) = put(json!({ "sms_monthly": -1 })).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sms_monthly")), "{p}");
    let (s, b) = put(json!({ "sms_monthly": 1 })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        (b["sms_monthly"].as_i64(), b["effective"].as_i64(), b["sms_used"].as_i64()),
        (Some(1), Some(1), Some(0))
    );

    let free = slots(&app, &seed, &seed.consult, &day(1), None).await;
    let mut ids = Vec::new();
    for (i, slot) in free.iter().take(2).enumerate() {
        let mut body = booking(slot, &format!("Patient {i}"));
        body["patient"]["email"] = json!(format!("p{i}@example.org"));
        body["patient"]["phone"] = json!(format!("+98912123456{i}"));
        body["patient"]["language"] = json!("fa");
        let (s, b) = app.post(&format!("{c}/appointments"), body).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_owned());
        // In order: the first takes the month's one SMS.
        wait_statuses(&app, &seed, &ids[i], 1, &["sent"]).await;
    }
    let sms = twilio.wait_for(1, Duration::from_secs(20)).await;
    // Persian: UCS-2, 70 UTF-16 units in one segment, 67 each when split.
    let units = sms[0].body.encode_utf16().count() as i64;
    let segments = if units <= 70 { 1 } else { (units + 66) / 67 };
    assert!(segments >= 2, "a Persian confirmation is longer than one UCS-2 segment ({units} units)");
    let first = messages_of(&app, &seed, &ids[0]).await;
    let second = messages_of(&app, &seed, &ids[1]).await;
    assert_eq!(first[0]["channel"], "sms");
    assert_eq!(second[0]["channel"], "email", "past the budget, the patient's email");
    // The admins hear of it (by email), once.
    let mails = smtp.wait_for(2, Duration::from_secs(20)).await;
    assert!(mails.iter().any(|m| m.rcpt_to == vec![OWNER_EMAIL.to_owned()]), "the admin alert");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(twilio.sent().len(), 1);

    let (s, b) = app.get(&format!("{c}/message-budget")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["sms_used"], 1, "{b}");
    assert_eq!(b["sms_cost_micros"].as_i64(), Some(segments * 45_000), "{b}");
    let (s, stats) = app.get(&format!("{c}/message-stats?from={}", day(-1))).await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    let row = |channel: &str, status: &str| {
        stats["counts"].as_array().unwrap().iter().find(|r| r["channel"] == channel && r["status"] == status).cloned()
    };
    let sms_row = row("sms", "sent").unwrap_or_else(|| panic!("{stats}"));
    assert_eq!((sms_row["count"].as_i64(), sms_row["segments"].as_i64()), (Some(1), Some(segments)), "{stats}");
    assert_eq!(row("email", "sent").unwrap()["count"], 2, "the fallback and the alert: {stats}");
    assert_eq!(stats["total_cost_micros"].as_i64(), Some(segments * 45_000));
    let (s, p) = app.get(&format!("{c}/message-stats?from=2026-02-01&to=2026-01-01")).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to")), "{p}");
    let (s, p) = app.get(&format!("{c}/message-stats?from=yesterday")).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")), "{p}");
    app.stop().await;
}
