//! Telegram `sendMessage` against the fake Bot API: inline keyboards, the outcome mapping
//! (429 `parameters.retry_after`, 5xx, 403 blocked, 401 revoked, hang, refused, answer lost)
//! and the process-wide limiter under bursts: per-chat spacing with the fake's flood limits
//! on (no 429s), and the cooldown after a 429.
#![allow(clippy::unwrap_used)]

use nobat_i18n::Lang;
use nobat_notify::channels::{Telegram, TelegramConfig};
use nobat_notify::http::Http;
use nobat_notify::{Button, Channel, Outgoing, SendError};
use nobat_testkit::telegram::FloodLimits;
use nobat_testkit::{TelegramFake, TgUser};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn msg(chat: i64, key: &str, text: &str) -> Outgoing {
    Outgoing {
        idempotency_key: key.into(),
        to: chat.to_string(),
        lang: Lang::En,
        subject: None,
        text: text.into(),
        html: None,
        attachments: vec![],
        buttons: vec![],
        template: None,
    }
}

/// Each test its own token, so each has its own process-wide limiter.
fn channel(fake: &TelegramFake, token: &str, per_chat_ms: u64, global: f64) -> Telegram {
    Telegram::new(
        TelegramConfig {
            api_url: fake.api_url(),
            bot_token: token.into(),
            per_chat_ms: Some(per_chat_ms),
            global_per_sec: Some(global),
        },
        Http::new(Duration::from_millis(700)),
    )
}

#[tokio::test]
async fn send_message_with_buttons_and_every_fault() {
    let token = "111:fault-token";
    let fake = TelegramFake::start(token).await.unwrap();
    let user = TgUser::new(501, "Sara");
    fake.start_command(&user, None);
    let ch = channel(&fake, token, 1, 1000.0);

    let mut m = msg(501, "t1", "Your appointment is confirmed");
    m.buttons = vec![
        Button::Url { label: "Manage".into(), url: "https://clinic.example/m/abc".into() },
        Button::Callback { label: "Cancel".into(), data: "cancel:abc".into() },
    ];
    let ok = ch.send(&m).await.unwrap();
    assert!(ok.provider_id.is_some());
    let sent = fake.wait_for(1, Duration::from_secs(2)).await;
    assert_eq!(sent[0].text, "Your appointment is confirmed");
    assert_eq!(sent[0].button_labels(), vec!["Manage", "Cancel"]);
    let rows = sent[0].buttons();
    assert_eq!(rows[0][0].url.as_deref(), Some("https://clinic.example/m/abc"));
    assert_eq!(rows[1][0].callback_data.as_deref(), Some("cancel:abc"));

    fake.rate_limit_next(1, 5);
    match ch.send(&msg(501, "t2", "x")).await {
        Err(SendError::Transient { after, .. }) => assert_eq!(after, Some(Duration::from_secs(5))),
        other => panic!("429 must be transient with retry_after, got {other:?}"),
    }
    assert!(
        ch.limiter().chat_ready_at("501").unwrap() > tokio::time::Instant::now() + Duration::from_secs(4),
        "after a 429 the chat cools down for retry_after"
    );
    assert!(ch.limiter().slowdown() > 1.0, "and the global pace slows");

    let other = TgUser::new(502, "Reza");
    fake.start_command(&other, None);
    fake.fail_next(1, 502);
    assert!(matches!(ch.send(&msg(502, "t3", "x")).await, Err(SendError::Transient { .. })));
    fake.hang_next(1, Duration::from_secs(3));
    assert!(matches!(ch.send(&msg(502, "t3", "x")).await, Err(SendError::Transient { .. })));
    fake.stop().await;
    assert!(matches!(ch.send(&msg(502, "t3", "x")).await, Err(SendError::Transient { .. })));
    fake.restart().await.unwrap();
    fake.fault_next(1, nobat_testkit::Fault::AcceptThenDrop);
    assert!(matches!(ch.send(&msg(502, "t4", "lost answer")).await, Err(SendError::Transient { .. })));
    assert_eq!(fake.sent().all().iter().filter(|m| m.text == "lost answer").count(), 1);

    fake.set_blocked(502, true);
    assert!(matches!(ch.send(&msg(502, "t5", "x")).await, Err(SendError::Permanent { .. })), "blocked: 403");
    assert!(matches!(ch.send(&msg(999, "t6", "x")).await, Err(SendError::Permanent { .. })), "no such chat");
    fake.revoke(token);
    assert!(matches!(ch.send(&msg(502, "t7", "x")).await, Err(SendError::Permanent { .. })), "revoked token: 401");
}

#[tokio::test]
async fn a_burst_to_one_chat_is_spaced_and_never_hits_the_flood_limit() {
    let token = "222:burst-token";
    let fake = TelegramFake::start(token).await.unwrap();
    fake.set_flood_limits(Some(FloodLimits {
        per_chat: Duration::from_millis(300),
        global_limit: 30,
        global_window: Duration::from_secs(1),
    }));
    let user = TgUser::new(601, "Ali");
    fake.start_command(&user, None);
    // Two channel values for one bot (as a clinic's resolve builds anew): one limiter.
    let a = Arc::new(channel(&fake, token, 320, 30.0));
    let b = Arc::new(channel(&fake, token, 320, 30.0));
    assert!(Arc::ptr_eq(a.limiter(), b.limiter()));
    let mut tasks = Vec::new();
    for i in 0..6 {
        let ch = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { ch.send(&msg(601, &format!("b{i}"), &format!("burst {i}"))).await }));
    }
    for t in tasks {
        t.await.unwrap().expect("no 429: the limiter spaced the burst");
    }
    let sent = fake.sent().all();
    assert_eq!(sent.len(), 6);
    let times: Vec<SystemTime> = sent.iter().map(|m| m.at).collect();
    for w in times.windows(2) {
        let gap = w[1].duration_since(w[0]).unwrap_or_default();
        assert!(gap >= Duration::from_millis(290), "messages to one chat {gap:?} apart");
    }
    assert_eq!(fake.requests().len(), 6, "no request was refused and retried");
}

#[tokio::test]
async fn a_burst_over_many_chats_keeps_under_the_global_limit() {
    let token = "333:global-token";
    let fake = TelegramFake::start(token).await.unwrap();
    // The fake allows 10 a second over all chats; we pace at 9.
    fake.set_flood_limits(Some(FloodLimits {
        per_chat: Duration::from_millis(10),
        global_limit: 10,
        global_window: Duration::from_secs(1),
    }));
    for id in 0..15 {
        fake.start_command(&TgUser::new(700 + id, "u"), None);
    }
    let ch = Arc::new(channel(&fake, token, 10, 9.0));
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for id in 0..15 {
        let ch = ch.clone();
        tasks.push(tokio::spawn(async move { ch.send(&msg(700 + id, &format!("g{id}"), "hello")).await }));
    }
    for t in tasks {
        t.await.unwrap().expect("no 429 from the global limit");
    }
    assert!(started.elapsed() >= Duration::from_millis(1400), "15 at 9/s take over 1.5 s");
}

#[tokio::test]
async fn after_a_429_the_next_send_to_that_chat_waits_retry_after() {
    let token = "444:cooldown-token";
    let fake = TelegramFake::start(token).await.unwrap();
    fake.start_command(&TgUser::new(801, "u"), None);
    fake.start_command(&TgUser::new(802, "v"), None);
    let ch = channel(&fake, token, 10, 1000.0);
    fake.rate_limit_next(1, 1);
    assert!(matches!(ch.send(&msg(801, "c1", "x")).await, Err(SendError::Transient { .. })));
    let started = tokio::time::Instant::now();
    ch.send(&msg(801, "c2", "again")).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "waited the cooldown: {:?}", started.elapsed());
    // Another chat is not held back by that chat's cooldown (only the global pace slowed).
    let started = tokio::time::Instant::now();
    ch.send(&msg(802, "c3", "other")).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
}
