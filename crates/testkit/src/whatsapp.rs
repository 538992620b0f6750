//! A fake WhatsApp Cloud API: `POST {url}/{version}/{phone-number-id}/messages` with a Bearer
//! token, answering as Meta's Graph API does (and failing in its error shape).

use std::io;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;

/// One message the fake accepted.
#[derive(Clone, Debug)]
pub struct WaMessage {
    /// `wamid.…` given back to the sender.
    pub id: String,
    pub phone_number_id: String,
    pub to: String,
    /// `template`, `text`, …
    pub kind: String,
    /// Template name (for templates).
    pub template: Option<String>,
    /// Template language code (for templates).
    pub language: Option<String>,
    /// Body parameters' texts in order (for templates), or the text body.
    pub texts: Vec<String>,
    /// The JSON body as sent.
    pub body: Value,
    pub request: HttpRequest,
}

struct WhatsApp {
    phone_number_id: String,
    token: String,
    next: AtomicU64,
    sent: Recorder<WaMessage>,
}

fn graph_error(status: u16, code: u32, kind: &str, message: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({ "error": {
            "message": message,
            "type": kind,
            "code": code,
            "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUvW",
        }}),
    )
}

fn param_error(message: &str) -> HttpResponse {
    graph_error(400, 100, "OAuthException", &format!("(#100) {message}"))
}

impl WhatsApp {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let segs = req.segments();
        let (phone_id, ok_version) = match segs.as_slice() {
            [v, id, "messages"] => (*id, v.starts_with('v')),
            _ => ("", false),
        };
        if !ok_version {
            return graph_error(400, 2500, "OAuthException", "Unknown path components");
        }
        if req.bearer() != Some(self.token.as_str()) {
            return graph_error(401, 190, "OAuthException", "Invalid OAuth access token - Cannot parse access token");
        }
        if phone_id != self.phone_number_id {
            return graph_error(
                400,
                100,
                "GraphMethodException",
                &format!(
                    "Unsupported post request. Object with ID '{phone_id}' does not exist, \
                     cannot be loaded due to missing permissions, or does not support this \
                     operation."
                ),
            );
        }
        let Some(body) = req.json() else {
            return param_error("The parameter messaging_product is required.");
        };
        if body["messaging_product"] != json!("whatsapp") {
            return param_error("The parameter messaging_product is required.");
        }
        let to = body["to"].as_str().unwrap_or("").to_owned();
        if to.is_empty() {
            return param_error("The parameter to is required.");
        }
        let kind = body["type"].as_str().unwrap_or("text").to_owned();
        let (mut template, mut language, mut texts) = (None, None, Vec::new());
        match kind.as_str() {
            "template" => {
                let t = &body["template"];
                let Some(name) = t["name"].as_str() else {
                    return param_error("The parameter template['name'] is required.");
                };
                let Some(code) = t["language"]["code"].as_str() else {
                    return param_error("The parameter template['language'] is required.");
                };
                template = Some(name.to_owned());
                language = Some(code.to_owned());
                for c in t["components"].as_array().into_iter().flatten() {
                    for p in c["parameters"].as_array().into_iter().flatten() {
                        if let Some(s) = p["text"].as_str() {
                            texts.push(s.to_owned());
                        }
                    }
                }
            }
            "text" => {
                let Some(b) = body["text"]["body"].as_str().filter(|b| !b.is_empty()) else {
                    return param_error("The parameter text['body'] is required.");
                };
                texts.push(b.to_owned());
            }
            _ => {}
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("wamid.HBgL{n:020}FQIAERgSQUFBQUFB");
        let wa_id: String = to.chars().filter(char::is_ascii_digit).collect();
        self.sent.push(WaMessage {
            id: id.clone(),
            phone_number_id: phone_id.to_owned(),
            to: to.clone(),
            kind,
            template,
            language,
            texts,
            body,
            request: req.clone(),
        });
        HttpResponse::json(
            200,
            &json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": to, "wa_id": wa_id }],
                "messages": [{ "id": id, "message_status": "accepted" }],
            }),
        )
    }
}

impl Provider for WhatsApp {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move { self.answer(&req) })
    }

    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse {
        match retry_after {
            // Cloud API throughput limit; we add Retry-After so clients can honour it.
            Some(s) => graph_error(429, 130429, "OAuthException", "(#130429) Rate limit hit")
                .with_header("retry-after", s.to_string()),
            None => graph_error(status, 131000, "OAuthException", "(#131000) Something went wrong"),
        }
    }
}

/// The fake Cloud API. Dereferences to [`HttpFake`] for fault switches.
pub struct WhatsAppFake {
    http: HttpFake,
    inner: Arc<WhatsApp>,
}

impl Deref for WhatsAppFake {
    type Target = HttpFake;
    fn deref(&self) -> &HttpFake {
        &self.http
    }
}

impl WhatsAppFake {
    /// Accepts messages for `phone_number_id` with `Authorization: Bearer {token}`.
    pub async fn start(phone_number_id: &str, token: &str) -> io::Result<Self> {
        let inner = Arc::new(WhatsApp {
            phone_number_id: phone_number_id.into(),
            token: token.into(),
            next: AtomicU64::new(1),
            sent: Recorder::new(),
        });
        Ok(Self { http: HttpFake::start(inner.clone()).await?, inner })
    }

    pub fn sent(&self) -> &Recorder<WaMessage> {
        &self.inner.sent
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<WaMessage> {
        self.inner.sent.wait_for(n, timeout).await
    }

    /// Posts a status webhook (`sent`, `delivered`, `read`, `failed`) for message `wamid` to
    /// `webhook_url`, as Meta does: the `whatsapp_business_account` payload, signed with
    /// `X-Hub-Signature-256: sha256=HMAC-SHA256(app_secret, body)`. Returns the HTTP status.
    pub async fn report_status(
        &self,
        wamid: &str,
        status: &str,
        webhook_url: &str,
        app_secret: &str,
    ) -> Result<u16, String> {
        let msg =
            self.inner.sent.all().into_iter().find(|m| m.id == wamid).ok_or_else(|| format!("no message {wamid}"))?;
        let recipient: String = msg.to.chars().filter(char::is_ascii_digit).collect();
        let mut st = json!({
            "id": wamid,
            "status": status,
            "timestamp": jiff::Timestamp::now().as_second().to_string(),
            "recipient_id": recipient,
        });
        if status == "failed" {
            st["errors"] = json!([{ "code": 131026, "title": "Message undeliverable" }]);
        }
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": "102290129340398",
                "changes": [{
                    "field": "messages",
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": msg.phone_number_id,
                        },
                        "statuses": [st],
                    },
                }],
            }],
        })
        .to_string();
        let signature = crate::webhook::hmac_sha256_hex(app_secret.as_bytes(), body.as_bytes());
        let r = reqwest::Client::new()
            .post(webhook_url)
            .header("content-type", "application/json")
            .header("X-Hub-Signature-256", format!("sha256={signature}"))
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(r.status().as_u16())
    }
}
