//! A fake Telegram Bot API server: `{url}/bot{TOKEN}/{method}`, JSON, form or query
//! parameters, answers `{"ok":true,"result":…}` or the API's error shape.
//!
//! The test plays the users: [`TelegramFake::send_text`], [`TelegramFake::start_command`],
//! [`TelegramFake::share_contact`] and [`TelegramFake::tap`] queue updates that the bot reads
//! with `getUpdates` (long polling with `offset`/`timeout`). Everything said in a chat, by
//! either side, lands in its transcript ([`TelegramFake::transcript_text`]).

mod methods;
mod types;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;

pub use types::{BotMessage, Button, CallbackAnswer, Speaker, TgUser, TranscriptLine};

/// Flood limits the fake enforces when switched on (Telegram's documented guidance).
#[derive(Clone, Copy, Debug)]
pub struct FloodLimits {
    /// Minimum spacing between two messages to one chat (Telegram: about 1 s).
    pub per_chat: Duration,
    /// Messages per second over all chats (Telegram: about 30).
    pub global_per_second: usize,
}

impl Default for FloodLimits {
    fn default() -> Self {
        Self { per_chat: Duration::from_secs(1), global_per_second: 30 }
    }
}

pub(crate) struct Chat {
    pub(crate) user: TgUser,
    next_message_id: i64,
    /// Current state of every message in the chat by id (bot messages can be edited).
    pub(crate) messages: HashMap<i64, Value>,
    pub(crate) last_bot_send: Option<Instant>,
}

pub(crate) struct State {
    pub(crate) token: String,
    pub(crate) bot_id: i64,
    pub(crate) bot_username: String,
    pub(crate) chats: HashMap<i64, Chat>,
    pub(crate) updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    pub(crate) webhook: Option<Value>,
    pub(crate) open_callbacks: HashMap<String, i64>,
    next_callback: u64,
    pub(crate) flood: Option<FloodLimits>,
    pub(crate) global_sends: VecDeque<Instant>,
}

impl State {
    pub(crate) fn next_message_id(&mut self, chat_id: i64) -> Option<i64> {
        let chat = self.chats.get_mut(&chat_id)?;
        let id = chat.next_message_id;
        chat.next_message_id += 1;
        Some(id)
    }
}

pub(crate) struct Inner {
    pub(crate) state: Mutex<State>,
    pub(crate) new_update: Notify,
    pub(crate) sent: Recorder<BotMessage>,
    pub(crate) edits: Recorder<BotMessage>,
    pub(crate) callback_answers: Recorder<CallbackAnswer>,
    pub(crate) transcript: Recorder<TranscriptLine>,
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The fake Bot API. Dereferences to [`HttpFake`] for the fault switches.
pub struct TelegramFake {
    http: HttpFake,
    inner: Arc<Inner>,
}

impl Deref for TelegramFake {
    type Target = HttpFake;
    fn deref(&self) -> &HttpFake {
        &self.http
    }
}

struct Api(Arc<Inner>);

impl Provider for Api {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move { methods::dispatch(&self.0, req).await })
    }

    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse {
        match retry_after {
            Some(secs) => methods::too_many(secs),
            None => methods::api_error(status, &reason(status)),
        }
    }
}

fn reason(status: u16) -> String {
    match status {
        500 => "Internal Server Error".into(),
        502 => "Bad Gateway".into(),
        503 => "Service Unavailable".into(),
        504 => "Gateway Timeout".into(),
        s => format!("Error {s}"),
    }
}

impl TelegramFake {
    /// Starts a Bot API server that accepts `token` (any other token gets 401).
    pub async fn start(token: &str) -> io::Result<Self> {
        let bot_id = token.split(':').next().and_then(|s| s.parse().ok()).unwrap_or(7_000_000_001);
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                token: token.to_owned(),
                bot_id,
                bot_username: "nobat_test_bot".into(),
                chats: HashMap::new(),
                updates: VecDeque::new(),
                next_update_id: 100_000_001,
                webhook: None,
                open_callbacks: HashMap::new(),
                next_callback: 1,
                flood: None,
                global_sends: VecDeque::new(),
            }),
            new_update: Notify::new(),
            sent: Recorder::new(),
            edits: Recorder::new(),
            callback_answers: Recorder::new(),
            transcript: Recorder::new(),
        });
        let http = HttpFake::start(Arc::new(Api(inner.clone()))).await?;
        Ok(Self { http, inner })
    }

    /// The base URL to configure as `telegram_api_url` (the bot calls `{url}/bot{token}/…`).
    pub fn api_url(&self) -> String {
        self.http.url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.http.addr()
    }

    pub fn bot_username(&self) -> String {
        self.inner.lock().bot_username.clone()
    }

    /// Messages the bot sent with `sendMessage`, accepted, in order.
    pub fn sent(&self) -> &Recorder<BotMessage> {
        &self.inner.sent
    }

    /// Accepted `editMessageText` / `editMessageReplyMarkup` calls, in order.
    pub fn edits(&self) -> &Recorder<BotMessage> {
        &self.inner.edits
    }

    pub fn callback_answers(&self) -> &Recorder<CallbackAnswer> {
        &self.inner.callback_answers
    }

    /// Every line of every chat, in order.
    pub fn transcript(&self) -> &Recorder<TranscriptLine> {
        &self.inner.transcript
    }

    /// Waits for `n` accepted `sendMessage` calls; panics on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<BotMessage> {
        self.inner.sent.wait_for(n, timeout).await
    }

    /// Waits until the bot has sent `n` messages to `chat_id`; returns those.
    pub async fn wait_for_chat(&self, chat_id: i64, n: usize, timeout: Duration) -> Vec<BotMessage> {
        let all = self.inner.sent.wait_until(timeout, |m| m.iter().filter(|m| m.chat_id == chat_id).count() >= n).await;
        all.into_iter().filter(|m| m.chat_id == chat_id).collect()
    }

    /// Waits until the chat's transcript has a bot line (message or edit) after the
    /// transcript's current length; returns it.
    pub async fn wait_for_reply(&self, chat_id: i64, timeout: Duration) -> TranscriptLine {
        let seen = self.inner.transcript.len();
        let lines = self
            .inner
            .transcript
            .wait_until(timeout, |t| t[seen..].iter().any(|l| l.chat_id == chat_id && l.speaker == Speaker::Bot))
            .await;
        lines[seen..]
            .iter()
            .find(|l| l.chat_id == chat_id && l.speaker == Speaker::Bot)
            .cloned()
            .expect("the wait condition found it")
    }

    /// The chat's conversation, one line per turn, for printing in a test.
    pub fn transcript_text(&self, chat_id: i64) -> String {
        self.inner
            .transcript
            .all()
            .iter()
            .filter(|l| l.chat_id == chat_id)
            .map(TranscriptLine::render)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Switches flood limits on (`Some`) or off: over the limit, `sendMessage` and edits get
    /// 429 with `retry_after`, as Telegram answers.
    pub fn set_flood_limits(&self, limits: Option<FloodLimits>) {
        self.inner.lock().flood = limits;
    }

    /// The webhook set with `setWebhook` (its parameters), if any.
    pub fn webhook(&self) -> Option<Value> {
        self.inner.lock().webhook.clone()
    }

    /// Updates queued and not yet confirmed by an `offset`.
    pub fn pending_updates(&self) -> usize {
        self.inner.lock().updates.len()
    }

    /// The current state of a message in a chat (after edits), as the Bot API returns it.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.inner.lock().chats.get(&chat_id)?.messages.get(&message_id).cloned()
    }

    /// The latest message the bot sent to a chat, in its current (possibly edited) state.
    pub fn last_bot_message(&self, chat_id: i64) -> Option<BotMessage> {
        let st = self.inner.lock();
        let chat = st.chats.get(&chat_id)?;
        let id = chat.messages.iter().filter(|(_, m)| m["from"]["is_bot"] == json!(true)).map(|(id, _)| *id).max()?;
        Some(BotMessage::from_message(&chat.messages[&id], "current"))
    }

    // ---- the users' side ----

    fn push_update(&self, st: &mut State, kind: &str, body: Value) -> i64 {
        let id = st.next_update_id;
        st.next_update_id += 1;
        st.updates.push_back((id, json!({ "update_id": id, kind: body })));
        self.inner.new_update.notify_waiters();
        id
    }

    fn ensure_chat<'a>(st: &'a mut State, user: &TgUser) -> &'a mut Chat {
        st.chats.entry(user.id).or_insert_with(|| Chat {
            user: user.clone(),
            next_message_id: 1,
            messages: HashMap::new(),
            last_bot_send: None,
        })
    }

    fn user_message(&self, user: &TgUser, extra: Value, line: TranscriptLine) -> i64 {
        let mut st = self.inner.lock();
        Self::ensure_chat(&mut st, user);
        let message_id = st.next_message_id(user.id).unwrap_or(1);
        let mut msg = json!({
            "message_id": message_id,
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": now_unix(),
        });
        if let (Value::Object(m), Value::Object(e)) = (&mut msg, extra) {
            m.extend(e);
        }
        if let Some(chat) = st.chats.get_mut(&user.id) {
            chat.messages.insert(message_id, msg.clone());
        }
        self.push_update(&mut st, "message", msg);
        drop(st);
        self.inner.transcript.push(TranscriptLine { message_id: Some(message_id), ..line });
        message_id
    }

    /// The user writes `text` to the bot; returns the message id. Commands (`/word`) carry a
    /// `bot_command` entity as Telegram adds.
    pub fn send_text(&self, user: &TgUser, text: &str) -> i64 {
        let mut extra = json!({ "text": text });
        if text.starts_with('/') {
            let len = text.find(' ').unwrap_or(text.len());
            extra["entities"] = json!([{
                "type": "bot_command", "offset": 0, "length": text[..len].encode_utf16().count()
            }]);
        }
        self.user_message(user, extra, TranscriptLine::user(user.id, "text", text.to_owned()))
    }

    /// The user opens the bot, optionally through a `t.me/BOT?start=PAYLOAD` deep link.
    pub fn start_command(&self, user: &TgUser, payload: Option<&str>) -> i64 {
        match payload {
            Some(p) => self.send_text(user, &format!("/start {p}")),
            None => self.send_text(user, "/start"),
        }
    }

    /// The user shares their own phone number (the `request_contact` button).
    pub fn share_contact(&self, user: &TgUser, phone: &str) -> i64 {
        let contact = json!({ "contact": {
            "phone_number": phone,
            "first_name": user.first_name,
            "user_id": user.id,
        }});
        self.user_message(user, contact, TranscriptLine::user(user.id, "contact", format!("[shares contact {phone}]")))
    }

    /// The user taps the inline button with `callback_data` under bot message `message_id`;
    /// returns the callback query id. Panics when the message has no such button, so a test
    /// cannot press a button the bot never showed.
    pub fn press(&self, user: &TgUser, message_id: i64, callback_data: &str) -> String {
        let mut st = self.inner.lock();
        let message = st
            .chats
            .get(&user.id)
            .and_then(|c| c.messages.get(&message_id))
            .cloned()
            .unwrap_or_else(|| panic!("chat {} has no message {message_id}", user.id));
        let buttons = Button::from_markup(&message["reply_markup"]);
        let Some(button) = buttons.iter().flatten().find(|b| b.callback_data.as_deref() == Some(callback_data)) else {
            panic!("message {message_id} has no button with data {callback_data:?}: {buttons:?}");
        };
        let label = button.text.clone();
        let id = format!("{}{:06}", user.id, st.next_callback);
        st.next_callback += 1;
        st.open_callbacks.insert(id.clone(), user.id);
        let query = json!({
            "id": id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": format!("-{}", user.id),
            "data": callback_data,
        });
        self.push_update(&mut st, "callback_query", query);
        drop(st);
        self.inner.transcript.push(TranscriptLine {
            message_id: Some(message_id),
            ..TranscriptLine::user(user.id, "tap", format!("[taps \"{label}\"]"))
        });
        id
    }

    /// Like [`TelegramFake::press`] but finds the button by its label.
    pub fn tap(&self, user: &TgUser, message_id: i64, label: &str) -> String {
        let markup = self.message(user.id, message_id).map(|m| m["reply_markup"].clone()).unwrap_or(Value::Null);
        let buttons = Button::from_markup(&markup);
        let data = buttons
            .iter()
            .flatten()
            .find(|b| b.text == label)
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("message {message_id} has no callback button {label:?}: {buttons:?}"));
        self.press(user, message_id, &data)
    }
}
