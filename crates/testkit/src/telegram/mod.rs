//! A fake Telegram Bot API server: `{url}/bot{TOKEN}/{method}`, JSON, form or query
//! parameters, answers `{"ok":true,"result":…}` or the API's error shape. Several bots (tokens)
//! can share one server, as an instance bot and clinic bots share `telegram_api_url`.
//!
//! The test plays the users: [`TelegramBot::send_text`], [`TelegramBot::start_command`],
//! [`TelegramBot::share_contact`] and [`TelegramBot::tap`] queue updates that the bot reads
//! with `getUpdates` (long polling with `offset`/`timeout`) or, after `setWebhook`, receives
//! as POSTs to its webhook (with `X-Telegram-Bot-Api-Secret-Token`). Everything said in a
//! chat, by either side, lands in its transcript ([`TelegramBot::transcript_text`]).

mod bot;
mod methods;
mod types;
mod webhook;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::fault::Fault;
use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;

pub use bot::TelegramBot;
pub use types::{BotMessage, Button, CallbackAnswer, Speaker, TgUser, TranscriptLine};
pub use webhook::WebhookDelivery;

/// Flood limits the fake enforces when switched on (Telegram's documented guidance: about
/// one message a second per chat, about 30 a second over all chats).
#[derive(Clone, Copy, Debug)]
pub struct FloodLimits {
    /// Minimum spacing between two messages to one chat.
    pub per_chat: Duration,
    /// At most this many messages over all chats…
    pub global_limit: usize,
    /// …within this sliding window.
    pub global_window: Duration,
}

impl Default for FloodLimits {
    fn default() -> Self {
        Self { per_chat: Duration::from_secs(1), global_limit: 30, global_window: Duration::from_secs(1) }
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
    pub(crate) webhook_last_error: Option<(i64, String)>,
    pub(crate) open_callbacks: HashMap<String, i64>,
    next_callback: u64,
    pub(crate) flood: Option<FloodLimits>,
    pub(crate) global_sends: VecDeque<Instant>,
    /// Bumped by every getUpdates; a waiting poll that sees it move was overtaken.
    pub(crate) poll_generation: u64,
    /// Users who blocked the bot: sending to them gets 403.
    pub(crate) blocked: std::collections::HashSet<i64>,
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
    pub(crate) deliveries: Recorder<WebhookDelivery>,
    /// When a long poll was cut short by another poller (two bot instances polling at once).
    pub(crate) poll_conflicts: Recorder<SystemTime>,
    pub(crate) webhook_task: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    fn new(token: &str, username: &str) -> Self {
        let bot_id = token.split(':').next().and_then(|s| s.parse().ok()).unwrap_or(7_000_000_001);
        Self {
            state: Mutex::new(State {
                token: token.to_owned(),
                bot_id,
                bot_username: username.to_owned(),
                chats: HashMap::new(),
                updates: VecDeque::new(),
                next_update_id: 100_000_001,
                webhook: None,
                webhook_last_error: None,
                open_callbacks: HashMap::new(),
                next_callback: 1,
                flood: None,
                global_sends: VecDeque::new(),
                blocked: std::collections::HashSet::new(),
                poll_generation: 0,
            }),
            new_update: Notify::new(),
            sent: Recorder::new(),
            edits: Recorder::new(),
            callback_answers: Recorder::new(),
            transcript: Recorder::new(),
            deliveries: Recorder::new(),
            poll_conflicts: Recorder::new(),
            webhook_task: Mutex::new(None),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_webhook_task(&self, task: Option<JoinHandle<()>>) {
        let old = std::mem::replace(&mut *self.webhook_task.lock().unwrap_or_else(|e| e.into_inner()), task);
        if let Some(old) = old {
            old.abort();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.set_webhook_task(None);
    }
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Bots by token.
pub(crate) type Bots = Mutex<HashMap<String, Arc<Inner>>>;

struct Api(Arc<Bots>);

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

/// The fake Bot API server. Dereferences to its first bot ([`TelegramBot`]); the HTTP fault
/// switches (shared by all its bots) are repeated here from [`HttpFake`].
pub struct TelegramFake {
    http: HttpFake,
    bots: Arc<Bots>,
    first: TelegramBot,
}

impl Deref for TelegramFake {
    type Target = TelegramBot;
    fn deref(&self) -> &TelegramBot {
        &self.first
    }
}

impl TelegramFake {
    /// Starts a Bot API server with one bot that accepts `token` (unknown tokens get 401).
    pub async fn start(token: &str) -> io::Result<Self> {
        let first = Arc::new(Inner::new(token, "nobat_test_bot"));
        let bots = Arc::new(Mutex::new(HashMap::from([(token.to_owned(), first.clone())])));
        let http = HttpFake::start(Arc::new(Api(bots.clone()))).await?;
        Ok(Self { http, bots, first: TelegramBot { inner: first } })
    }

    /// Another bot on the same server (e.g. a clinic's own bot).
    pub fn add_bot(&self, token: &str, username: &str) -> TelegramBot {
        let inner = Arc::new(Inner::new(token, username));
        self.bots.lock().unwrap_or_else(|e| e.into_inner()).insert(token.to_owned(), inner.clone());
        TelegramBot { inner }
    }

    /// The bot with this token, if the server knows it.
    pub fn bot(&self, token: &str) -> Option<TelegramBot> {
        self.bots.lock().unwrap_or_else(|e| e.into_inner()).get(token).map(|inner| TelegramBot { inner: inner.clone() })
    }

    /// Revokes a token (as when its owner asks @BotFather): calls with it now get 401.
    pub fn revoke(&self, token: &str) {
        let removed = self.bots.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
        if let Some(inner) = removed {
            inner.set_webhook_task(None);
        }
    }

    /// The base URL to configure as `telegram_api_url` (bots call `{url}/bot{token}/…`).
    pub fn api_url(&self) -> String {
        self.http.url()
    }

    pub fn url(&self) -> String {
        self.http.url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.http.addr()
    }

    /// The shared HTTP layer (request log, fault switches).
    pub fn http(&self) -> &HttpFake {
        &self.http
    }

    /// Every Bot API call received, faulted ones included.
    pub fn requests(&self) -> &Recorder<HttpRequest> {
        self.http.requests()
    }

    /// See [`HttpFake::fail_next`].
    pub fn fail_next(&self, n: usize, status: u16) {
        self.http.fail_next(n, status);
    }

    /// The next `n` calls get `429 Too Many Requests: retry after {retry_after}`.
    pub fn rate_limit_next(&self, n: usize, retry_after: u64) {
        self.http.rate_limit_next(n, retry_after);
    }

    /// See [`HttpFake::hang_next`].
    pub fn hang_next(&self, n: usize, d: Duration) {
        self.http.hang_next(n, d);
    }

    /// See [`HttpFake::fail_for`].
    pub fn fail_for(&self, d: Duration, status: u16) {
        self.http.fail_for(d, status);
    }

    /// See [`HttpFake::hang_for`].
    pub fn hang_for(&self, d: Duration) {
        self.http.hang_for(d);
    }

    /// See [`HttpFake::fault_for`].
    pub fn fault_for(&self, d: Duration, fault: Fault) {
        self.http.fault_for(d, fault);
    }

    /// See [`HttpFake::fault_next`].
    pub fn fault_next(&self, n: usize, fault: Fault) {
        self.http.fault_next(n, fault);
    }

    /// See [`HttpFake::set_delay`].
    pub fn set_delay(&self, d: Duration) {
        self.http.set_delay(d);
    }

    pub fn clear_faults(&self) {
        self.http.clear_faults();
    }

    /// Connection refused until [`TelegramFake::restart`].
    pub async fn stop(&self) {
        self.http.stop().await;
    }

    pub async fn restart(&self) -> io::Result<()> {
        self.http.restart().await
    }
}

impl Drop for TelegramFake {
    fn drop(&mut self) {
        // Webhook pushers hold their bot; stop them with the server.
        for inner in self.bots.lock().unwrap_or_else(|e| e.into_inner()).values() {
            inner.set_webhook_task(None);
        }
    }
}
