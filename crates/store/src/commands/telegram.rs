//! Telegram bots' durable state (issue 14): which process polls a bot (a lease), from which
//! update offset, each chat's conversation state, and which updates were already taken.
//!
//! The poller in `crates/nobat/src/telegram_bot.rs` runs, per bot:
//! 1. [`TelegramOp::Lease`] — take or renew the lease; only the holder polls (so two processes
//!    on PostgreSQL never call `getUpdates` for one bot at once), and it polls from the stored
//!    offset, so a process that takes over after the holder died starts where it stopped.
//! 2. per update, [`TelegramOp::Take`] — still the holder, and the update not taken before:
//!    record it as taken and return the chat's conversation state. A second reader of the same
//!    update (a lease that ran out mid-update) finds it taken and does nothing: an update is
//!    answered at most once.
//! 3. after replying, [`TelegramOp::Finish`] — the chat's new state and the offset past the
//!    update, together.

use crate::error::{StoreError, StoreResult};
use crate::rows;
use crate::tx::WriteTx;
use jiff::SignedDuration;

/// How many update ids below the latest finished one keep their "taken" mark.
const TAKEN_KEPT: i64 = 1000;

#[derive(Debug, Clone)]
pub enum TelegramOp {
    /// Takes the bot's lease for `owner` (free, expired, or already `owner`'s) until now + `ttl`;
    /// creates the bot's row on first use. A changed `token_hash` starts the offset afresh.
    Lease { bot: String, token_hash: String, owner: String, ttl: SignedDuration },
    /// Gives the lease up (a process shutting down) so another may take it at once.
    Release { bot: String, owner: String },
    /// Claims one update for the lease holder and reads the chat's state.
    Take { bot: String, owner: String, update_id: i64, chat_id: Option<i64> },
    /// Stores the chat's state (if any) and moves the offset past `update_id`.
    Finish { bot: String, owner: String, update_id: i64, chat_id: Option<i64>, state: Option<String> },
    /// The token was refused (401): polling stops until the token changes.
    Revoked { bot: String, owner: String },
}

/// What a [`TelegramOp`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramOutput {
    /// `Lease`: whether this owner holds it, the offset to poll from, and whether the token
    /// was found revoked (then the holder must not poll).
    Lease {
        held: bool,
        offset: i64,
        revoked: bool,
    },
    /// `Take`: `None` when the update was taken before; else the chat's stored state (JSON) if any.
    Taken(Option<Option<String>>),
    Done,
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, op: &TelegramOp) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    let out = match op {
        TelegramOp::Lease { bot, token_hash, owner, ttl } => {
            crate::db::query(
                "INSERT INTO telegram_bots (id, token_hash, update_offset, created_at_us, updated_at_us) \
                 VALUES ($1, $2, 0, $3, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(bot.as_str())
            .bind(token_hash.as_str())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            // A new token is a new bot as far as Telegram is concerned: its update ids start
            // elsewhere, and a revocation of the old token no longer applies.
            crate::db::query(
                "UPDATE telegram_bots SET token_hash = $2, update_offset = 0, revoked_at_us = NULL, updated_at_us = $3 \
                 WHERE id = $1 AND token_hash <> $2",
            )
            .bind(bot.as_str())
            .bind(token_hash.as_str())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            let until = now + ttl.as_micros() as i64;
            crate::db::query(
                "UPDATE telegram_bots SET lease_owner = $2, leased_until_us = $3, updated_at_us = $4 \
                 WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR leased_until_us < $4)",
            )
            .bind(bot.as_str())
            .bind(owner.as_str())
            .bind(until)
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            let row =
                crate::db::query("SELECT lease_owner, update_offset, revoked_at_us FROM telegram_bots WHERE id = $1")
                    .bind(bot.as_str())
                    .fetch_one(&mut *tx.conn)
                    .await?;
            TelegramOutput::Lease {
                held: rows::opt_text(&row, "lease_owner")?.as_deref() == Some(owner.as_str()),
                offset: rows::int(&row, "update_offset")?,
                revoked: rows::opt_int(&row, "revoked_at_us")?.is_some(),
            }
        }
        TelegramOp::Release { bot, owner } => {
            crate::db::query(
                "UPDATE telegram_bots SET lease_owner = NULL, leased_until_us = NULL WHERE id = $1 AND lease_owner = $2",
            )
            .bind(bot.as_str())
            .bind(owner.as_str())
            .execute(&mut *tx.conn)
            .await?;
            TelegramOutput::Done
        }
        TelegramOp::Take { bot, owner, update_id, chat_id } => {
            holder(tx, bot, owner, now).await?;
            let inserted = crate::db::query(
                "INSERT INTO telegram_updates (bot_id, update_id, taken_by, taken_at_us) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (bot_id, update_id) DO NOTHING",
            )
            .bind(bot.as_str())
            .bind(*update_id)
            .bind(owner.as_str())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            if inserted == 0 {
                TelegramOutput::Taken(None)
            } else {
                let state = match chat_id {
                    Some(chat) => {
                        crate::db::query("SELECT state FROM telegram_chats WHERE bot_id = $1 AND chat_id = $2")
                            .bind(bot.as_str())
                            .bind(*chat)
                            .fetch_optional(&mut *tx.conn)
                            .await?
                            .map(|r| rows::text(&r, "state"))
                            .transpose()?
                    }
                    None => None,
                };
                TelegramOutput::Taken(Some(state))
            }
        }
        TelegramOp::Finish { bot, owner, update_id, chat_id, state } => {
            holder(tx, bot, owner, now).await?;
            if let (Some(chat), Some(state)) = (chat_id, state) {
                crate::db::query(
                    "INSERT INTO telegram_chats (bot_id, chat_id, state, updated_at_us) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (bot_id, chat_id) DO UPDATE SET state = excluded.state, updated_at_us = excluded.updated_at_us",
                )
                .bind(bot.as_str())
                .bind(*chat)
                .bind(state.as_str())
                .bind(now)
                .execute(&mut *tx.conn)
                .await?;
            }
            crate::db::query(
                "UPDATE telegram_bots SET update_offset = $2, updated_at_us = $3 WHERE id = $1 AND update_offset < $2",
            )
            .bind(bot.as_str())
            .bind(update_id + 1)
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            // Telegram never sends an update again once the offset passed it, so its "taken"
            // mark is only needed while the update may be in flight; keep a margin, drop the rest.
            crate::db::query("DELETE FROM telegram_updates WHERE bot_id = $1 AND update_id < $2")
                .bind(bot.as_str())
                .bind(update_id - TAKEN_KEPT)
                .execute(&mut *tx.conn)
                .await?;
            TelegramOutput::Done
        }
        TelegramOp::Revoked { bot, owner } => {
            holder(tx, bot, owner, now).await?;
            crate::db::query("UPDATE telegram_bots SET revoked_at_us = $2, updated_at_us = $2 WHERE id = $1")
                .bind(bot.as_str())
                .bind(now)
                .execute(&mut *tx.conn)
                .await?;
            // The operators learn it by the channels they have (email first); once per bot per day.
            let facts = serde_json::json!({
                "alert_key": "telegram-token-revoked",
                "detail": format!("Telegram refused the token of bot `{bot}` (401)."),
            });
            let day = tx.now.as_second() / 86_400;
            super::messages::alert(tx, super::messages::INSTANCE, &format!("telegram-revoked:{bot}:{day}"), facts)
                .await?;
            TelegramOutput::Done
        }
    };
    Ok(super::Output::Telegram(out))
}

/// Fails with [`StoreError::LeaseLost`] unless `owner` holds the bot's lease right now. On
/// PostgreSQL `FOR UPDATE` makes a concurrent `Lease` by another process wait for this
/// transaction, so the check holds until commit.
async fn holder(tx: &mut WriteTx<'_>, bot: &str, owner: &str, now: i64) -> StoreResult<()> {
    let lock = if tx.engine == crate::Engine::Postgres { " FOR UPDATE" } else { "" };
    let row = crate::db::query(format!(
        "SELECT 1 AS one FROM telegram_bots WHERE id = $1 AND lease_owner = $2 AND leased_until_us >= $3{lock}"
    ))
    .bind(bot)
    .bind(owner)
    .bind(now)
    .fetch_optional(&mut *tx.conn)
    .await?;
    row.map(|_| ()).ok_or(StoreError::LeaseLost)
}
