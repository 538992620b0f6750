//! Telegram Bot API `sendMessage` (`POST {api}/bot{token}/sendMessage`, JSON), with the
//! message's buttons as an inline keyboard, paced by the bot's process-wide limiter.

use super::telegram_limit::{Limiter, Limits, for_token};
use crate::channel::{Accepted, Button, Channel, ChannelKind, Outgoing, SendError};
use crate::http::{Http, request};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TelegramConfig {
    #[serde(default = "default_api")]
    pub api_url: String,
    pub bot_token: String,
    /// Pacing; Telegram's documented guidance unless set (tests shorten it).
    #[serde(default, skip_serializing)]
    pub per_chat_ms: Option<u64>,
    #[serde(default, skip_serializing)]
    pub global_per_sec: Option<f64>,
}

pub fn default_api() -> String {
    "https://api.telegram.org".into()
}

pub struct Telegram {
    cfg: TelegramConfig,
    http: Http,
    limiter: Arc<Limiter>,
}

fn keyboard(buttons: &[Button]) -> Value {
    // One button per row: labels are sentences in some languages and do not fit side by side.
    let rows: Vec<Value> = buttons
        .iter()
        .map(|b| match b {
            Button::Url { label, url } => json!([{ "text": label, "url": url }]),
            Button::Callback { label, data } => json!([{ "text": label, "callback_data": data }]),
        })
        .collect();
    json!({ "inline_keyboard": rows })
}

impl Telegram {
    pub fn new(cfg: TelegramConfig, http: Http) -> Telegram {
        let d = Limits::default();
        let limits = Limits {
            per_chat: cfg.per_chat_ms.map(Duration::from_millis).unwrap_or(d.per_chat),
            global_per_sec: cfg.global_per_sec.unwrap_or(d.global_per_sec),
        };
        let limiter = for_token(&cfg.bot_token, limits);
        Telegram { cfg, http, limiter }
    }

    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.limiter
    }

    async fn send_one(&self, msg: &Outgoing) -> Result<Accepted, SendError> {
        let chat_id: Value = match msg.to.parse::<i64>() {
            Ok(n) => json!(n),
            // `@channelusername` is also a valid chat id.
            Err(_) => json!(msg.to),
        };
        let mut body = json!({ "chat_id": chat_id, "text": msg.text });
        if !msg.buttons.is_empty() {
            body["reply_markup"] = keyboard(&msg.buttons);
        }
        let url = format!("{}/bot{}/sendMessage", self.cfg.api_url.trim_end_matches('/'), self.cfg.bot_token);
        let req = request("POST", &url, &[("content-type", "application/json".into())], body.to_string().into_bytes())?;
        self.limiter.acquire(&msg.to).await;
        let reply = self.http.send(req).await?;
        let v = reply.json().unwrap_or_default();
        if (200..300).contains(&reply.status) && v["ok"] == json!(true) {
            self.limiter.succeeded();
            let id = v["result"]["message_id"].as_i64().map(|n| n.to_string());
            return Ok(Accepted { provider_id: id });
        }
        let description = v["description"].as_str().unwrap_or("").to_owned();
        let code = v["error_code"].as_u64().map(|c| c as u16).unwrap_or(reply.status);
        let reason = format!("telegram answered {code}: {description}");
        // Telegram gives its wait only in `parameters.retry_after`, never as a header.
        let retry_after = v["parameters"]["retry_after"].as_u64().map(Duration::from_secs).or(reply.retry_after());
        match code {
            429 => {
                let after = retry_after.unwrap_or(Duration::from_secs(1));
                self.limiter.cooldown(&msg.to, after);
                Err(SendError::Transient { reason, after: Some(after) })
            }
            500..=599 => Err(SendError::Transient { reason, after: retry_after }),
            // 400 chat not found / text too long, 401 bad token, 403 blocked by the user.
            _ => Err(SendError::Permanent { reason }),
        }
    }
}

impl Channel for Telegram {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(msg))
    }
}
