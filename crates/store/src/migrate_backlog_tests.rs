//! Migration 0003 and the outbox backlog written since install: nothing old is sent when the
//! dispatcher arrives; a verification code still within its life is; on both engines.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::commands::{Command, Output};
use crate::{Store, StoreOptions};

/// A fresh database: a SQLite file, or a new PostgreSQL database when
/// `NOBAT_TEST_POSTGRES_URL` is set.
async fn fresh(dir: &std::path::Path) -> String {
    match std::env::var("NOBAT_TEST_POSTGRES_URL") {
        Ok(admin) if !admin.is_empty() => {
            let mut conn = crate::engine::connect_writer(Engine::Postgres, &admin, &crate::SessionLimits::unbounded())
                .await
                .unwrap();
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            conn.run(&format!("CREATE DATABASE {name}")).await.unwrap();
            conn.close().await;
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
        }
        _ => crate::sqlite_url_in(dir),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backlog_is_skipped_except_live_verification_codes() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh(dir.path()).await;
    let engine = Engine::from_url(&url).unwrap();
    let mut conn = crate::engine::connect_writer(engine, &url, &crate::SessionLimits::unbounded()).await.unwrap();
    assert_eq!(run_up_to(&mut conn, engine, 2).await.unwrap(), vec![1, 2]);
    let clinic = uuid::Uuid::now_v7().to_string();
    let now = jiff::Timestamp::now().as_microsecond();
    crate::db::query(
        "INSERT INTO clinics (id, slug, name, default_language, created_at_us, updated_at_us) VALUES ($1, 'old', 'Old', 'en', $2, $2)",
    )
    .bind(clinic.as_str())
    .bind(now)
    .execute(&mut conn)
    .await
    .unwrap();
    let week = 7 * 24 * 3600 * 1_000_000i64;
    // (id, topic, created, done): weeks-old booking and hold messages never consumed, one
    // already done, a code from an hour ago and one from a moment ago.
    let rows = [
        ("m-booked", "appointment.booked", now - 3 * week, None),
        ("m-hold", "hold.created", now - week, None),
        ("m-done", "appointment.cancelled", now - week, Some(now - week)),
        ("m-old-code", "verification.code", now - 3_600_000_000, None),
        ("m-code", "verification.code", now - 1_000_000, None),
    ];
    for (id, topic, created, done) in rows {
        crate::db::query(
            "INSERT INTO outbox (clinic_id, id, topic, payload, created_at_us, available_at_us, attempts, done_at_us) \
             VALUES ($1, $2, $3, '{\"code\":\"123456\"}', $4, $4, 0, $5)",
        )
        .bind(clinic.as_str())
        .bind(id)
        .bind(topic)
        .bind(created)
        .bind(done)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    // 0003 turns the backlog into deliveries; the later migrations leave the outbox alone.
    // (Versions, not a range: helpers working in parallel add numbered migrations that land in
    // any order.)
    let later: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).filter(|v| *v >= 3).collect();
    assert_eq!(run(&mut conn, engine).await.unwrap(), later);
    let found = crate::db::query(
        "SELECT message_id, consumer, status, topic FROM outbox_deliveries ORDER BY message_id, consumer",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let got: Vec<(String, String, String, String)> = found
        .iter()
        .map(|r| {
            (
                r.text("message_id").unwrap(),
                r.text("consumer").unwrap(),
                r.text("status").unwrap(),
                r.text("topic").unwrap(),
            )
        })
        .collect();
    let want = [
        ("m-booked", "dispatcher", "skipped", "appointment.booked"),
        ("m-code", "dispatcher", "pending", "verification.requested"),
        ("m-hold", "dispatcher", "skipped", "hold.created"),
        ("m-old-code", "dispatcher", "pending", "verification.requested"),
    ];
    let want: Vec<(String, String, String, String)> =
        want.iter().map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into())).collect();
    assert_eq!(got, want);
    conn.close().await;

    // The dispatcher arrives: it gets the live code and nothing else, for any consumer.
    let store = Store::open(&url, StoreOptions::default()).await.unwrap();
    let lease = jiff::SignedDuration::from_secs(30);
    let claim = |consumer: &str| {
        let (store, consumer) = (store.clone(), consumer.to_owned());
        async move {
            match store.execute(Command::ClaimOutbox { consumer, limit: 100, lease }).await.unwrap() {
                Output::Outbox(items) => items.into_iter().map(|i| i.id).collect::<Vec<_>>(),
                other => panic!("{other:?}"),
            }
        }
    };
    assert_eq!(claim("dispatcher").await, vec!["m-code".to_owned()]);
    assert!(claim("webhooks").await.is_empty());
    assert!(claim("watches").await.is_empty());
    // Retention dead-letters the stale code and removes what is finished and old.
    store.execute(Command::PruneEvents { keep: jiff::SignedDuration::from_hours(24), batch: 100 }).await.unwrap();
    let mut conn = crate::engine::connect_writer(engine, &url, &crate::SessionLimits::unbounded()).await.unwrap();
    let left = crate::db::query("SELECT message_id, status FROM outbox_deliveries ORDER BY message_id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let left: Vec<(String, String)> =
        left.iter().map(|r| (r.text("message_id").unwrap(), r.text("status").unwrap())).collect();
    assert_eq!(left, vec![("m-code".into(), "pending".into()), ("m-old-code".into(), "dead".into())]);
    let messages = crate::db::query("SELECT id FROM outbox ORDER BY id").fetch_all(&mut conn).await.unwrap();
    let messages: Vec<String> = messages.iter().map(|r| r.text("id").unwrap()).collect();
    assert_eq!(messages, vec!["m-code".to_owned(), "m-old-code".to_owned()]);
    conn.close().await;
    store.close().await;
}
