//! A thin Bot API client over `nobat_notify::http` (hyper + rustls/ring).
//!
//! Errors are sorted the way the poller must react: [`ApiError::Unauthorized`] (the token was
//! revoked: stop and alert the operator), [`ApiError::RetryAfter`] (flood limit: wait exactly
//! that long), [`ApiError::Conflict`] (another `getUpdates` or a webhook is active),
//! [`ApiError::Network`] (no answer: retry with backoff) and [`ApiError::Refused`] (the API
//! said no — a message too long, a chat that blocked the bot: retrying will not help).

use nobat_notify::SendError;
use nobat_notify::http::{Http, redact, request};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the bot token was refused (401): revoked or wrong")]
    Unauthorized,
    #[error("flood limit: retry after {0:?}")]
    RetryAfter(Duration),
    #[error("conflict (409): {0}")]
    Conflict(String),
    #[error("no answer from the Bot API: {0}")]
    Network(String),
    #[error("the Bot API refused ({code}): {description}")]
    Refused { code: i64, description: String },
}

/// A keyboard under a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyboard {
    /// Rows of `(label, callback_data)`.
    Inline(Vec<Vec<(String, String)>>),
    /// A one-time reply keyboard with a single button that shares the user's phone number.
    ShareContact(String),
    /// Removes a reply keyboard shown before.
    Remove,
}

impl Keyboard {
    pub fn to_json(&self) -> Value {
        match self {
            Keyboard::Inline(rows) => json!({ "inline_keyboard": rows.iter().map(|row| row.iter().map(|(text, data)|
                json!({ "text": text, "callback_data": data })).collect::<Vec<_>>()).collect::<Vec<_>>() }),
            Keyboard::ShareContact(label) => json!({
                "keyboard": [[{ "text": label, "request_contact": true }]],
                "resize_keyboard": true,
                "one_time_keyboard": true,
            }),
            Keyboard::Remove => json!({ "remove_keyboard": true }),
        }
    }
}

/// How many times a call is tried before its error is returned (429 waits and network
/// backoff included). Seven tries with 1, 2, 4, 8, 16, 30 s cover a minute of outage.
pub const ATTEMPTS: u32 = 7;
/// The longest `retry_after` honoured in place; a longer one is returned to the caller. Below
/// the poller's lease (30 s), which it renews before each reply.
pub const MAX_INLINE_WAIT: Duration = Duration::from_secs(25);

/// One bot's client. Cheap to clone.
#[derive(Clone)]
pub struct BotApi {
    base: String,
    token: String,
    http: Http,
    /// `getUpdates` long polls outlive the usual request deadline.
    poll_http: Http,
    /// Sending limits and the 429 cooldown, shared by every clone (`flood.rs`).
    flood: std::sync::Arc<crate::flood::Flood>,
}

impl std::fmt::Debug for BotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotApi").field("base", &redact(&self.base)).finish_non_exhaustive()
    }
}

impl BotApi {
    /// `base`: `https://api.telegram.org` or a fake's URL; no trailing `/bot…`.
    pub fn new(base: &str, token: &str) -> BotApi {
        BotApi {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: Http::new(Duration::from_secs(15)),
            poll_http: Http::new(Duration::from_secs(60)),
            flood: std::sync::Arc::new(crate::flood::Flood::new(crate::flood::Limits::default())),
        }
    }

    /// One call, one attempt.
    pub async fn call_once(&self, method: &str, params: &Value) -> Result<Value, ApiError> {
        let client = if method == "getUpdates" { &self.poll_http } else { &self.http };
        let url = format!("{}/bot{}/{method}", self.base, self.token);
        let req =
            request("POST", &url, &[("content-type", "application/json".to_owned())], params.to_string().into_bytes())
                .map_err(|e| ApiError::Network(e.to_string()))?;
        let reply = client.send(req).await.map_err(|e| match e {
            SendError::Transient { reason, .. } | SendError::Permanent { reason } => ApiError::Network(reason),
        })?;
        let body = reply.json().unwrap_or(Value::Null);
        if body["ok"] == json!(true) {
            return Ok(body["result"].clone());
        }
        let description = body["description"].as_str().unwrap_or("").to_owned();
        // Telegram says how long to wait in `parameters.retry_after`, not in a header.
        if let Some(secs) = body["parameters"]["retry_after"].as_u64() {
            return Err(ApiError::RetryAfter(Duration::from_secs(secs)));
        }
        match reply.status {
            401 => Err(ApiError::Unauthorized),
            409 => Err(ApiError::Conflict(description)),
            429 => Err(ApiError::RetryAfter(Duration::from_secs(1))),
            500..=599 => Err(ApiError::Network(format!("{} {description}", reply.status))),
            s => Err(ApiError::Refused { code: body["error_code"].as_i64().unwrap_or(i64::from(s)), description }),
        }
    }

    /// A call retried through flood limits (waiting `retry_after`) and network errors
    /// (backoff 1, 2, 4 … 30 s), so a reply is slowed, not lost. A revoked token, a refusal
    /// or a conflict returns at once.
    pub async fn call(&self, method: &str, params: &Value) -> Result<Value, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Messages keep the limits (per chat and overall); answers to buttons do not count.
            if matches!(method, "sendMessage" | "editMessageText")
                && let Some(chat) = params["chat_id"].as_i64()
            {
                self.flood.acquire(chat).await;
            }
            match self.call_once(method, params).await {
                Err(ApiError::RetryAfter(wait)) if attempt < ATTEMPTS && wait <= MAX_INLINE_WAIT => {
                    tracing::info!(method, ?wait, "Telegram flood limit; waiting as asked");
                    // Every send of this bot waits, not just this one: the next message would
                    // only be refused too.
                    self.flood.cooldown(wait);
                    tokio::time::sleep(wait).await;
                }
                Err(ApiError::Network(reason)) if attempt < ATTEMPTS => {
                    let wait = Duration::from_secs(1 << (attempt - 1).min(5)).min(Duration::from_secs(30));
                    tracing::warn!(method, %reason, ?wait, "Bot API unreachable; retrying");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    /// Long-polls for updates after `offset`, waiting up to `timeout` for one. One attempt:
    /// the poller owns the retry (it must renew its lease between polls).
    pub async fn get_updates(&self, offset: i64, timeout: Duration) -> Result<Vec<Value>, ApiError> {
        let params = json!({
            "offset": offset,
            "timeout": timeout.as_secs(),
            "allowed_updates": ["message", "callback_query"],
        });
        let result = self.call_once("getUpdates", &params).await?;
        Ok(result.as_array().cloned().unwrap_or_default())
    }

    /// Sends a message; returns its `message_id`.
    pub async fn send_message(&self, chat_id: i64, text: &str, keyboard: Option<&Keyboard>) -> Result<i64, ApiError> {
        let mut params = json!({ "chat_id": chat_id, "text": text });
        if let Some(k) = keyboard {
            params["reply_markup"] = k.to_json();
        }
        let sent = self.call("sendMessage", &params).await?;
        Ok(sent["message_id"].as_i64().unwrap_or(0))
    }

    /// Replaces a message's text (and its inline keyboard; `None` removes it).
    pub async fn edit_message_text(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
        keyboard: Option<&Keyboard>,
    ) -> Result<(), ApiError> {
        let mut params = json!({ "chat_id": chat_id, "message_id": message_id, "text": text });
        if let Some(k @ Keyboard::Inline(_)) = keyboard {
            params["reply_markup"] = k.to_json();
        }
        match self.call("editMessageText", &params).await {
            // Tapping the same button twice edits to the same text; Telegram refuses that, and
            // it is no failure.
            Err(ApiError::Refused { description, .. }) if description.contains("message is not modified") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Stops the button's spinner, optionally with a short notice.
    pub async fn answer_callback_query(&self, id: &str, text: Option<&str>) -> Result<(), ApiError> {
        let mut params = json!({ "callback_query_id": id });
        if let Some(t) = text {
            params["text"] = json!(t);
        }
        self.call("answerCallbackQuery", &params).await.map(|_| ())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use nobat_testkit::telegram::{TelegramFake, TgUser};

    const TOKEN: &str = "7000000001:test-token";

    #[tokio::test]
    async fn polls_sends_edits_and_answers_against_the_fake() {
        let tg = TelegramFake::start(TOKEN).await.unwrap();
        let api = BotApi::new(&tg.api_url(), TOKEN);
        let user = TgUser::new(501, "Ali").language("fa");
        tg.start_command(&user, None);
        let updates = api.get_updates(0, Duration::from_secs(1)).await.unwrap();
        assert_eq!(updates.len(), 1);
        let kb = Keyboard::Inline(vec![vec![("A".into(), "a".into())]]);
        let id = api.send_message(501, "hello", Some(&kb)).await.unwrap();
        assert_eq!(tg.sent().all()[0].button_labels(), vec!["A"]);
        let q = tg.press(&user, id, "a");
        api.answer_callback_query(&q, None).await.unwrap();
        api.edit_message_text(501, id, "edited", None).await.unwrap();
        // The same edit again is not an error.
        api.edit_message_text(501, id, "edited", None).await.unwrap();
        assert_eq!(tg.last_bot_message(501).unwrap().text, "edited");
        let contact = Keyboard::ShareContact("Share".into());
        api.send_message(501, "phone?", Some(&contact)).await.unwrap();
        assert_eq!(tg.sent().all()[1].reply_markup.as_ref().unwrap()["keyboard"][0][0]["request_contact"], json!(true));
    }

    #[tokio::test]
    async fn a_429_is_waited_out_and_the_message_still_goes() {
        let tg = TelegramFake::start(TOKEN).await.unwrap();
        let api = BotApi::new(&tg.api_url(), TOKEN);
        tg.start_command(&TgUser::new(502, "Ivan"), None);
        tg.rate_limit_next(1, 1);
        let started = std::time::Instant::now();
        api.send_message(502, "hi", None).await.unwrap();
        assert!(started.elapsed() >= Duration::from_secs(1), "sent before retry_after");
        assert_eq!(tg.sent().len(), 1);
    }

    #[tokio::test]
    async fn the_clients_own_limits_keep_telegram_from_refusing() {
        let tg = TelegramFake::start(TOKEN).await.unwrap();
        let api = BotApi::new(&tg.api_url(), TOKEN);
        tg.start_command(&TgUser::new(503, "A"), None);
        tg.start_command(&TgUser::new(504, "B"), None);
        tg.set_flood_limits(Some(nobat_testkit::telegram::FloodLimits::default()));
        let started = std::time::Instant::now();
        for i in 0..3 {
            api.send_message(503, &format!("m{i}"), None).await.unwrap();
        }
        api.send_message(504, "other", None).await.unwrap();
        assert_eq!(tg.sent().len(), 4);
        assert_eq!(tg.requests().len(), 4, "no message was refused (429) and sent again");
        assert!(started.elapsed() >= Duration::from_secs(2), "one chat's three messages spaced a second apart");
    }

    #[tokio::test]
    async fn a_revoked_token_is_unauthorized_not_retried() {
        let tg = TelegramFake::start(TOKEN).await.unwrap();
        let api = BotApi::new(&tg.api_url(), TOKEN);
        tg.revoke(TOKEN);
        assert_eq!(api.get_updates(0, Duration::from_secs(0)).await, Err(ApiError::Unauthorized));
        assert_eq!(api.send_message(1, "x", None).await, Err(ApiError::Unauthorized));
        assert_eq!(tg.requests().len(), 2);
    }
}
