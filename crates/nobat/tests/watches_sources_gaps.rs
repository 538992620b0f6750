//! Issue 13's open gaps on outside (source) watches: "stop" works from every message (the
//! token, through `DELETE /api/v1/watches/{token}` as for local watches), a watcher is
//! rate-limited like a local one, and a window's end is said once.
#![allow(clippy::unwrap_used)]

use crate::common;

use crate::watches::{free_ids, mails_to, wait_until};
use common::*;
use nobat_testkit::{SmartFeed, SmtpFake};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// An app following the messy SMART feed (its slots a week ahead), mailing to `smtp`; the
/// source's id and the watch window (from, to).
async fn following(smtp: &SmtpFake) -> (TestApp, SmartFeed, String, String, String) {
    let day =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().checked_add(jiff::ToSpan::days(7)).unwrap();
    let day_start = day.at(9, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
    let (feed, _) = SmartFeed::start_messy(day_start).await.unwrap();
    let url = smtp.url();
    let app = spawn_with(|c| {
        c.sources.min_poll_seconds = 1;
        c.sources.poll_seconds = 1;
        c.messages.email.smtp_url = Some(url);
    })
    .await;
    let (s, body) = app.post("/sources", json!({ "kind": "smart", "url": feed.manifest_url() })).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    wait_until("the first import", || async { free_ids(&app, &id).await.len() == 4 }).await;
    let to = day.checked_add(jiff::ToSpan::days(6)).unwrap().to_string();
    (app, feed, id, day.to_string(), to)
}

async fn watch(app: &TestApp, source: &str, from: &str, to: &str, email: &str) -> Value {
    let body = json!({
        "location": "L-ok", "from": from, "to": to, "mode": "notify",
        "patient": { "name": "Sara", "email": email, "language": "en" },
    });
    let res = app.anon.post(format!("{}/sources/{source}/watches", app.api)).json(&body).send().await.unwrap();
    let (s, b) = decode(res).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

#[tokio::test]
async fn an_outside_watch_stops_from_its_message_and_is_rate_limited_like_a_local_one() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, feed, source, from, to) = following(&smtp).await;
    let stopper = watch(&app, &source, &from, &to, "stopper@example.test").await;
    let limited = watch(&app, &source, &from, &to, "limited@example.test").await;
    let witness = watch(&app, &source, &from, &to, "witness@example.test").await;
    let token = stopper["token"].as_str().unwrap();
    assert!(stopper["manage_url"].as_str().unwrap().ends_with(&format!("/api/v1/watches/{token}")), "{stopper}");
    // The limited watcher was told three times in the past hour already (the default limit).
    let db = app.db().await;
    let now = jiff::Timestamp::now().as_microsecond();
    for (i, slot) in ["earlier-1", "earlier-2", "earlier-3"].into_iter().enumerate() {
        sqlx::query("INSERT INTO source_watch_notices (watch_id, slot_id, created_at_us) VALUES ($1, $2, $3)")
            .bind(limited["id"].as_str().unwrap())
            .bind(slot)
            .bind(now - 60_000_000 * (i as i64 + 1))
            .execute(&db)
            .await
            .unwrap();
    }

    assert!(feed.set_slot_status("slot-busy", "free"));
    let got = smtp.wait_for(2, Duration::from_secs(20)).await;
    let mine = mails_to(&smtp, "stopper@example.test");
    assert_eq!(mine.len(), 1, "{got:?}");
    let text = mine[0].mail().text_body().unwrap();
    assert!(text.contains(&format!("/api/v1/watches/{token}")), "the stop link: {text}");
    assert_eq!(mails_to(&smtp, "witness@example.test").len(), 1);
    // Planned in the same transaction as the others' messages: the limited watcher has none.
    let planned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE recipient = 'limited@example.test'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(planned, 0, "three notices in the hour: the fourth is not sent");

    // Stopped from the link in the message: the next slot tells the witness only.
    let (s, b) = app.delete(&format!("/watches/{token}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (s, _) = app.delete(&format!("/watches/{token}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "stopping twice is no error");
    let (s, _) = app.delete("/watches/no-such-token").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(feed.set_slot_status("slot-links", "busy"));
    wait_until("slot-links taken", || async { !free_ids(&app, &source).await.contains(&"slot-links".to_owned()) })
        .await;
    assert!(feed.set_slot_status("slot-links", "free"));
    wait_until("the witness told again", || async { mails_to(&smtp, "witness@example.test").len() == 2 }).await;
    let planned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE recipient IN ('stopper@example.test', 'limited@example.test')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(planned, 1, "the stopped watcher hears nothing more, the limited one still nothing");
    let status: String = sqlx::query_scalar("SELECT status FROM source_watches WHERE id = $1")
        .bind(stopper["id"].as_str().unwrap())
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "stopped");
    assert_eq!(witness["position"], 3);
    db.close().await;
    app.stop().await;
}

#[tokio::test]
async fn an_outside_watch_ends_with_its_window_and_says_so_once() {
    let smtp = SmtpFake::start().await.unwrap();
    let (app, _feed, source, from, to) = following(&smtp).await;
    let ending = watch(&app, &source, &from, &to, "ending@example.test").await;
    let id = ending["id"].as_str().unwrap();
    // Its end is a durable timer at the end of the last day (UTC here); brought forward.
    let db = app.db().await;
    let (ends, run_at): (i64, i64) = sqlx::query_as(
        "SELECT w.ends_at_us, j.run_at_us FROM source_watches w JOIN jobs j ON j.key = w.id \
         WHERE w.id = $1 AND j.kind = 'source_watch.expire'",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .unwrap();
    let last: jiff::civil::Date = to.parse().unwrap();
    let expected = last.tomorrow().unwrap().to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp().as_microsecond();
    assert_eq!((ends, run_at), (expected, expected));
    let now = jiff::Timestamp::now().as_microsecond() - 1;
    sqlx::query("UPDATE source_watches SET ends_at_us = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET run_at_us = $1 WHERE kind = 'source_watch.expire'")
        .bind(now)
        .execute(&db)
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while mails_to(&smtp, "ending@example.test").is_empty() {
        if Instant::now() > until {
            let jobs: Vec<(String, String, i64, String, Option<String>)> =
                sqlx::query_as("SELECT kind, key, run_at_us, status, last_error FROM jobs")
                    .fetch_all(&db)
                    .await
                    .unwrap();
            let w: Vec<(String, Option<i64>)> =
                sqlx::query_as("SELECT status, ends_at_us FROM source_watches").fetch_all(&db).await.unwrap();
            let m: Vec<(String, String, Option<String>)> =
                sqlx::query_as("SELECT kind, status, last_error FROM messages").fetch_all(&db).await.unwrap();
            let e: Vec<(String,)> = sqlx::query_as("SELECT kind FROM events").fetch_all(&db).await.unwrap();
            panic!("the end was never told: jobs {jobs:?}, watches {w:?}, messages {m:?}, events {e:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mail = mails_to(&smtp, "ending@example.test")[0].mail();
    assert!(mail.subject().unwrap_or_default().contains("has ended"), "{:?}", mail.subject());
    assert!(mail.text_body().unwrap().contains(&format!("/api/v1/watches/{}", ending["token"].as_str().unwrap())));
    let status: String =
        sqlx::query_scalar("SELECT status FROM source_watches WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert_eq!(status, "expired");
    // Nothing repeats it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(mails_to(&smtp, "ending@example.test").len(), 1, "said once");
    db.close().await;
    app.stop().await;
}
