//! The SMTP relay misbehaves (issue 12): temporary failures (451), a closing server (421), a
//! connection dropped in the middle of DATA, a slow server, a server that is down (refused
//! connections, stop/restart), and a permanent rejection (550). After each, every message
//! reached the fake exactly once (counted by Message-ID, the message's idempotency key); a
//! rejected one is dead-lettered and the clinic's owner is alerted by a durable message.

#![allow(clippy::unwrap_used)]

use crate::common;
use crate::messages;

use common::*;
use messages::*;
use nobat_testkit::smtp::{SmtpFake, SmtpFault};
use std::time::Duration;

/// Books `n` appointments with distinct addresses and waits until all their confirmations
/// are `sent`; returns the messages' ids.
async fn book_and_settle(app: &TestApp, seed: &Seed, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let b = book_with_email(app, seed, i, &format!("p{i}@example.org"), "en").await;
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    let mut out = Vec::new();
    for id in &ids {
        let m = wait_statuses(app, seed, id, 1, &["sent"]).await;
        out.push(m[0]["id"].as_str().unwrap().to_owned());
    }
    out
}

async fn exactly_once_after(fault: SmtpFault, count: usize) {
    let smtp = SmtpFake::start().await.unwrap();
    smtp.fail_next(count, fault.clone());
    let app = app_with_mail(&smtp, 8).await;
    let seed = seed(&app).await;
    let ids = book_and_settle(&app, &seed, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    smtp.messages().assert_exactly_once(key, ids.clone());
    // The failures are visible to staff: some message needed more than one attempt.
    let db = app.db().await;
    let (retried,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM messages WHERE attempts > 1").fetch_one(&db).await.unwrap();
    db.close().await;
    assert!(retried >= 1, "{fault:?}: no message was retried");
    app.stop().await;
}

#[tokio::test]
async fn temporary_failures_451_are_retried_and_arrive_once() {
    exactly_once_after(SmtpFault::TempFail451, 2).await;
}

#[tokio::test]
async fn a_server_closing_with_421_is_retried_and_each_arrives_once() {
    exactly_once_after(SmtpFault::Shutdown421, 2).await;
}

#[tokio::test]
async fn a_connection_dropped_mid_data_is_retried_and_each_arrives_once() {
    exactly_once_after(SmtpFault::DropMidData, 2).await;
}

#[tokio::test]
async fn a_slow_server_is_waited_for_not_sent_to_twice() {
    // 2 s per reply: under the channel's 5 s timeout, so the message is sent once, slowly.
    let smtp = SmtpFake::start().await.unwrap();
    smtp.fail_next(1, SmtpFault::Hang(Duration::from_secs(2)));
    let app = app_with_mail(&smtp, 8).await;
    let seed = seed(&app).await;
    let ids = book_and_settle(&app, &seed, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    smtp.messages().assert_exactly_once(key, ids);
    app.stop().await;
}

#[tokio::test]
async fn a_hung_server_times_out_and_the_message_is_retried() {
    // A server that never answers the greeting's commands in time: the send times out (5 s),
    // counts as a temporary failure, and goes through once the server answers again.
    let smtp = SmtpFake::start().await.unwrap();
    smtp.set_delay(Duration::from_secs(8));
    let app = app_with_mail(&smtp, 8).await;
    let seed = seed(&app).await;
    let b = book_with_email(&app, &seed, 0, "p@example.org", "en").await;
    let id = b["id"].as_str().unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let m = messages_of(&app, &seed, id).await;
        if m.first().is_some_and(|m| m["status"] == "failed") {
            assert!(m[0]["last_error"].as_str().unwrap_or_default().len() > 3, "{m:?}");
            break;
        }
        assert!(std::time::Instant::now() < until, "never timed out: {m:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    smtp.set_delay(Duration::ZERO);
    let m = wait_statuses(&app, &seed, id, 1, &["sent"]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    smtp.messages().assert_exactly_once(key, [m[0]["id"].as_str().unwrap()]);
    app.stop().await;
}

#[tokio::test]
async fn a_relay_that_is_down_refuses_connections_and_mail_goes_out_when_it_is_back() {
    let smtp = SmtpFake::start().await.unwrap();
    let app = app_with_mail(&smtp, 20).await;
    let seed = seed(&app).await;
    smtp.stop().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let b = book_with_email(&app, &seed, i, &format!("p{i}@example.org"), "en").await;
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    // Wait until every confirmation has failed at least once against the closed port.
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut all_failed = true;
        for id in &ids {
            let m = messages_of(&app, &seed, id).await;
            all_failed &= m.first().is_some_and(|m| m["status"] == "failed");
        }
        if all_failed {
            break;
        }
        assert!(std::time::Instant::now() < until, "no failed attempt recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    smtp.restart().await.unwrap();
    let mut sent = Vec::new();
    for id in &ids {
        sent.push(wait_statuses(&app, &seed, id, 1, &["sent"]).await[0]["id"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    smtp.messages().assert_exactly_once(key, sent);
    app.stop().await;
}

#[tokio::test]
async fn a_permanent_rejection_is_dead_lettered_and_the_owner_alerted_once() {
    let smtp = SmtpFake::start().await.unwrap();
    smtp.reject_recipient("nobody@example.org");
    let app = app_with_mail(&smtp, 8).await;
    let seed = seed(&app).await;
    let b = book_with_email(&app, &seed, 0, "nobody@example.org", "en").await;
    let m = wait_statuses(&app, &seed, b["id"].as_str().unwrap(), 1, &["dead"]).await;
    assert_eq!(m[0]["attempts"], 1, "a permanent failure is not retried");
    assert!(m[0]["last_error"].as_str().unwrap_or_default().contains("550"), "{m:?}");
    // The owner hears about it by email: a message of its own, sent once.
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].rcpt_to, vec![OWNER_EMAIL.to_owned()]);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all = all_messages(&app).await;
    let alerts: Vec<&(String, String, String)> = all.iter().filter(|(_, k, _)| k == "admin_alert").collect();
    assert_eq!(alerts.len(), 1, "{all:?}");
    assert_eq!(alerts[0].2, "sent");
    smtp.messages().assert_exactly_once(key, [alerts[0].0.clone()]);
    app.stop().await;
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_dead_after_its_attempts_and_alerts() {
    let smtp = SmtpFake::start().await.unwrap();
    // Every attempt for the patient fails temporarily; the alert to the owner goes through.
    smtp.fail_next(3, SmtpFault::TempFail451);
    let app = app_with_mail(&smtp, 3).await;
    let seed = seed(&app).await;
    let b = book_with_email(&app, &seed, 0, "p@example.org", "en").await;
    let m = wait_statuses(&app, &seed, b["id"].as_str().unwrap(), 1, &["dead"]).await;
    assert_eq!(m[0]["attempts"], 3);
    let got = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].rcpt_to, vec![OWNER_EMAIL.to_owned()]);
    app.stop().await;
}

#[tokio::test]
async fn a_confirmation_waiting_for_a_retry_is_not_sent_after_the_cancellation() {
    let smtp = SmtpFake::start().await.unwrap();
    smtp.fail_next(1, SmtpFault::TempFail451);
    let url = smtp.url();
    let app = spawn_with(move |c| {
        c.messages.email.smtp_url = Some(url);
        // Long enough for the cancellation to come first.
        c.messages.retry_base = Duration::from_secs(3);
        c.messages.poll = Duration::from_millis(100);
    })
    .await;
    let seed = seed(&app).await;
    let b = book_with_email(&app, &seed, 0, "p@example.org", "en").await;
    let id = b["id"].as_str().unwrap();
    wait_statuses(&app, &seed, id, 1, &["failed"]).await;
    let (s, body) = app
        .post(
            &format!("/clinics/{}/appointments/{id}/cancel", seed.slug),
            serde_json::json!({ "staff_override": true }),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK, "{body}");
    let m = wait_statuses(&app, &seed, id, 2, &["sent", "dead"]).await;
    let by_kind = |k: &str| m.iter().find(|m| m["kind"] == k).unwrap().clone();
    assert_eq!(by_kind("booking_cancelled")["status"], "sent");
    let confirmation = by_kind("booking_confirmed");
    assert_eq!(confirmation["status"], "dead", "{m:?}");
    assert!(confirmation["last_error"].as_str().unwrap_or_default().contains("superseded"), "{m:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Only the cancellation arrived, and no admin was alerted for the superseded one.
    assert_eq!(smtp.messages().len(), 1);
    assert!(all_messages(&app).await.iter().all(|(_, k, _)| k != "admin_alert"));
    app.stop().await;
}
