//! The Telegram bot end to end (issue 14): the real application polling the fake Bot API on
//! loopback, on SQLite or (with NOBAT_TEST_POSTGRES_URL) PostgreSQL. Every test writes its
//! chat's whole transcript to `$CARGO_TARGET_DIR/transcripts/<test>.txt` for reading.
#![allow(clippy::unwrap_used)]

use crate::common;

use nobat::Application;
use nobat_testkit::telegram::{FloodLimits, Speaker, TelegramFake, TgUser};
use std::time::Duration;
use tokio::sync::oneshot;

const TOKEN: &str = "7000000001:bot-test-token";
const WAIT: Duration = Duration::from_secs(20);

/// The application with the instance bot configured, on a given database; stoppable and
/// restartable on the same database (unlike `common::spawn_with`, which owns its directory).
struct Server {
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: nobat_store::Store,
    base: String,
}

async fn start(dir: &std::path::Path, db_url: &str, api_url: &str) -> Server {
    let mut cfg = common::config(dir, db_url);
    cfg.channels.settings.telegram_bot_token = Some(TOKEN.into());
    cfg.channels.settings.telegram_api_url = Some(api_url.into());
    let app = Application::build(&cfg).await.expect("build app");
    let store = app.store();
    let base = format!("http://{}", app.local_addr());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    Server { shutdown: tx, task, store, base }
}

impl Server {
    async fn stop(self) {
        let _ = self.shutdown.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// Writes the chat's transcript where a person can read it after the run.
fn keep_transcript(test: &str, text: &str) {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
        .join("transcripts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{test}.txt")), format!("{text}\n")).unwrap();
}

#[tokio::test]
async fn start_in_fa_gets_a_persian_greeting_and_an_inline_keyboard() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let server = start(dir.path(), &db_url, &tg.api_url()).await;
    let user = TgUser::new(900_001, "سارا").language("fa");

    tg.start_command(&user, None);
    let greeting = tg.wait_for_reply(user.id, WAIT).await;
    assert!(greeting.text.starts_with("سلام"), "{}", greeting.text);
    assert!(greeting.text.contains("به چه زبانی"), "{}", greeting.text);
    assert_eq!(greeting.buttons.len(), 6, "the language keyboard: {:?}", greeting.buttons);
    assert!(greeting.buttons.contains(&"فارسی".to_owned()));
    let keyboard_message = greeting.message_id.unwrap();

    // Free text it does not understand: a polite hint in Persian, never silence.
    tg.send_text(&user, "سلام، نوبت می‌خواستم؟؟ asdf");
    let hint = tg.wait_for_reply(user.id, WAIT).await;
    assert!(hint.text.starts_with("ببخشید، متوجه نشدم"), "{}", hint.text);

    // Choosing a language edits the keyboard's message instead of adding one.
    tg.tap(&user, keyboard_message, "فارسی");
    let replies = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert!(replies.iter().any(|l| l.kind == "answer"), "the button's spinner is stopped: {replies:?}");
    let edit = replies.iter().find(|l| l.kind == "edit").expect("an edit");
    assert_eq!(edit.message_id, Some(keyboard_message));
    assert!(edit.text.starts_with("از این پس به فارسی"), "{}", edit.text);
    assert_eq!(tg.sent().all().iter().filter(|m| m.chat_id == user.id).count(), 2, "greeting and hint only");

    keep_transcript("start_in_fa_gets_a_persian_greeting_and_an_inline_keyboard", &tg.transcript_text(user.id));
    server.stop().await;
}

#[tokio::test]
async fn a_restart_mid_conversation_continues_where_it_stopped() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    // The user's phone is in Persian, but they choose Russian.
    let user = TgUser::new(900_002, "Мария").language("fa");

    let first = start(dir.path(), &db_url, &tg.api_url()).await;
    tg.start_command(&user, None);
    let greeting = tg.wait_for_reply(user.id, WAIT).await;
    tg.tap(&user, greeting.message_id.unwrap(), "Русский");
    let edit = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert!(edit.iter().any(|l| l.kind == "edit" && l.text.contains("по-русски")), "{edit:?}");
    first.stop().await;

    // Written while no server runs: answered after the restart, once, in the chosen language.
    tg.send_text(&user, "когда приём?");
    let second = start(dir.path(), &db_url, &tg.api_url()).await;
    let hint = tg.wait_for_reply(user.id, WAIT).await;
    assert!(hint.text.starts_with("Извините, я не понял"), "state lost across the restart: {}", hint.text);
    // Nothing from before the restart was answered again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let bot_lines = tg.transcript().all().iter().filter(|l| l.chat_id == user.id && l.speaker == Speaker::Bot).count();
    assert_eq!(bot_lines, 4, "greeting, answer, edit, hint:\n{}", tg.transcript_text(user.id));

    keep_transcript("a_restart_mid_conversation_continues_where_it_stopped", &tg.transcript_text(user.id));
    second.stop().await;
}

#[tokio::test]
async fn a_429_with_retry_after_slows_the_bot_without_losing_a_reply() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    tg.set_flood_limits(Some(FloodLimits { per_chat: Duration::from_secs(2), ..FloodLimits::default() }));
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let server = start(dir.path(), &db_url, &tg.api_url()).await;
    let user = TgUser::new(900_003, "Ivan").language("ru");

    // Three messages at once: the second and third replies meet the per-chat limit.
    tg.send_text(&user, "раз");
    tg.send_text(&user, "два");
    tg.send_text(&user, "три");
    let sent = tg.wait_for_chat(user.id, 3, Duration::from_secs(30)).await;
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|m| m.text.starts_with("Извините")), "{sent:?}");
    let refused = tg.requests().all().iter().filter(|r| r.path.ends_with("/sendMessage")).count() - 3;
    assert!(refused >= 1, "the fake's flood limit was never met");
    for pair in sent.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at).unwrap();
        assert!(gap >= Duration::from_millis(1900), "replies closer than the limit allows: {gap:?}");
    }
    keep_transcript("a_429_with_retry_after_slows_the_bot_without_losing_a_reply", &tg.transcript_text(user.id));
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_token_stops_polling_and_alerts_the_operator() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let server = start(dir.path(), &db_url, &tg.api_url()).await;
    common::create_owner(&server.store).await;
    let user = TgUser::new(900_004, "Ali");
    tg.start_command(&user, None);
    tg.wait_for_reply(user.id, WAIT).await;

    tg.revoke(TOKEN);
    // The poll under way ends (≤ 10 s); the next one gets 401; then no more polls.
    tokio::time::sleep(Duration::from_secs(13)).await;
    let polls = tg.requests().len();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(tg.requests().len(), polls, "still calling the API with a revoked token");

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.unwrap();
    let revoked: Option<i64> = sqlx::query_scalar("SELECT revoked_at_us FROM telegram_bots WHERE id = 'instance'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(revoked.is_some(), "the revocation is recorded");
    let alerts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE kind = 'admin_alert' AND facts LIKE '%telegram-token-revoked%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(alerts, 1, "one alert to the one operator");
    pool.close().await;
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_bot_api_is_waited_out_and_the_user_still_gets_an_answer() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    // Telegram answers 502 to everything for 8 s (more than three polls' worth of failures).
    tg.fail_for(Duration::from_secs(8), 502);
    let server = start(dir.path(), &db_url, &tg.api_url()).await;
    let user = TgUser::new(900_005, "Zeynep").language("tr");
    tg.start_command(&user, None);
    // Telegram being down is not this server being unready (a 503 would take the API out of a
    // load balancer).
    tokio::time::sleep(Duration::from_secs(7)).await;
    let ready = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
    assert_eq!(ready.status().as_u16(), 200, "{}", ready.text().await.unwrap());
    let greeting = tg.wait_for_reply(user.id, Duration::from_secs(30)).await;
    assert!(greeting.text.starts_with("Merhaba Zeynep!"), "{}", greeting.text);
    assert!(tg.requests().len() > 3, "the outage was met");
    keep_transcript(
        "an_unreachable_bot_api_is_waited_out_and_the_user_still_gets_an_answer",
        &tg.transcript_text(user.id),
    );
    server.stop().await;
}
