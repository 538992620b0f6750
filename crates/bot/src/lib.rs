//! The Telegram bot (issue 14).
//!
//! * [`api`] — a thin Bot API client: `getUpdates` long polling, `sendMessage` (inline
//!   keyboards, a reply keyboard with `request_contact`), `editMessageText`,
//!   `answerCallbackQuery`; a 429 waits the `retry_after` Telegram gives, network errors are
//!   retried with backoff, a revoked token (401) is its own error so the poller can stop.
//!   Not teloxide (its storage pins an older sqlx) and not reqwest: it rides on
//!   `nobat_notify::http` (hyper + rustls with the ring provider) because reqwest's
//!   provider-less rustls panics in this workspace (see crates/notify/Cargo.toml).
//! * [`update`] — the parts of a Bot API `Update` the bot acts on.
//! * [`patient`] — the patient flows (booking), pure like the rest: data through `Reply::Need`.
//! * [`conversation`] — the conversation core: `(state, update) → (new state, replies)`, no
//!   I/O, so every flow is unit-tested without a server. The poller (crates/nobat) stores the
//!   state per (bot, chat) in the database and performs the replies.

pub mod api;
pub mod conversation;
pub mod flood;
pub mod patient;
pub mod staff;
pub mod update;

pub use api::{ApiError, BotApi, Keyboard};
pub use conversation::{Conversation, Reply, Step, handle, handle_with};
pub use patient::{Facts, Need};
pub use update::{Incoming, Input};
