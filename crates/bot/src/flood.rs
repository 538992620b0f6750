//! Sending limits, kept by the bot itself so Telegram rarely has to refuse: about one message a
//! second per chat and about thirty a second over all chats (Telegram's published guidance),
//! plus a *dynamic cooldown*: when Telegram answers 429 with `retry_after` anyway (its limits
//! are not fully published, and other senders share the token), every send of this client
//! waits that long, not only the one refused. Waiting is the only reaction: a reply is slowed,
//! never dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The limits a client keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Least spacing between two messages (sends or edits) to one chat.
    pub per_chat: Duration,
    /// At most this many messages over all chats…
    pub global: usize,
    /// …within this window.
    pub window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_chat: Duration::from_secs(1), global: 30, window: Duration::from_secs(1) }
    }
}

#[derive(Default)]
struct State {
    last: HashMap<i64, Instant>,
    recent: VecDeque<Instant>,
    cooldown_until: Option<Instant>,
}

/// One client's limiter (shared by its clones).
#[derive(Default)]
pub struct Flood {
    limits: Limits,
    state: Mutex<State>,
}

impl Flood {
    pub fn new(limits: Limits) -> Flood {
        Flood { limits, state: Mutex::new(State::default()) }
    }

    /// How long to wait before a message to `chat` may go at `now`; zero means it may go, and
    /// then it is counted.
    fn try_take(&self, chat: i64, now: Instant) -> Duration {
        let Ok(mut st) = self.state.lock() else { return Duration::ZERO };
        let mut wait = Duration::ZERO;
        if let Some(until) = st.cooldown_until {
            wait = wait.max(until.saturating_duration_since(now));
        }
        if let Some(last) = st.last.get(&chat) {
            wait = wait.max((*last + self.limits.per_chat).saturating_duration_since(now));
        }
        while st.recent.front().is_some_and(|t| now.duration_since(*t) >= self.limits.window) {
            st.recent.pop_front();
        }
        if st.recent.len() >= self.limits.global
            && let Some(first) = st.recent.front()
        {
            wait = wait.max((*first + self.limits.window).saturating_duration_since(now));
        }
        if wait.is_zero() {
            st.last.insert(chat, now);
            st.recent.push_back(now);
            // Chats quiet for a minute need no memory.
            if st.last.len() > 10_000 {
                st.last.retain(|_, t| now.duration_since(*t) < Duration::from_secs(60));
            }
        }
        wait
    }

    /// Waits until a message to `chat` may go, and counts it.
    pub async fn acquire(&self, chat: i64) {
        loop {
            let wait = self.try_take(chat, Instant::now());
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Telegram said to wait `d`: every send waits at least that long from now.
    pub fn cooldown(&self, d: Duration) {
        let until = Instant::now() + d;
        if let Ok(mut st) = self.state.lock() {
            st.cooldown_until = Some(st.cooldown_until.map_or(until, |u| u.max(until)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_per_chat_a_global_window_and_a_cooldown() {
        let f = Flood::new(Limits { per_chat: Duration::from_secs(1), global: 3, window: Duration::from_secs(1) });
        let t0 = Instant::now();
        assert!(f.try_take(1, t0).is_zero());
        // The same chat again at once waits its second; another chat goes.
        assert_eq!(f.try_take(1, t0), Duration::from_secs(1));
        assert!(f.try_take(2, t0).is_zero());
        assert!(f.try_take(3, t0).is_zero());
        // Three in the window: a fourth chat waits for the window to move.
        assert_eq!(f.try_take(4, t0 + Duration::from_millis(400)), Duration::from_millis(600));
        assert!(f.try_take(4, t0 + Duration::from_secs(1)).is_zero());
        // A 429's retry_after holds every chat back.
        f.cooldown(Duration::from_secs(5));
        assert!(f.try_take(9, Instant::now()) > Duration::from_secs(4));
    }
}
