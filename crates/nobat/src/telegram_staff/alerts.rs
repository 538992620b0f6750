//! Alerts to staff chats that opted in (`/alerts`): every admin or operator alert (dead-lettered
//! message, SMS budget spent, failing worker, revoked bot token…) is mirrored, in the alert's
//! own transaction, into `telegram_staff_alerts` (`store::commands::telegram_staff`); the lease
//! holder of the bot sends them after each poll and marks each sent. A crash between sending
//! and marking sends that one alert again: at least once, never lost.

use nobat_bot::{ApiError, BotApi, Conversation};
use nobat_i18n::Messages;
use nobat_i18n::catalog::Args;
use nobat_store::{Command, Store, TelegramStaffOp};
use std::sync::atomic::{AtomicBool, Ordering};

/// Alerts sent per round at most (the rest wait for the next round, a poll later).
const PER_ROUND: i64 = 20;

/// Records the bot's @username once per process, then sends the alerts waiting.
pub async fn after_poll(
    store: &Store,
    api: &BotApi,
    bot: &str,
    named: &AtomicBool,
    messages: &'static Messages,
) -> anyhow::Result<()> {
    if !named.load(Ordering::Relaxed) {
        // The API's link answers `t.me/<username>?start=…`; a failure here only leaves the
        // link without its URL (the token still works), so it is tried again next round.
        if let Ok(me) = api.call_once("getMe", &serde_json::json!({})).await
            && let Some(username) = me["username"].as_str()
        {
            let op = TelegramStaffOp::SetUsername { bot: bot.to_owned(), username: username.to_owned() };
            store.execute(Command::TelegramStaff(op)).await?;
            named.store(true, Ordering::Relaxed);
        }
    }
    for alert in store.telegram_pending_alerts(bot, PER_ROUND).await? {
        let state = store.telegram_chat_state(bot, alert.chat_id).await?;
        let lang = Conversation::from_json(state.as_deref()).lang(None);
        let detail = alert.facts["detail"].as_str().unwrap_or("").to_owned();
        let text = super::t(messages, lang, "bot-staff-alert", &Args::new().str("detail", detail));
        match api.send_message(alert.chat_id, &text, None).await {
            Ok(_) => {}
            // The chat blocked the bot or is gone: nothing a retry changes; do not loop on it.
            Err(ApiError::Refused { .. }) => {
                tracing::warn!(chat = alert.chat_id, "a staff alert was refused by Telegram")
            }
            // Unreachable or rate-limited beyond the inline wait: try again next round.
            Err(e) => {
                tracing::warn!(error = %e, "staff alert not sent; trying again next round");
                return Ok(());
            }
        }
        store.execute(Command::TelegramStaff(TelegramStaffOp::AlertSent { id: alert.id })).await?;
    }
    Ok(())
}
