//! A generic SMS gateway spoken to by a templated HTTP request: most local gateways are "call
//! this URL with the number and the text". Placeholders `{to}`, `{text}` and `{id}` (the
//! idempotency key) are filled in the URL (percent-encoded) and the body (escaped for its
//! content type: JSON string contents, form encoding, or as-is for anything else).

use crate::channel::{Accepted, Channel, ChannelKind, Outgoing, SendError};
use crate::http::{Http, classify, request};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpSmsConfig {
    /// e.g. `https://gw.example/send?to={to}` (placeholders allowed).
    pub url: String,
    #[serde(default = "default_method")]
    pub method: String,
    /// e.g. `{"to":"{to}","text":"{text}","ref":"{id}"}`; none for a GET.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// An authentication header, name and value (`Authorization`, `Bearer …`).
    #[serde(default)]
    pub auth_header: Option<String>,
    #[serde(default)]
    pub auth_value: Option<String>,
    /// Where the gateway's id for the message is in a JSON answer (a JSON pointer, `/id`).
    #[serde(default)]
    pub id_pointer: Option<String>,
}

fn default_method() -> String {
    "POST".into()
}

fn default_content_type() -> String {
    "application/json".into()
}

pub struct HttpSms {
    cfg: HttpSmsConfig,
    http: Http,
}

/// Escapes `value` for where it lands.
#[derive(Clone, Copy)]
enum Escape {
    Url,
    Json,
    Form,
    Raw,
}

fn escape(value: &str, how: Escape) -> String {
    match how {
        Escape::Url | Escape::Form => form_urlencoded_component(value),
        Escape::Json => {
            let quoted = serde_json::Value::String(value.to_owned()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
        Escape::Raw => value.to_owned(),
    }
}

fn form_urlencoded_component(value: &str) -> String {
    // serde_urlencoded encodes a pair; take the value half.
    serde_urlencoded::to_string([("v", value)]).map(|s| s[2..].to_owned()).unwrap_or_default()
}

/// Fills the placeholders in one pass, so a `{id}` inside the message text stays text.
fn fill(template: &str, msg: &Outgoing, how: Escape) -> String {
    let mut out = String::with_capacity(template.len() + msg.text.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (value, skip) = if tail.starts_with("{to}") {
            (Some(msg.to.as_str()), 4)
        } else if tail.starts_with("{text}") {
            (Some(msg.text.as_str()), 6)
        } else if tail.starts_with("{id}") {
            (Some(msg.idempotency_key.as_str()), 4)
        } else {
            (None, 1)
        };
        match value {
            Some(v) => out.push_str(&escape(v, how)),
            None => out.push('{'),
        }
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

impl HttpSms {
    pub fn new(cfg: HttpSmsConfig, http: Http) -> HttpSms {
        HttpSms { cfg, http }
    }

    async fn send_one(&self, msg: &Outgoing) -> Result<Accepted, SendError> {
        let c = &self.cfg;
        let url = fill(&c.url, msg, Escape::Url);
        let how = if c.content_type.starts_with("application/json") {
            Escape::Json
        } else if c.content_type.starts_with("application/x-www-form-urlencoded") {
            Escape::Form
        } else {
            Escape::Raw
        };
        let body = c.body.as_deref().map(|b| fill(b, msg, how)).unwrap_or_default();
        let mut headers = vec![("idempotency-key", msg.idempotency_key.clone())];
        if !body.is_empty() {
            headers.push(("content-type", c.content_type.clone()));
        }
        if let (Some(n), Some(v)) = (&c.auth_header, &c.auth_value) {
            headers.push((n.as_str(), v.clone()));
        }
        let req = request(&c.method.to_ascii_uppercase(), &url, &headers, body.into_bytes())?;
        let reply = self.http.send(req).await?;
        classify(&reply, "sms gateway")?;
        let id = c.id_pointer.as_deref().and_then(|p| {
            let v = reply.json()?;
            let found = v.pointer(p)?;
            Some(found.as_str().map(str::to_owned).unwrap_or_else(|| found.to_string()))
        });
        Ok(Accepted { provider_id: id })
    }
}

impl Channel for HttpSms {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Sms
    }

    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>> {
        Box::pin(self.send_one(msg))
    }
}
