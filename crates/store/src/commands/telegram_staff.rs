//! Staff on Telegram (issue 14): one-time link tokens that bind a chat to a staff account,
//! unlinking, the alerts opt-in, and the queue of alerts for opted-in chats.
//!
//! A link token is minted by the web layer (which checks the session and, for an account with
//! 2FA, a fresh code) and stored as a keyed hash; [`TelegramStaffOp::Redeem`] uses it up in the
//! same transaction that binds the chat, so a token opens at most one chat, once, before it
//! expires. Linking and unlinking are audited on the instance chain (accounts are not a
//! clinic's); what the member then does from the chat is audited by the commands it runs,
//! exactly as from the API.

use crate::audit::{Audit, AuditActor, INSTANCE_CHAIN};
use crate::error::StoreResult;
use crate::rows;
use crate::tx::WriteTx;
use jiff::SignedDuration;
use nobat_core::UserId;

/// The longest a link token lives: long enough to open Telegram, short enough to be useless
/// if it leaks later.
pub const LINK_TTL: SignedDuration = SignedDuration::from_mins(10);

#[derive(Debug, Clone)]
pub enum TelegramStaffOp {
    /// Stores a new link token (its hash) for `user`, valid for [`LINK_TTL`].
    Mint { user: UserId, token_hash: String, actor: AuditActor },
    /// Uses a token up and binds `(bot, chat)` to its account. Answers the account, or `None`
    /// for a token that is unknown, expired or used.
    Redeem { bot: String, chat: i64, token_hash: String },
    /// Unbinds every chat of `user` (from the API); answers how many.
    UnlinkUser { user: UserId, actor: AuditActor },
    /// Unbinds one chat (`/logout` in the bot); answers how many (0 or 1).
    UnlinkChat { bot: String, chat: i64 },
    /// Turns the chat's alerts on or off.
    SetAlerts { bot: String, chat: i64, on: bool },
    /// What the chat's next text answers (a walk-in's name for a queue), or nothing.
    SetAwaiting { bot: String, chat: i64, awaiting: Option<String> },
    /// Records the bot's @username (from getMe).
    SetUsername { bot: String, username: String },
    /// Marks an alert sent.
    AlertSent { id: String },
}

/// What a [`TelegramStaffOp`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelegramStaffOutput {
    Linked(Option<UserId>),
    Count(u64),
    Done,
}

fn actor_for(user: UserId) -> AuditActor {
    AuditActor::new(format!("user:{user}"), "the account holder (Telegram)")
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, op: &TelegramStaffOp) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    let out = match op {
        TelegramStaffOp::Mint { user, token_hash, actor } => {
            // Older unused tokens of the account stop working: only the newest link opens.
            crate::db::query("DELETE FROM telegram_link_tokens WHERE user_id = $1 AND used_at_us IS NULL")
                .bind(user.to_string())
                .execute(&mut *tx.conn)
                .await?;
            crate::db::query(
                "INSERT INTO telegram_link_tokens (token_hash, user_id, expires_at_us, created_at_us) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash.as_str())
            .bind(user.to_string())
            .bind(now + LINK_TTL.as_micros() as i64)
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            tx.audit_in(INSTANCE_CHAIN, actor, Audit::new("telegram_link_minted", "user", &user.to_string()));
            TelegramStaffOutput::Done
        }
        TelegramStaffOp::Redeem { bot, chat, token_hash } => {
            // One statement uses the token up: two chats racing with one token, one wins.
            let used = crate::db::query(
                "UPDATE telegram_link_tokens SET used_at_us = $2 \
                 WHERE token_hash = $1 AND used_at_us IS NULL AND expires_at_us >= $2 RETURNING user_id",
            )
            .bind(token_hash.as_str())
            .bind(now)
            .fetch_optional(&mut *tx.conn)
            .await?;
            let Some(row) = used else { return Ok(super::Output::TelegramStaff(TelegramStaffOutput::Linked(None))) };
            let user: UserId = rows::parse(&row, "user_id")?;
            let active = crate::db::query("SELECT disabled FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(&mut *tx.conn)
                .await?
                .map(|r| rows::int(&r, "disabled"))
                .transpose()?;
            if active != Some(0) {
                return Ok(super::Output::TelegramStaff(TelegramStaffOutput::Linked(None)));
            }
            crate::db::query(
                "INSERT INTO telegram_staff_chats (bot_id, chat_id, user_id, alerts, linked_at_us) VALUES ($1, $2, $3, 0, $4) \
                 ON CONFLICT (bot_id, chat_id) DO UPDATE SET user_id = excluded.user_id, alerts = 0, awaiting = NULL, \
                 linked_at_us = excluded.linked_at_us",
            )
            .bind(bot.as_str())
            .bind(*chat)
            .bind(user.to_string())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            let note = format!("bot {bot}");
            tx.audit_in(
                INSTANCE_CHAIN,
                &actor_for(user),
                Audit::new("telegram_linked", "user", &user.to_string()).note(Some(&note)),
            );
            TelegramStaffOutput::Linked(Some(user))
        }
        TelegramStaffOp::UnlinkUser { user, actor } => {
            let n = crate::db::query("DELETE FROM telegram_staff_chats WHERE user_id = $1")
                .bind(user.to_string())
                .execute(&mut *tx.conn)
                .await?;
            crate::db::query("DELETE FROM telegram_link_tokens WHERE user_id = $1")
                .bind(user.to_string())
                .execute(&mut *tx.conn)
                .await?;
            tx.audit_in(INSTANCE_CHAIN, actor, Audit::new("telegram_unlinked", "user", &user.to_string()));
            TelegramStaffOutput::Count(n)
        }
        TelegramStaffOp::UnlinkChat { bot, chat } => {
            let row = crate::db::query(
                "DELETE FROM telegram_staff_chats WHERE bot_id = $1 AND chat_id = $2 RETURNING user_id",
            )
            .bind(bot.as_str())
            .bind(*chat)
            .fetch_optional(&mut *tx.conn)
            .await?;
            match row {
                Some(r) => {
                    let user: UserId = rows::parse(&r, "user_id")?;
                    let note = format!("bot {bot}, /logout");
                    tx.audit_in(
                        INSTANCE_CHAIN,
                        &actor_for(user),
                        Audit::new("telegram_unlinked", "user", &user.to_string()).note(Some(&note)),
                    );
                    TelegramStaffOutput::Count(1)
                }
                None => TelegramStaffOutput::Count(0),
            }
        }
        TelegramStaffOp::SetAlerts { bot, chat, on } => {
            let n = crate::db::query("UPDATE telegram_staff_chats SET alerts = $3 WHERE bot_id = $1 AND chat_id = $2")
                .bind(bot.as_str())
                .bind(*chat)
                .bind(i64::from(*on))
                .execute(&mut *tx.conn)
                .await?;
            TelegramStaffOutput::Count(n)
        }
        TelegramStaffOp::SetAwaiting { bot, chat, awaiting } => {
            crate::db::query("UPDATE telegram_staff_chats SET awaiting = $3 WHERE bot_id = $1 AND chat_id = $2")
                .bind(bot.as_str())
                .bind(*chat)
                .bind(awaiting.clone())
                .execute(&mut *tx.conn)
                .await?;
            TelegramStaffOutput::Done
        }
        TelegramStaffOp::SetUsername { bot, username } => {
            crate::db::query("UPDATE telegram_bots SET username = $2 WHERE id = $1")
                .bind(bot.as_str())
                .bind(username.as_str())
                .execute(&mut *tx.conn)
                .await?;
            TelegramStaffOutput::Done
        }
        TelegramStaffOp::AlertSent { id } => {
            crate::db::query("UPDATE telegram_staff_alerts SET sent_at_us = $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx.conn)
                .await?;
            TelegramStaffOutput::Done
        }
    };
    Ok(super::Output::TelegramStaff(out))
}

/// Mirrors one admin alert to the Telegram chats of `user` that opted in; `source` (the
/// e-mail alert's, already once per recipient) keeps it once per chat. Called by
/// `messages::alert` in the alert's own transaction, so no alert is lost or doubled.
pub(crate) async fn queue_alert(
    tx: &mut WriteTx<'_>,
    user: &str,
    source: &str,
    facts: &serde_json::Value,
) -> StoreResult<()> {
    let chats = crate::db::query("SELECT bot_id, chat_id FROM telegram_staff_chats WHERE user_id = $1 AND alerts = 1")
        .bind(user)
        .fetch_all(&mut *tx.conn)
        .await?;
    for c in &chats {
        crate::db::query(
            "INSERT INTO telegram_staff_alerts (id, bot_id, chat_id, source, facts, created_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bot_id, chat_id, source) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(rows::text(c, "bot_id")?)
        .bind(rows::int(c, "chat_id")?)
        .bind(source)
        .bind(facts.to_string())
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    }
    Ok(())
}
