//! Webhook mode: after `setWebhook`, the fake POSTs each pending update to the bot's URL, one
//! at a time and in order, with `X-Telegram-Bot-Api-Secret-Token` when a secret was set, and
//! retries (with growing pauses) until the bot answers 2xx — as Telegram does.

use std::sync::Arc;
use std::time::Duration;

use super::{Inner, now_unix};

/// One attempt to deliver an update to the bot's webhook.
#[derive(Clone, Debug)]
pub struct WebhookDelivery {
    pub update_id: i64,
    /// The bot's HTTP status, or `None` when it could not be reached.
    pub status: Option<u16>,
}

pub(crate) async fn deliver(inner: Arc<Inner>, url: String, secret: Option<String>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
    let mut pause = Duration::from_millis(100);
    loop {
        let notified = inner.new_update.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = inner.lock().updates.front().cloned();
        let Some((id, update)) = next else {
            notified.await;
            continue;
        };
        let mut req = client.post(&url).json(&update);
        if let Some(s) = &secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        let status = req.send().await.ok().map(|r| r.status().as_u16());
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        {
            let mut st = inner.lock();
            if delivered && st.updates.front().is_some_and(|(front, _)| *front == id) {
                st.updates.pop_front();
            }
            if !delivered {
                let message = match status {
                    Some(s) => format!("Wrong response from the webhook: {s}"),
                    None => "Connection refused".to_owned(),
                };
                st.webhook_last_error = Some((now_unix(), message));
            }
        }
        // Recorded after the queue reflects it, so a test that waits on it sees both.
        inner.deliveries.push(WebhookDelivery { update_id: id, status });
        if delivered {
            pause = Duration::from_millis(100);
            continue;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
