//! Reads for staff on Telegram: who a chat is bound to, the bot's @username, alerts to send.

use crate::Store;
use crate::error::StoreResult;
use crate::rows;
use nobat_core::UserId;

/// A chat bound to a staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffChat {
    pub user: UserId,
    pub alerts: bool,
    /// The queue whose walk-in's name the chat's next text is.
    pub awaiting: Option<String>,
}

/// An alert waiting for a staff chat.
#[derive(Debug, Clone)]
pub struct PendingAlert {
    pub id: String,
    pub chat_id: i64,
    pub facts: serde_json::Value,
}

impl Store {
    /// The account `(bot, chat)` is bound to, if any.
    pub async fn telegram_staff_chat(&self, bot: &str, chat: i64) -> StoreResult<Option<StaffChat>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT user_id, alerts, awaiting FROM telegram_staff_chats WHERE bot_id = $1 AND chat_id = $2",
        )
        .bind(bot)
        .bind(chat)
        .fetch_optional(&mut conn)
        .await?;
        row.map(|r| {
            Ok(StaffChat {
                user: rows::parse(&r, "user_id")?,
                alerts: rows::int(&r, "alerts")? == 1,
                awaiting: rows::opt_text(&r, "awaiting")?,
            })
        })
        .transpose()
    }

    /// How many chats are bound to `user`.
    pub async fn telegram_staff_chat_count(&self, user: UserId) -> StoreResult<i64> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT COUNT(*) AS n FROM telegram_staff_chats WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_one(&mut conn)
            .await?;
        rows::int(&row, "n")
    }

    /// The bot's @username, once its poller asked Telegram (getMe).
    pub async fn telegram_bot_username(&self, bot: &str) -> StoreResult<Option<String>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT username FROM telegram_bots WHERE id = $1")
            .bind(bot)
            .fetch_optional(&mut conn)
            .await?;
        Ok(row.map(|r| rows::opt_text(&r, "username")).transpose()?.flatten())
    }

    /// Alerts not yet sent through `bot`, oldest first.
    pub async fn telegram_pending_alerts(&self, bot: &str, limit: i64) -> StoreResult<Vec<PendingAlert>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT id, chat_id, facts FROM telegram_staff_alerts WHERE bot_id = $1 AND sent_at_us IS NULL \
             ORDER BY created_at_us, id LIMIT $2",
        )
        .bind(bot)
        .bind(limit)
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(PendingAlert {
                    id: rows::text(r, "id")?,
                    chat_id: rows::int(r, "chat_id")?,
                    facts: rows::json(r, "facts")?,
                })
            })
            .collect()
    }

    /// The stored conversation of one chat (JSON), to speak its language outside an update.
    pub async fn telegram_chat_state(&self, bot: &str, chat: i64) -> StoreResult<Option<String>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT state FROM telegram_chats WHERE bot_id = $1 AND chat_id = $2")
            .bind(bot)
            .bind(chat)
            .fetch_optional(&mut conn)
            .await?;
        row.map(|r| rows::text(&r, "state")).transpose()
    }
}
