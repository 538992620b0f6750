//! Kavenegar REST API: `POST {base}/v1/{API-KEY}/sms/send.json`, form `receptor`, `sender`,
//! `message`, `localid` (Kavenegar's own de-duplication key). Answers
//! `{"return":{"status":200,…},"entries":[{"messageid":…}]}`; errors carry the HTTP status in
//! `return.status` as well (418 no credit, 411 bad receptor, 403 bad key…).

use crate::channel::{Accepted, Channel, ChannelKind, Outgoing, SendError};
use crate::http::{Http, classify, request};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KavenegarConfig {
    #[serde(default = "default_base")]
    pub base_url: String,
    pub api_key: String,
    /// The line number to send from; the account's default line when absent.
    #[serde(default)]
    pub sender: Option<String>,
}

fn default_base() -> String {
    "https://api.kavenegar.com".into()
}

pub struct Kavenegar {
    cfg: KavenegarConfig,
    http: Http,
}

impl Kavenegar {
    pub fn new(cfg: KavenegarConfig, http: Http) -> Kavenegar {
        Kavenegar { cfg, http }
    }

    async fn send_one(&self, msg: &Outgoing) -> Result<Accepted, SendError> {
        let c = &self.cfg;
        let url = format!("{}/v1/{}/sms/send.json", c.base_url.trim_end_matches('/'), c.api_key);
        let mut form = vec![("receptor", msg.to.as_str()), ("message", msg.text.as_str())];
        if let Some(s) = &c.sender {
            form.push(("sender", s));
        }
        form.push(("localid", &msg.idempotency_key));
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| SendError::Permanent { reason: format!("kavenegar: cannot encode the form: {e}") })?;
        let req = request(
            "POST",
            &url,
            &[
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("idempotency-key", msg.idempotency_key.clone()),
            ],
            body.into_bytes(),
        )?;
        let reply = self.http.send(req).await?;
        classify(&reply, "kavenegar")?;
        let v = reply.json().unwrap_or_default();
        // A 200 whose `return.status` is not 200 is still a refusal.
        let status = v["return"]["status"].as_i64().unwrap_or(200);
        if status != 200 {
            let reason = format!("kavenegar refused ({status}): {}", v["return"]["message"].as_str().unwrap_or(""));
            return Err(if status == 429 || status >= 500 {
                SendError::Transient { reason, after: None }
            } else {
                SendError::Permanent { reason }
            });
        }
        let id = v["entries"][0]["messageid"].as_i64().map(|n| n.to_string());
        Ok(Accepted { provider_id: id })
    }
}

impl Channel for Kavenegar {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(msg))
    }
}
