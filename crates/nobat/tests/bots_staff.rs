//! Staff on Telegram (issue 14) end to end: the real application polling the fake Bot API on
//! loopback. A staff member mints a one-time link through the API, opens it in Telegram, and
//! runs the day from the chat — through the same grants and the same audit trail as REST.
//! Transcripts go to `$CARGO_TARGET_DIR/transcripts/<test>.txt`.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Seed, TestApp, decode, member, seed};
use nobat_core::access::Role;
use nobat_testkit::telegram::{Button, TelegramFake, TgUser, TranscriptLine};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const TOKEN: &str = "7000000002:staff-bot-token";
const WAIT: Duration = Duration::from_secs(20);

async fn spawn(tg: &TelegramFake) -> TestApp {
    let url = tg.api_url();
    common::spawn_with(move |cfg| {
        cfg.channels.settings.telegram_bot_token = Some(TOKEN.into());
        cfg.channels.settings.telegram_api_url = Some(url);
    })
    .await
}

fn keep_transcript(test: &str, text: &str) {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
        .join("transcripts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{test}.txt")), format!("{text}\n")).unwrap();
}

async fn post(client: &reqwest::Client, app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    decode(client.post(format!("{}{path}", app.api)).json(&body).send().await.unwrap()).await
}

/// Mints a link for the client's account and returns its token.
async fn mint(client: &reqwest::Client, app: &TestApp) -> Value {
    let (s, link) = post(client, app, "/me/telegram-link", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    link
}

/// Opens a queue at the seed's Tehran location today, with one walk-in waiting.
async fn queue_with_walk_in(app: &TestApp, seed: &Seed, name: &str) -> (String, String) {
    let (s, q) = app.post(&format!("/clinics/{}/queues", seed.slug), json!({ "location": seed.tehran })).await;
    assert!(s.is_success(), "{q}");
    let queue = q["id"].as_str().unwrap().to_owned();
    let (s, t) = app
        .post(&format!("/clinics/{}/queues/{queue}/tickets", seed.slug), json!({ "patient": { "name": name } }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    (queue, t["ticket"]["id"].as_str().unwrap().to_owned())
}

async fn ticket_status(app: &TestApp, seed: &Seed, queue: &str, ticket: &str) -> String {
    let (s, q) = app.get(&format!("/clinics/{}/queues/{queue}", seed.slug)).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let t = q["tickets"].as_array().unwrap().iter().find(|t| t["id"] == ticket).cloned().unwrap_or(Value::Null);
    t["status"].as_str().unwrap_or("?").to_owned()
}

/// The callback data of the button whose label starts with `prefix` under the bot's message.
fn button(tg: &TelegramFake, chat: i64, message_id: i64, prefix: &str) -> String {
    let markup = tg.message(chat, message_id).map(|m| m["reply_markup"].clone()).unwrap_or(Value::Null);
    let buttons = Button::from_markup(&markup);
    buttons
        .iter()
        .flatten()
        .find(|b| b.text.starts_with(prefix))
        .and_then(|b| b.callback_data.clone())
        .unwrap_or_else(|| panic!("no button {prefix:?} under {message_id}: {buttons:?}"))
}

fn edit_of(lines: &[TranscriptLine]) -> &TranscriptLine {
    lines.iter().find(|l| l.kind == "edit").unwrap_or_else(|| panic!("no edit in {lines:?}"))
}

async fn audit_rows(app: &TestApp, action: &str, entity_id: &str) -> Vec<(String, String)> {
    let db = app.db().await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, actor_label FROM audit_events WHERE action = $1 AND entity_id = $2 ORDER BY seq")
            .bind(action)
            .bind(entity_id)
            .fetch_all(&db)
            .await
            .unwrap();
    db.close().await;
    rows
}

#[tokio::test]
async fn a_receptionist_links_telegram_and_runs_the_queue_in_persian() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let app = spawn(&tg).await;
    let seed = seed(&app).await;
    let reception = member(&app, &seed, Role::Receptionist, None).await;
    let (queue, first) = queue_with_walk_in(&app, &seed, "Ali Karimi").await;

    // The link names the bot once its poller has asked Telegram who it is (getMe).
    let mut link = mint(&reception, &app).await;
    for _ in 0..50 {
        if link["url"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        link = mint(&reception, &app).await;
    }
    let token = link["token"].as_str().unwrap().to_owned();
    assert!(link["url"].as_str().unwrap().ends_with(&format!("?start={token}")), "{link}");

    let user = TgUser::new(700_001, "مریم").language("fa");
    tg.start_command(&user, Some(&token));
    let linked = tg.wait_for_reply(user.id, WAIT).await;
    assert!(linked.text.starts_with("با حساب") && linked.text.contains("Member"), "{}", linked.text);
    // One use only: another chat opening the same link is not linked.
    let intruder = TgUser::new(700_002, "Eve").language("en");
    tg.start_command(&intruder, Some(&token));
    let refused = tg.wait_for_reply(intruder.id, WAIT).await;
    assert!(refused.text.starts_with("This link does not work any more"), "{}", refused.text);
    tg.send_text(&intruder, "/queue");
    assert!(tg.wait_for_reply(intruder.id, WAIT).await.text.starts_with("This chat is not linked"));

    // Today's queue, with its buttons; call next from Telegram.
    tg.send_text(&user, "/queue");
    let view = tg.wait_for_reply(user.id, WAIT).await;
    assert!(view.text.contains("صف‌های امروز") && view.text.contains("در انتظار"), "{}", view.text);
    let view_id = view.message_id.unwrap();
    tg.press(&user, view_id, &button(&tg, user.id, view_id, "نفر بعدی"));
    let replies = tg.wait_for_replies(user.id, 2, WAIT).await;
    let edit = edit_of(&replies);
    assert_eq!(edit.message_id, Some(view_id), "the queue message is updated in place");
    assert!(edit.text.contains("فراخوانده شد") && edit.text.contains("Ali Karimi"), "{}", edit.text);
    // The ticket is called, as the board's stream would show, and audited as the member.
    assert_eq!(ticket_status(&app, &seed, &queue, &first).await, "called");
    let audit = audit_rows(&app, "call", &first).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0].0.starts_with("user:") && audit[0].1 == "Member (receptionist, Telegram)", "{audit:?}");

    // Absent, then back.
    tg.press(&user, view_id, &button(&tg, user.id, view_id, "غایب"));
    let edit = edit_of(&tg.wait_for_replies(user.id, 2, WAIT).await).clone();
    assert!(edit.text.contains("غایب ثبت شد"), "{}", edit.text);
    assert_eq!(ticket_status(&app, &seed, &queue, &first).await, "absent");
    tg.press(&user, view_id, &button(&tg, user.id, view_id, "برگشت"));
    let edit = edit_of(&tg.wait_for_replies(user.id, 2, WAIT).await).clone();
    assert!(edit.text.contains("به صف برگشت"), "{}", edit.text);
    assert_eq!(ticket_status(&app, &seed, &queue, &first).await, "waiting");
    assert_eq!(audit_rows(&app, "return", &first).await.len(), 1);

    // A walk-in: the button asks for the name, the next text is it.
    tg.press(&user, view_id, &button(&tg, user.id, view_id, "مراجعه حضوری"));
    let ask = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert!(ask.iter().any(|l| l.text.starts_with("نام بیمار حضوری")), "{ask:?}");
    tg.send_text(&user, "رضا احمدی");
    let added = tg.wait_for_reply(user.id, WAIT).await;
    assert!(added.text.contains("رضا احمدی") && added.text.contains("در صف است"), "{}", added.text);
    // Two waiting, in Persian digits.
    assert!(added.text.contains("۲\u{2069} در انتظار"), "{}", added.text);

    // Today's appointments and figures answer in Persian.
    tg.send_text(&user, "/figures");
    let figures = tg.wait_for_reply(user.id, WAIT).await;
    assert!(figures.text.starts_with("امروز در") && figures.text.contains("Test Clinic"), "{}", figures.text);

    // /logout unlinks the chat; the buttons stop working.
    tg.send_text(&user, "/logout");
    assert!(tg.wait_for_reply(user.id, WAIT).await.text.starts_with("این گفتگو دیگر"));
    tg.press(&user, view_id, &button(&tg, user.id, view_id, "نفر بعدی"));
    let replies = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert!(edit_of(&replies).text.starts_with("این گفتگو به حساب کارمندی وصل نیست"), "{replies:?}");
    assert_eq!(audit_rows(&app, "call", &first).await.len(), 1, "no call after /logout");

    keep_transcript("bots_staff_receptionist_fa", &tg.transcript_text(user.id));
    app.stop().await;
}

#[tokio::test]
async fn another_clinics_queue_and_a_colleagues_queue_are_refused_politely() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let app = spawn(&tg).await;
    let a = seed(&app).await;
    let b = seed(&app).await;
    let (queue_b, ticket_b) = queue_with_walk_in(&app, &b, "Other Clinic Patient").await;
    let reception_a = member(&app, &a, Role::Receptionist, None).await;
    let user = TgUser::new(700_010, "Anna").language("en");
    tg.start_command(&user, Some(mint(&reception_a, &app).await["token"].as_str().unwrap()));
    assert!(tg.wait_for_reply(user.id, WAIT).await.text.starts_with("You are signed in as"));

    // A forged button naming clinic B's queue: refused, nothing called, nothing audited.
    tg.send_text(&user, "/queue");
    let view = tg.wait_for_reply(user.id, WAIT).await;
    assert!(view.text.contains("No queue is open today"), "clinic B's queue is not shown: {}", view.text);
    let reception_view = view.message_id.unwrap();
    tg.press_forged(&user, reception_view, &format!("st:n:{queue_b}"));
    let replies = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert!(replies.iter().any(|l| l.kind == "answer" && l.text.contains("may not do that")), "{replies:?}");
    assert_eq!(ticket_status(&app, &b, &queue_b, &ticket_b).await, "waiting");
    assert!(audit_rows(&app, "call", &ticket_b).await.is_empty());

    // A practitioner runs their own queue only (`check_runs`, as in REST).
    let (s, q) = app
        .post(&format!("/clinics/{}/queues", a.slug), json!({ "location": a.tehran, "practitioner": a.doctors[1] }))
        .await;
    assert!(s.is_success(), "{q}");
    let colleague_queue = q["id"].as_str().unwrap().to_owned();
    let (s, t) = app
        .post(&format!("/clinics/{}/queues/{colleague_queue}/tickets", a.slug), json!({ "patient": { "name": "P" } }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let ticket = t["ticket"]["id"].as_str().unwrap().to_owned();
    let doctor = member(&app, &a, Role::Practitioner, Some(&a.doctors[0])).await;
    let doc = TgUser::new(700_011, "Dr").language("en");
    tg.start_command(&doc, Some(mint(&doctor, &app).await["token"].as_str().unwrap()));
    tg.wait_for_reply(doc.id, WAIT).await;
    tg.send_text(&doc, "/queue");
    let view = tg.wait_for_reply(doc.id, WAIT).await;
    let view_id = view.message_id.unwrap();
    tg.press_forged(&doc, view_id, &format!("st:n:{colleague_queue}"));
    let replies = tg.wait_for_replies(doc.id, 2, WAIT).await;
    assert!(edit_of(&replies).text.starts_with("Sorry, you may not do that here."), "{replies:?}");
    assert_eq!(ticket_status(&app, &a, &colleague_queue, &ticket).await, "waiting");
    // The receptionist of A may: the same button from their chat calls it.
    tg.press_forged(&user, reception_view, &format!("st:n:{colleague_queue}"));
    let replies = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert!(replies.iter().any(|l| l.text.contains("is called")), "{replies:?}");
    assert_eq!(ticket_status(&app, &a, &colleague_queue, &ticket).await, "called");

    keep_transcript("bots_staff_refusals_en", &tg.transcript_text(doc.id));
    app.stop().await;
}

#[tokio::test]
async fn minting_needs_a_fresh_second_factor_when_2fa_is_on_and_unlinking_works_from_the_api() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let app = spawn(&tg).await;
    let _ = seed(&app).await;
    // The owner turns 2FA on.
    let (s, enrol) = app.post("/me/2fa", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{enrol}");
    let secret = base32(enrol["secret"].as_str().unwrap());
    let code = |steps: i64| {
        let now = jiff::Timestamp::now().as_second() + 30 * steps;
        nobat_web::auth::totp::code_at(&secret, u64::try_from(now).unwrap())
    };
    let (s, v) = app.post("/me/2fa/confirm", json!({ "code": code(0) })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Without a code: 422 naming the field; with a wrong one: 401; with the next code: a link.
    let (s, p) = app.post("/me/telegram-link", json!({})).await;
    assert_eq!((s, p["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("totp_code")), "{p}");
    let (s, p) = app.post("/me/telegram-link", json!({ "totp_code": "000000" })).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{p}");
    let (s, link) = app.post("/me/telegram-link", json!({ "totp_code": code(1) })).await;
    assert_eq!(s, StatusCode::CREATED, "{link}");
    let user = TgUser::new(700_020, "Owner").language("fr");
    tg.start_command(&user, Some(link["token"].as_str().unwrap()));
    assert!(tg.wait_for_reply(user.id, WAIT).await.text.starts_with("Vous êtes connecté·e"));
    // Unlinked from the API: the chat is a stranger again.
    let (s, v) = decode(app.client.delete(format!("{}/me/telegram-link", app.api)).send().await.unwrap()).await;
    assert_eq!((s, v["unlinked"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    tg.send_text(&user, "/queue");
    assert!(tg.wait_for_reply(user.id, WAIT).await.text.starts_with("Cette discussion n'est liée"));
    app.stop().await;
}

#[tokio::test]
async fn operator_alerts_reach_the_staff_chats_that_opted_in() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let app = spawn(&tg).await;
    let _ = seed(&app).await;
    let owner = TgUser::new(700_030, "Op").language("ru");
    tg.start_command(&owner, Some(mint(&app.client, &app).await["token"].as_str().unwrap()));
    tg.wait_for_reply(owner.id, WAIT).await;
    // Not opted in: an alert goes by e-mail only.
    app.store.execute(nobat_store::Command::AlertOperators { worker: "first".into() }).await.unwrap();
    tg.send_text(&owner, "/alerts");
    assert!(tg.wait_for_reply(owner.id, WAIT).await.text.starts_with("Оповещения включены"));
    app.store.execute(nobat_store::Command::AlertOperators { worker: "second".into() }).await.unwrap();
    let lines = tg
        .transcript()
        .wait_until(WAIT, |t| t.iter().any(|l| l.chat_id == owner.id && l.text.starts_with("⚠️ Оповещение")))
        .await;
    let alerts: Vec<&TranscriptLine> =
        lines.iter().filter(|l| l.chat_id == owner.id && l.text.starts_with("⚠️")).collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].text.contains("`second`"), "{}", alerts[0].text);
    keep_transcript("bots_staff_alerts_ru", &tg.transcript_text(owner.id));
    app.stop().await;
}

fn base32(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}
