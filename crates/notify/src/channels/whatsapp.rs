//! WhatsApp Cloud API: `POST {api}/{version}/{phone_number_id}/messages`, Bearer token.
//! Business-initiated messages must be approved templates ([`crate::WaTemplate`]); a message
//! without one goes as free text (valid only inside the 24-hour customer service window).

use crate::channel::{Accepted, Channel, ChannelKind, Outgoing, SendError};
use crate::http::{Http, classify, request};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppConfig {
    #[serde(default = "default_api")]
    pub api_url: String,
    #[serde(default = "default_version")]
    pub api_version: String,
    pub phone_number_id: String,
    pub access_token: String,
}

fn default_api() -> String {
    "https://graph.facebook.com".into()
}

fn default_version() -> String {
    "v21.0".into()
}

pub struct WhatsApp {
    cfg: WhatsAppConfig,
    http: Http,
}

/// The request body for `msg`. WhatsApp wants the number without `+`.
pub fn body(msg: &Outgoing) -> Value {
    let to: String = msg.to.chars().filter(char::is_ascii_digit).collect();
    match &msg.template {
        Some(t) => {
            let params: Vec<Value> = t.params.iter().map(|p| json!({ "type": "text", "text": p })).collect();
            let mut template = json!({ "name": t.name, "language": { "code": t.language } });
            if !params.is_empty() {
                template["components"] = json!([{ "type": "body", "parameters": params }]);
            }
            json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                    "type": "template", "template": template })
        }
        None => json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                        "type": "text", "text": { "body": msg.text } }),
    }
}

/// Graph error codes that mean "slow down / try later" even on a 400.
fn throttled(code: i64) -> bool {
    matches!(code, 4 | 80007 | 130429 | 131048 | 131056 | 131000 | 1 | 2)
}

impl WhatsApp {
    pub fn new(cfg: WhatsAppConfig, http: Http) -> WhatsApp {
        WhatsApp { cfg, http }
    }

    async fn send_one(&self, msg: &Outgoing) -> Result<Accepted, SendError> {
        let c = &self.cfg;
        let url = format!("{}/{}/{}/messages", c.api_url.trim_end_matches('/'), c.api_version, c.phone_number_id);
        let req = request(
            "POST",
            &url,
            &[
                ("authorization", format!("Bearer {}", c.access_token)),
                ("content-type", "application/json".into()),
                ("idempotency-key", msg.idempotency_key.clone()),
            ],
            body(msg).to_string().into_bytes(),
        )?;
        let reply = self.http.send(req).await?;
        let v = reply.json().unwrap_or_default();
        if let Err(e) = classify(&reply, "whatsapp") {
            let code = v["error"]["code"].as_i64().unwrap_or(0);
            return Err(match e {
                SendError::Permanent { reason } if throttled(code) => {
                    SendError::Transient { reason, after: reply.retry_after() }
                }
                e => e,
            });
        }
        let id = v["messages"][0]["id"].as_str().map(str::to_owned);
        Ok(Accepted { provider_id: id })
    }
}

impl Channel for WhatsApp {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Whatsapp
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(msg))
    }
}
