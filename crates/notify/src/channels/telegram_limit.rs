//! Telegram's flood limits, kept on our side so a burst (a clinic's morning reminders) is
//! spread out instead of answered with 429s: about one message a second per chat and about
//! thirty a second over all chats, per bot. One limiter per bot token for the whole process
//! ([`for_token`]), so every channel built for that bot — the instance's and any a clinic
//! resolves again per message — shares it.
//!
//! Sends reserve slots in arrival order (a slot is the later of the global and the chat's
//! next free instant), then sleep until theirs. After a 429 ([`Limiter::cooldown`]) the chat
//! waits the `retry_after` Telegram gave and the global pace halves, recovering a little with
//! every success: the "dynamic cooldown".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Minimum spacing between two messages to one chat.
    pub per_chat: Duration,
    /// Messages per second over all chats.
    pub global_per_sec: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_chat: Duration::from_secs(1), global_per_sec: 30.0 }
    }
}

/// The slowest the global pace gets after repeated 429s (times the normal spacing).
const MAX_SLOWDOWN: f64 = 8.0;

struct State {
    next_global: Instant,
    /// Chat → the earliest instant its next message may go.
    chats: HashMap<String, Instant>,
    slowdown: f64,
}

pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            state: Mutex::new(State { next_global: Instant::now(), chats: HashMap::new(), slowdown: 1.0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves the next slot for `chat` and returns when it has come.
    pub async fn acquire(&self, chat: &str) {
        let slot = {
            let mut st = self.lock();
            let now = Instant::now();
            // Forget chats idle for a while, so the map stays the size of the active set.
            if st.chats.len() > 10_000 {
                st.chats.retain(|_, t| *t + Duration::from_secs(60) > now);
            }
            let chat_next = st.chats.get(chat).copied().unwrap_or(now);
            let slot = now.max(st.next_global).max(chat_next);
            let spacing = Duration::from_secs_f64(st.slowdown / self.limits.global_per_sec.max(0.001));
            st.next_global = slot + spacing;
            st.chats.insert(chat.to_owned(), slot + self.limits.per_chat);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Telegram said 429 for `chat`: nothing more to it until `after` has passed, and the
    /// global pace slows.
    pub fn cooldown(&self, chat: &str, after: Duration) {
        let mut st = self.lock();
        let until = Instant::now() + after;
        let entry = st.chats.entry(chat.to_owned()).or_insert(until);
        *entry = (*entry).max(until);
        st.slowdown = (st.slowdown * 2.0).min(MAX_SLOWDOWN);
    }

    /// A send went through: the pace recovers towards normal.
    pub fn succeeded(&self) {
        let mut st = self.lock();
        st.slowdown = (st.slowdown * 0.9).max(1.0);
    }

    /// The current slowdown factor (1.0 = normal pace).
    pub fn slowdown(&self) -> f64 {
        self.lock().slowdown
    }

    /// When `chat` may next be sent to.
    pub fn chat_ready_at(&self, chat: &str) -> Option<Instant> {
        self.lock().chats.get(chat).copied()
    }
}

/// The process-wide limiter of a bot (keyed by a hash of its token, not the token itself).
/// The first caller's limits win for that bot.
pub fn for_token(token: &str, limits: Limits) -> Arc<Limiter> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<Limiter>>>> = OnceLock::new();
    use sha2::Digest;
    let key = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let mut all = ALL.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    all.entry(key).or_insert_with(|| Arc::new(Limiter::new(limits))).clone()
}
