//! Twilio Messages API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`, HTTP Basic
//! `AccountSid:AuthToken`, form `To`, `From` or `MessagingServiceSid`, `Body`.

use crate::channel::{Accepted, Channel, ChannelKind, Outgoing, SendError};
use crate::http::{Http, classify, request};
use base64::Engine;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioConfig {
    #[serde(default = "default_base")]
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// The sending number (E.164) or alphanumeric sender id…
    #[serde(default)]
    pub from: Option<String>,
    /// …or a Messaging Service, which picks the number itself.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
}

fn default_base() -> String {
    "https://api.twilio.com".into()
}

pub struct Twilio {
    cfg: TwilioConfig,
    http: Http,
}

impl Twilio {
    pub fn new(cfg: TwilioConfig, http: Http) -> Twilio {
        Twilio { cfg, http }
    }

    async fn send_one(&self, msg: &Outgoing) -> Result<Accepted, SendError> {
        let c = &self.cfg;
        let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", c.base_url.trim_end_matches('/'), c.account_sid);
        let mut form = vec![("To", msg.to.as_str()), ("Body", msg.text.as_str())];
        match (&c.messaging_service_sid, &c.from) {
            (Some(s), _) => form.push(("MessagingServiceSid", s)),
            (None, Some(f)) => form.push(("From", f)),
            (None, None) => {
                return Err(SendError::Permanent {
                    reason: "twilio: neither from nor messaging_service_sid set".into(),
                });
            }
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| SendError::Permanent { reason: format!("twilio: cannot encode the form: {e}") })?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.account_sid, c.auth_token));
        let req = request(
            "POST",
            &url,
            &[
                ("authorization", format!("Basic {basic}")),
                ("content-type", "application/x-www-form-urlencoded".into()),
                // Twilio's Messages API has no request idempotency: a retry after a lost answer
                // can send the SMS twice (the window the dispatcher's records narrow). The key
                // still travels, for proxies that honour it and for counting in tests.
                ("idempotency-key", msg.idempotency_key.clone()),
            ],
            body.into_bytes(),
        )?;
        let reply = self.http.send(req).await?;
        classify(&reply, "twilio")?;
        let sid = reply.json().and_then(|v| v["sid"].as_str().map(str::to_owned));
        Ok(Accepted { provider_id: sid })
    }
}

impl Channel for Twilio {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(msg))
    }
}
