//! The Telegram bot's patient side end to end (issue 14): a patient finds a service, picks a
//! day and a time and books, in Persian and in Russian, against the fake Bot API on loopback;
//! a slot someone else takes meanwhile; a restart into a new process mid-booking. Each test
//! writes its chat to `$CARGO_TARGET_DIR/transcripts/<test>.txt` for reading.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::spawn;

use nobat::Application;
use nobat_testkit::telegram::{Speaker, TelegramFake, TgUser, TranscriptLine};
use serde_json::json;
use std::time::Duration;
use tokio::sync::oneshot;

const TOKEN: &str = "7000000003:patient-bot-token";
const WAIT: Duration = Duration::from_secs(20);

struct Server {
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: nobat_store::Store,
    api: String,
}

async fn start(dir: &std::path::Path, db_url: &str, api_url: &str) -> Server {
    let mut cfg = common::config(dir, db_url);
    cfg.channels.settings.telegram_bot_token = Some(TOKEN.into());
    cfg.channels.settings.telegram_api_url = Some(api_url.into());
    let app = Application::build(&cfg).await.expect("build app");
    let api = format!("http://{}/api/v1", app.local_addr());
    let store = app.store();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    Server { shutdown: tx, task, store, api }
}

impl Server {
    async fn stop(self) {
        let _ = self.shutdown.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// A server with the bot, the operator signed in and the usual test clinic.
async fn clinic(dir: &std::path::Path, db_url: &str, api_url: &str) -> (Server, reqwest::Client, common::Seed) {
    let server = start(dir, db_url, api_url).await;
    common::create_owner(&server.store).await;
    let client = common::authed_client(
        &common::login(&reqwest::Client::new(), &server.api, common::OWNER_EMAIL, common::OWNER_PASSWORD).await,
    );
    let seed = common::seed_at(&client, &server.api).await;
    (server, client, seed)
}

fn keep_transcript(test: &str, text: &str) {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
        .join("transcripts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{test}.txt")), format!("{text}\n")).unwrap();
}

/// Taps a button and returns what the bot showed after it (not the spinner's answer).
async fn tap(tg: &TelegramFake, user: &TgUser, message_id: i64, label: &str) -> TranscriptLine {
    tg.tap(user, message_id, label);
    let lines = tg.wait_for_replies(user.id, 2, WAIT).await;
    assert_eq!(lines[0].kind, "answer", "the spinner is stopped first: {lines:?}");
    lines.into_iter().find(|l| l.kind != "answer").unwrap()
}

/// The last message the bot sent to this chat, as sent (reply keyboards included).
fn last_sent(tg: &TelegramFake, user: &TgUser) -> nobat_testkit::telegram::BotMessage {
    tg.sent().all().into_iter().rev().find(|m| m.chat_id == user.id).unwrap()
}

/// The bot's sendMessage calls to this chat (edits not counted).
fn sent(tg: &TelegramFake, user: &TgUser) -> usize {
    tg.sent().all().iter().filter(|m| m.chat_id == user.id).count()
}

async fn appointments(db_url: &str) -> Vec<(String, String, String)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db_url).await.unwrap();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT p.name, COALESCE(p.phone, ''), COALESCE(p.language, '') FROM appointments a \
         JOIN patients p ON p.id = a.patient_id AND p.clinic_id = a.clinic_id WHERE a.status = 'booked'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

#[tokio::test]
async fn a_patient_books_in_persian_with_buttons_and_the_manage_link_works() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let (server, _, _) = clinic(dir.path(), &db_url, &tg.api_url()).await;
    let user = TgUser::new(920_001, "سارا").language("fa");

    tg.start_command(&user, None);
    let greeting = tg.wait_for_reply(user.id, WAIT).await;
    let menu = greeting.message_id.unwrap();
    let set = tap(&tg, &user, menu, "فارسی").await;
    assert!(set.buttons.contains(&"📅 گرفتن نوبت".to_owned()), "{set:?}");
    // One clinic: straight to its services, in the same message.
    let services = tap(&tg, &user, menu, "📅 گرفتن نوبت").await;
    assert_eq!((services.kind.as_str(), services.message_id), ("edit", Some(menu)));
    assert!(services.text.contains("یک خدمت انتخاب کنید"), "{}", services.text);
    let people = tap(&tg, &user, menu, "Consult").await;
    assert_eq!(people.buttons[0], "هر کس زودتر وقت دارد");
    assert!(people.buttons.contains(&"Dr. A".to_owned()) && people.buttons.len() == 3, "{people:?}");
    let days = tap(&tg, &user, menu, "Dr. A").await;
    // Days in the Solar Hijri calendar with Persian digits.
    let first_day = days.buttons[0].clone();
    assert!(first_day.chars().any(|c| ('۰'..='۹').contains(&c)) && first_day.contains("۱۴"), "{first_day}");
    let times = tap(&tg, &user, menu, &first_day).await;
    assert!(times.text.contains(&first_day), "{}", times.text);
    let time = times.buttons[0].clone();
    assert!(time.chars().all(|c| ('۰'..='۹').contains(&c) || c == ':'), "{time}");
    let ask = tap(&tg, &user, menu, &time).await;
    assert!(ask.text.contains("نام و نام خانوادگی"), "{}", ask.text);

    tg.send_text(&user, "سارا احمدی");
    let phone = tg.wait_for_reply(user.id, WAIT).await;
    assert!(phone.text.contains("شمارهٔ تلفن"), "{}", phone.text);
    let markup = last_sent(&tg, &user).reply_markup.unwrap();
    assert_eq!(markup["keyboard"][0][0]["request_contact"], json!(true), "{markup}");
    // Telegram clients send the number without its plus.
    tg.share_contact(&user, "989121234567");
    let done = tg.wait_for_reply(user.id, WAIT).await;
    assert!(done.text.starts_with("نوبت شما ثبت شد"), "{}", done.text);
    assert!(done.text.contains(&time) && done.text.contains("Dr. A"), "{}", done.text);
    let markup = last_sent(&tg, &user).reply_markup.unwrap();
    assert_eq!(markup["remove_keyboard"], json!(true), "the contact keyboard is taken away");
    assert_eq!(
        appointments(&db_url).await,
        vec![("سارا احمدی".to_owned(), "+989121234567".to_owned(), "fa".to_owned())]
    );

    // The manage link opens the appointment it names.
    let link = done.text.split_whitespace().find(|w| w.contains("/api/v1/manage/")).unwrap().to_owned();
    let token = link.rsplit('/').next().unwrap();
    let res = reqwest::get(format!("{}/manage/{token}", server.api)).await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());

    // Greeting, name question, phone question, confirmation: everything else edited in place.
    assert_eq!(sent(&tg, &user), 3, "{}", tg.transcript_text(user.id));
    keep_transcript("a_patient_books_in_persian_with_buttons_and_the_manage_link_works", &tg.transcript_text(user.id));
    server.stop().await;
}

#[tokio::test]
async fn a_patient_searches_in_russian_loses_the_slot_to_someone_else_and_gets_the_next_ones() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let (server, client, seed) = clinic(dir.path(), &db_url, &tg.api_url()).await;
    let user = TgUser::new(920_002, "Мария").language("ru");

    // Text nobody could match: a polite hint in Russian, never silence.
    tg.send_text(&user, "какая погода завтра");
    let hint = tg.wait_for_reply(user.id, WAIT).await;
    assert!(hint.text.starts_with("Извините, я не понял"), "{}", hint.text);

    // A search by text: one service matches, so the menu starts at the practitioners.
    tg.send_text(&user, "consult");
    let people = tg.wait_for_reply(user.id, WAIT).await;
    assert_eq!(people.buttons[0], "К первому свободному", "{people:?}");
    assert!(people.buttons.contains(&"Dr. B".to_owned()) && people.buttons.len() == 3, "{people:?}");
    let menu = people.message_id.unwrap();
    let days = tap(&tg, &user, menu, "Dr. B").await;
    assert!(days.text.contains("Выберите день"), "{}", days.text);
    let day = days.buttons[0].clone();
    let times = tap(&tg, &user, menu, &day).await;
    let time = times.buttons[0].clone();
    tap(&tg, &user, menu, &time).await;
    tg.send_text(&user, "Мария Иванова");
    tg.wait_for_reply(user.id, WAIT).await;

    // Meanwhile someone books that very time on the web.
    let mut taken = None;
    for offset in 0..3 {
        let slots = slots_on(&client, &server.api, &seed, &common::day(offset)).await;
        if let Some(s) = slots.into_iter().find(|s| s["practitioner"] == json!(seed.doctors[1])) {
            taken = Some(s);
            break;
        }
    }
    let slot = taken.unwrap();
    let (s, body) = common::decode(
        client
            .post(format!("{}/clinics/{}/appointments", server.api, seed.slug))
            .json(&common::booking(&slot, "Someone Else"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s.as_u16(), 201, "{body}");

    tg.share_contact(&user, "+79161234567");
    let lines = tg.wait_for_replies(user.id, 2, WAIT).await;
    let offer =
        lines.iter().find(|l| l.text.starts_with("Извините, это время только что занял")).unwrap_or_else(|| {
            panic!("{}", tg.transcript_text(user.id));
        });
    assert!(!offer.buttons.contains(&time), "the taken time is not offered again: {offer:?}");
    let next_time = offer.buttons[0].clone();
    let again = offer.message_id.unwrap();
    // Name and phone are known now: one tap books.
    let done = tap(&tg, &user, again, &next_time).await;
    assert!(done.text.starts_with("Вы записаны"), "{}", done.text);
    assert!(done.text.contains(&next_time) && done.text.contains("Dr. B"), "{}", done.text);
    let mut booked = appointments(&db_url).await;
    booked.sort();
    assert_eq!(booked.len(), 2);
    assert!(booked.contains(&("Мария Иванова".to_owned(), "+79161234567".to_owned(), "ru".to_owned())), "{booked:?}");

    keep_transcript(
        "a_patient_searches_in_russian_loses_the_slot_to_someone_else_and_gets_the_next_ones",
        &tg.transcript_text(user.id),
    );
    server.stop().await;
}

async fn slots_on(client: &reqwest::Client, api: &str, seed: &common::Seed, date: &str) -> Vec<serde_json::Value> {
    let q = format!("{api}/clinics/{}/availability?service={}&from={date}&to={date}", seed.slug, seed.consult);
    let (_, body) = common::decode(client.get(q).send().await.unwrap()).await;
    body["slots"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_booking_started_before_a_restart_is_finished_by_a_new_process() {
    let tg = TelegramFake::start(TOKEN).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _) = common::fresh_database(dir.path()).await;
    let (server, _, _) = clinic(dir.path(), &db_url, &tg.api_url()).await;
    let user = TgUser::new(920_003, "Emma").language("fr");

    tg.send_text(&user, "/book");
    let services = tg.wait_for_reply(user.id, WAIT).await;
    let menu = services.message_id.unwrap();
    let people = tap(&tg, &user, menu, "Consult").await;
    assert!(people.text.contains("Avec qui"), "{}", people.text);
    server.stop().await;

    // The tap is made while no server runs; a new `nobat serve` process answers it, where the
    // first one stopped (the state is in the database, not in a process).
    tg.tap(&user, menu, "Le premier disponible");
    let mut cmd = spawn::nobat(&db_url, dir.path());
    cmd.arg("serve").env("NOBAT_TELEGRAM_BOT_TOKEN", TOKEN).env("NOBAT_TELEGRAM_API_URL", tg.api_url());
    let mut proc = spawn::start(cmd).unwrap();
    let lines = tg.wait_for_replies(user.id, 2, Duration::from_secs(40)).await;
    let days = match lines.iter().find(|l| l.kind == "edit") {
        Some(d) => d.clone(),
        None => panic!("{}\n--- the process said:\n{}", tg.transcript_text(user.id), proc.stdout()),
    };
    assert!(days.text.contains("Choisissez un jour"), "{}", days.text);
    let times = tap(&tg, &user, menu, &days.buttons[0].clone()).await;
    let ask = tap(&tg, &user, menu, &times.buttons[0].clone()).await;
    assert!(ask.text.contains("nom et prénom"), "{}", ask.text);
    tg.send_text(&user, "Emma Martin");
    tg.wait_for_reply(user.id, WAIT).await;
    tg.share_contact(&user, "+33612345678");
    let done = tg.wait_for_reply(user.id, WAIT).await;
    assert!(done.text.starts_with("Rendez-vous pris"), "{}", done.text);
    assert_eq!(appointments(&db_url).await.len(), 1);
    // Every user action was answered exactly once, across the restart.
    let bot_lines = tg.transcript().all().iter().filter(|l| l.chat_id == user.id && l.speaker == Speaker::Bot).count();
    assert_eq!(bot_lines, 1 + 2 * 4 + 1 + 1, "{}", tg.transcript_text(user.id));
    proc.signal("TERM");
    proc.wait_for_exit(Duration::from_secs(20));
    keep_transcript("a_booking_started_before_a_restart_is_finished_by_a_new_process", &tg.transcript_text(user.id));
}
