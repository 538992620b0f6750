use std::time::{Duration, Instant};

use nobat_testkit::telegram::{FloodLimits, Speaker};
use nobat_testkit::{TelegramFake, TgUser};
use serde_json::{Value, json};

use crate::{FORM, WAIT, client, form};

const TOKEN: &str = "123456:ABC-test-token";

/// A minimal bot written against the real Bot API, as Nobat's adapter would be.
struct Bot {
    base: String,
    http: reqwest::Client,
}

impl Bot {
    fn new(tg: &TelegramFake) -> Self {
        Self { base: format!("{}/bot{TOKEN}", tg.api_url()), http: client() }
    }

    async fn call(&self, method: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(format!("{}/{method}", self.base)).json(&body).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.expect("json answer"))
    }

    async fn ok(&self, method: &str, body: Value) -> Value {
        let (status, v) = self.call(method, body).await;
        assert_eq!((status, &v["ok"]), (200, &json!(true)), "{method}: {v}");
        v["result"].clone()
    }
}

#[tokio::test]
async fn a_whole_conversation_through_long_polling() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    let me = bot.ok("getMe", json!({})).await;
    assert_eq!(me["is_bot"], json!(true));
    assert_eq!(me["id"], json!(123456));

    let maryam = TgUser::new(1001, "Maryam").language("fa");
    tg.start_command(&maryam, Some("link-TOKEN42"));
    let updates = bot.ok("getUpdates", json!({ "timeout": 5 })).await;
    let u = &updates[0];
    assert_eq!(u["message"]["text"], json!("/start link-TOKEN42"));
    assert_eq!(u["message"]["from"]["language_code"], json!("fa"));
    assert_eq!(u["message"]["chat"]["type"], json!("private"));
    assert_eq!(u["message"]["entities"][0]["type"], json!("bot_command"));
    assert_eq!(u["message"]["entities"][0]["length"], json!(6));
    let mut offset = u["update_id"].as_i64().expect("id") + 1;

    let keyboard = json!({ "inline_keyboard": [[
        { "text": "رزرو نوبت", "callback_data": "book" },
        { "text": "پیگیری", "callback_data": "watch" }
    ]]});
    let sent = bot
        .ok("sendMessage", json!({ "chat_id": 1001, "text": "سلام! به نوبت خوش آمدید", "reply_markup": keyboard }))
        .await;
    let mid = sent["message_id"].as_i64().expect("message_id");
    assert_eq!(mid, 2, "message ids run per chat: the user's /start was 1");
    assert_eq!(sent["chat"]["id"], json!(1001));
    assert!(sent["date"].as_i64().expect("date") > 1_700_000_000);
    assert_eq!(sent["reply_markup"], keyboard);

    // Confirmed updates are not delivered again.
    assert_eq!(bot.ok("getUpdates", json!({ "offset": offset })).await, json!([]));
    assert_eq!(tg.pending_updates(), 0, "the offset confirmed (forgot) the /start");
    assert_eq!(bot.ok("getUpdates", json!({})).await, json!([]));

    let cb = tg.tap(&maryam, mid, "رزرو نوبت");
    let updates = bot.ok("getUpdates", json!({ "offset": offset, "timeout": 5 })).await;
    let q = &updates[0]["callback_query"];
    assert_eq!(q["id"], json!(cb));
    assert_eq!(q["data"], json!("book"));
    assert_eq!(q["message"]["message_id"], json!(mid));
    offset = updates[0]["update_id"].as_i64().expect("id") + 1;
    bot.ok("answerCallbackQuery", json!({ "callback_query_id": cb })).await;

    // A form-encoded edit, reply_markup as a JSON string, as many clients send it.
    let r = bot
        .http
        .post(format!("{}/editMessageText", bot.base))
        .header("content-type", FORM)
        .body(form(&[
            ("chat_id", "1001"),
            ("message_id", &mid.to_string()),
            ("text", "شماره تلفن خود را بفرستید"),
            ("reply_markup", r#"{"inline_keyboard":[[{"text":"لغو","callback_data":"cancel"}]]}"#),
        ]))
        .send()
        .await
        .expect("edit");
    assert_eq!(r.status().as_u16(), 200);
    let edited: Value = r.json().await.expect("json");
    assert!(edited["result"]["edit_date"].is_i64());

    tg.share_contact(&maryam, "+989121234567");
    let updates = bot.ok("getUpdates", json!({ "offset": offset, "timeout": 5 })).await;
    assert_eq!(updates[0]["message"]["contact"]["phone_number"], json!("+989121234567"));
    bot.ok("sendMessage", json!({ "chat_id": 1001, "text": "ثبت شد ✅" })).await;

    let transcript = tg.transcript_text(1001);
    eprintln!("{transcript}");
    let speakers: Vec<Speaker> = tg.transcript().all().iter().map(|l| l.speaker).collect();
    use Speaker::{Bot as B, User as U};
    assert_eq!(speakers, [U, B, U, B, B, U, B], "{transcript}");
    assert!(transcript.contains("bot #2: سلام! به نوبت خوش آمدید [رزرو نوبت] [پیگیری]"));
    assert!(transcript.contains("user: [taps \"رزرو نوبت\"]"));
    assert!(transcript.contains("bot #2 (edit): شماره تلفن خود را بفرستید [لغو]"));
    assert_eq!(tg.sent().len(), 2);
    assert_eq!(tg.edits().len(), 1);
    assert_eq!(tg.callback_answers().len(), 1);
    assert_eq!(tg.last_bot_message(1001).expect("last").text, "ثبت شد ✅");
}

#[tokio::test]
async fn long_poll_returns_as_soon_as_a_user_writes() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    let started = Instant::now();
    let empty = bot.ok("getUpdates", json!({ "timeout": 1 })).await;
    assert_eq!(empty, json!([]));
    assert!(started.elapsed() >= Duration::from_millis(900), "held for the timeout");

    let user = TgUser::new(7, "Ivan").language("ru");
    let poll = tokio::spawn({
        let base = bot.base.clone();
        async move {
            let started = Instant::now();
            let v: Value = client()
                .get(format!("{base}/getUpdates?timeout=20&offset=1"))
                .send()
                .await
                .expect("poll")
                .json()
                .await
                .expect("json");
            (v, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tg.send_text(&user, "Здравствуйте");
    let (v, waited) = poll.await.expect("joined");
    assert_eq!(v["result"][0]["message"]["text"], json!("Здравствуйте"));
    assert!(waited < Duration::from_secs(3), "woke at once, not after 20 s: {waited:?}");
}

#[tokio::test]
async fn api_errors_have_the_bot_api_shape() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    let user = TgUser::new(55, "Ali");
    tg.send_text(&user, "hi");

    let r = client().get(format!("{}/bot999:wrong/getMe", tg.api_url())).send().await.expect("req");
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v, json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));

    let (s, v) = bot.call("sendMessage", json!({"chat_id": 42, "text": "x"})).await;
    assert_eq!((s, v["description"].as_str()), (400, Some("Bad Request: chat not found")));
    let (s, v) = bot.call("sendMessage", json!({"chat_id": 55, "text": ""})).await;
    assert_eq!((s, v["description"].as_str()), (400, Some("Bad Request: message text is empty")));
    let bad_button = json!({"inline_keyboard": [[{"text": "x", "callback_data": "d".repeat(65)}]]});
    let (s, v) = bot.call("sendMessage", json!({"chat_id": 55, "text": "x", "reply_markup": bad_button})).await;
    assert_eq!((s, v["description"].as_str()), (400, Some("Bad Request: BUTTON_DATA_INVALID")));
    let (s, _) = bot.call("noSuchMethod", json!({})).await;
    assert_eq!(s, 404);

    let m = bot.ok("sendMessage", json!({"chat_id": "55", "text": "same"})).await;
    let id = m["message_id"].clone();
    let (s, v) = bot.call("editMessageText", json!({"chat_id": 55, "message_id": id, "text": "same"})).await;
    assert_eq!(s, 400);
    assert!(v["description"].as_str().expect("text").contains("message is not modified"));
    let (s, v) = bot.call("editMessageText", json!({"chat_id": 55, "message_id": 1, "text": "x"})).await;
    assert_eq!((s, v["description"].as_str()), (400, Some("Bad Request: message to edit not found")));
    let (s, _) = bot.call("answerCallbackQuery", json!({"callback_query_id": "nope"})).await;
    assert_eq!(s, 400);

    bot.ok("setWebhook", json!({"url": "https://example.test/hook", "secret_token": "s"})).await;
    assert_eq!(tg.webhook().expect("set")["secret_token"], json!("s"));
    let (s, v) = bot.call("getUpdates", json!({})).await;
    assert_eq!(s, 409, "{v}");
    bot.ok("deleteWebhook", json!({})).await;
    assert_eq!(bot.ok("getUpdates", json!({})).await[0]["message"]["text"], json!("hi"));
}

#[tokio::test]
async fn rate_limit_and_server_errors_then_exactly_once() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    let user = TgUser::new(9, "Zeynep").language("tr");
    tg.send_text(&user, "merhaba");

    tg.rate_limit_next(1, 3);
    tg.fail_next(1, 502);
    let (s, v) = bot.call("sendMessage", json!({"chat_id": 9, "text": "msg-1"})).await;
    assert_eq!(s, 429);
    assert_eq!(
        v,
        json!({"ok": false, "error_code": 429,
               "description": "Too Many Requests: retry after 3",
               "parameters": {"retry_after": 3}})
    );
    let (s, v) = bot.call("sendMessage", json!({"chat_id": 9, "text": "msg-1"})).await;
    assert_eq!((s, &v["error_code"]), (502, &json!(502)));
    // A negative offset keeps only the newest updates: a bot skipping its backlog.
    tg.send_text(&user, "second");
    let last = bot.ok("getUpdates", json!({"offset": -1})).await;
    assert_eq!(last.as_array().map(Vec::len), Some(1));
    assert_eq!(last[0]["message"]["text"], json!("second"));
    assert_eq!(tg.pending_updates(), 1);
    bot.ok("sendMessage", json!({"chat_id": 9, "text": "msg-1"})).await;
    bot.ok("sendMessage", json!({"chat_id": 9, "text": "msg-2"})).await;
    assert_eq!(tg.requests().len(), 5, "every attempt is logged");
    tg.sent().assert_exactly_once(|m| Some(m.text.clone()), ["msg-1", "msg-2"]);
}

#[tokio::test]
async fn flood_limits_per_chat_and_global() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    // Windows wide enough that a loaded machine still makes the calls inside them.
    tg.set_flood_limits(Some(FloodLimits {
        per_chat: Duration::from_millis(1500),
        global_limit: 3,
        global_window: Duration::from_millis(1500),
    }));
    for id in 1..=4 {
        tg.send_text(&TgUser::new(id, "u"), "hi");
    }
    bot.ok("sendMessage", json!({"chat_id": 1, "text": "a"})).await;
    let (s, v) = bot.call("sendMessage", json!({"chat_id": 1, "text": "b"})).await;
    assert_eq!(s, 429, "second message to one chat within the spacing");
    assert!(v["parameters"]["retry_after"].as_u64().is_some_and(|r| (1..=2).contains(&r)), "{v}");
    bot.ok("sendMessage", json!({"chat_id": 2, "text": "a"})).await;
    bot.ok("sendMessage", json!({"chat_id": 3, "text": "a"})).await;
    let (s, _) = bot.call("sendMessage", json!({"chat_id": 4, "text": "a"})).await;
    assert_eq!(s, 429, "fourth message in the window over all chats");
    tokio::time::sleep(Duration::from_millis(1600)).await;
    bot.ok("sendMessage", json!({"chat_id": 1, "text": "b"})).await;
    assert_eq!(tg.wait_for(4, WAIT).await.len(), 4);
    assert_eq!(tg.wait_for_chat(1, 2, WAIT).await.len(), 2);
}

#[tokio::test]
async fn several_bots_share_one_server_and_a_revoked_token_gets_401() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let clinic = tg.add_bot("777:clinic-token", "clinic_bot");
    let user = TgUser::new(31, "Sara");
    clinic.send_text(&user, "/start");
    let main = Bot::new(&tg);
    assert_eq!(main.ok("getUpdates", json!({})).await, json!([]));
    let clinic_api = Bot { base: format!("{}/bot777:clinic-token", tg.api_url()), http: client() };
    let me = clinic_api.ok("getMe", json!({})).await;
    assert_eq!(me["username"], json!("clinic_bot"));
    assert_eq!(clinic_api.ok("getUpdates", json!({})).await[0]["message"]["text"], json!("/start"));
    let (s, _) = main.call("sendMessage", json!({"chat_id": 31, "text": "x"})).await;
    assert_eq!(s, 400, "the user never talked to the main bot");
    clinic_api.ok("sendMessage", json!({"chat_id": 31, "text": "hello"})).await;
    assert_eq!(clinic.sent().len(), 1);
    assert!(tg.sent().is_empty());
    assert!(tg.bot("777:clinic-token").is_some());
    tg.revoke("777:clinic-token");
    let (s, v) = clinic_api.call("getMe", json!({})).await;
    assert_eq!((s, &v["description"]), (401, &json!("Unauthorized")));
}

#[tokio::test]
async fn webhook_mode_pushes_updates_with_the_secret_and_retries_until_2xx() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let hook = nobat_testkit::HttpSink::start().await.expect("sink");
    let bot = Bot::new(&tg);
    let (s, _) =
        bot.call("setWebhook", json!({"url": format!("{}/tg", hook.url()), "secret_token": "bad secret!"})).await;
    assert_eq!(s, 400);
    bot.ok("setWebhook", json!({"url": format!("{}/tg", hook.url()), "secret_token": "s3cr3t_-x"})).await;
    hook.fail_next(2, 502);
    let user = TgUser::new(8, "Omid").language("fa");
    tg.send_text(&user, "سلام");
    tg.send_text(&user, "دوباره");
    let got = hook.wait_for(2, WAIT).await;
    assert_eq!(got[0].header("x-telegram-bot-api-secret-token"), Some("s3cr3t_-x"));
    let texts: Vec<Value> = got.iter().map(|r| r.json().expect("json")["message"]["text"].clone()).collect();
    assert_eq!(texts, [json!("سلام"), json!("دوباره")], "in order, each once");
    // Recorded once the bot's answer is read, so wait for it rather than race it.
    let deliveries = tg.webhook_deliveries().wait_for(4, WAIT).await;
    assert_eq!(deliveries.len(), 4, "two 502s retried: {deliveries:?}");
    assert_eq!(deliveries[0].status, Some(502));
    let info = bot.ok("getWebhookInfo", json!({})).await;
    assert_eq!(info["pending_update_count"], json!(0));
    assert!(info["last_error_message"].as_str().expect("error").contains("502"));
    let (s, _) = bot.call("getUpdates", json!({})).await;
    assert_eq!(s, 409);
    bot.ok("deleteWebhook", json!({})).await;
    tg.send_text(&user, "poll");
    assert_eq!(bot.ok("getUpdates", json!({})).await[0]["message"]["text"], json!("poll"));
    assert_eq!(hook.received().len(), 2, "nothing pushed after deleteWebhook");
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_gets_403() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    let user = TgUser::new(77, "Leyla");
    tg.send_text(&user, "hi");
    tg.set_blocked(77, true);
    let (s, v) = bot.call("sendMessage", json!({"chat_id": 77, "text": "reminder"})).await;
    assert_eq!((s, v["description"].as_str()), (403, Some("Forbidden: bot was blocked by the user")));
    tg.set_blocked(77, false);
    bot.ok("sendMessage", json!({"chat_id": 77, "text": "reminder"})).await;
}

#[tokio::test]
async fn a_second_poller_ends_the_first_with_409_and_is_counted() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let base = Bot::new(&tg).base;
    let first = tokio::spawn({
        let base = base.clone();
        async move {
            let r = client().get(format!("{base}/getUpdates?timeout=10")).send().await.expect("poll");
            let status = r.status().as_u16();
            let v: Value = r.json().await.expect("json");
            (status, v)
        }
    });
    // The first poll must be waiting at the server before the second one comes.
    tg.requests().wait_for(1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = tokio::spawn(async move {
        client().get(format!("{base}/getUpdates?timeout=2")).send().await.expect("poll").status().as_u16()
    });
    let (status, v) = first.await.expect("joined");
    assert_eq!(status, 409);
    assert!(v["description"].as_str().expect("text").contains("terminated by other getUpdates"));
    assert_eq!(second.await.expect("joined"), 200);
    assert_eq!(tg.poll_conflicts().len(), 1);

    // One poller at a time, one after the other, is not a conflict.
    let bot = Bot::new(&tg);
    bot.ok("getUpdates", json!({"timeout": 0})).await;
    bot.ok("getUpdates", json!({"timeout": 0})).await;
    // Nor is a poller that went away (a killed process): its connection closes, its poll ends.
    let gone = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client")
        .get(format!("{}/getUpdates?timeout=10", bot.base))
        .send()
        .await;
    assert!(gone.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;
    bot.ok("getUpdates", json!({"timeout": 1})).await;
    assert_eq!(tg.poll_conflicts().len(), 1);
}

#[tokio::test]
async fn wait_for_reply_finds_an_answer_that_came_before_the_wait() {
    let tg = TelegramFake::start(TOKEN).await.expect("start");
    let bot = Bot::new(&tg);
    let user = TgUser::new(12, "Anna").language("ru");
    tg.send_text(&user, "привет");
    bot.ok("sendMessage", json!({"chat_id": 12, "text": "Здравствуйте!"})).await;
    bot.ok("sendMessage", json!({"chat_id": 12, "text": "Выберите клинику"})).await;
    // The bot was faster than the test: both replies are already there.
    let reply = tg.wait_for_reply(12, WAIT).await;
    assert_eq!(reply.text, "Здравствуйте!");
    assert_eq!(tg.wait_for_replies(12, 2, WAIT).await.len(), 2);
    tg.send_text(&user, "/cancel");
    let none = tokio::time::timeout(Duration::from_millis(200), tg.wait_for_reply(12, WAIT)).await;
    assert!(none.is_err(), "nothing after the user's latest message yet");
}
