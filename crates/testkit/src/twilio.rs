//! A fake Twilio Messages API: `POST {url}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
//! HTTP Basic `AccountSid:AuthToken`, form fields `To`, `From` (or `MessagingServiceSid`),
//! `Body`, optional `StatusCallback`. Errors in Twilio's JSON shape. Delivery reports are
//! pushed to the `StatusCallback` URL by [`TwilioFake::report_status`], signed with
//! `X-Twilio-Signature` as Twilio signs them.

use std::io;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;
use crate::sms::{Sms, is_e164};
use base64::Engine;
use hmac::{Hmac, Mac};
use std::collections::HashMap;
use std::sync::Mutex;

struct Twilio {
    account_sid: String,
    auth_token: String,
    next: AtomicU64,
    sent: Recorder<Sms>,
    /// Message SID → its StatusCallback URL, for delivery reports.
    callbacks: Mutex<HashMap<String, String>>,
}

/// `X-Twilio-Signature`: Base64 of HMAC-SHA1 (key: the auth token) over the full URL followed
/// by every POST parameter's name and value, sorted by name.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn twilio_error(status: u16, code: u32, message: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status,
        }),
    )
}

impl Twilio {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let segs = req.segments();
        let sid = match segs.as_slice() {
            ["2010-04-01", "Accounts", sid, "Messages.json"] => *sid,
            _ => {
                return twilio_error(404, 20404, &format!("The requested resource {} was not found", req.path));
            }
        };
        let authed = req.basic_auth().is_some_and(|(u, p)| u == self.account_sid && p == self.auth_token);
        if !authed || sid != self.account_sid {
            return twilio_error(401, 20003, "Authenticate");
        }
        if req.method != "POST" {
            return twilio_error(405, 20004, "Method not allowed");
        }
        let to = req.form_field("To").unwrap_or_default();
        let from = req.form_field("From");
        let service = req.form_field("MessagingServiceSid");
        let body = req.form_field("Body").unwrap_or_default();
        if to.is_empty() {
            return twilio_error(400, 21604, "A 'To' phone number is required.");
        }
        if !is_e164(&to) {
            return twilio_error(400, 21211, &format!("Invalid 'To' Phone Number: {to}"));
        }
        if from.is_none() && service.is_none() {
            return twilio_error(400, 21603, "A 'From' phone number is required.");
        }
        if body.is_empty() && req.form_field("MediaUrl").is_none() {
            return twilio_error(400, 21602, "Message body is required.");
        }
        if body.chars().count() > 1600 {
            return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let message_sid = format!("SM{n:032x}");
        let date = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S +0000").to_string();
        let segments = body.chars().count().div_ceil(160).max(1);
        if let Some(cb) = req.form_field("StatusCallback") {
            self.callbacks.lock().unwrap_or_else(|e| e.into_inner()).insert(message_sid.clone(), cb);
        }
        self.sent.push(Sms {
            id: message_sid.clone(),
            to: to.clone(),
            from: from.clone(),
            body: body.clone(),
            request: req.clone(),
        });
        HttpResponse::json(
            201,
            &json!({
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": date,
                "date_sent": null,
                "date_updated": date,
                "direction": "outbound-api",
                "error_code": null,
                "error_message": null,
                "from": from,
                "messaging_service_sid": service,
                "num_media": "0",
                "num_segments": segments.to_string(),
                "price": null,
                "price_unit": "USD",
                "sid": message_sid,
                "status": "queued",
                "subresource_uris": {
                    "media": format!("/2010-04-01/Accounts/{sid}/Messages/{message_sid}/Media.json")
                },
                "to": to,
                "uri": format!("/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json"),
            }),
        )
    }
}

impl Provider for Twilio {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move { self.answer(&req) })
    }

    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse {
        match retry_after {
            Some(s) => twilio_error(429, 20429, "Too Many Requests").with_header("retry-after", s.to_string()),
            None => twilio_error(status, 20500, "Internal Server Error"),
        }
    }
}

/// Fake Twilio: `POST {url}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic
/// `AccountSid:AuthToken`, form fields `To`, `From` (or `MessagingServiceSid`), `Body`.
pub struct TwilioFake {
    http: HttpFake,
    inner: Arc<Twilio>,
}

impl Deref for TwilioFake {
    type Target = HttpFake;
    fn deref(&self) -> &HttpFake {
        &self.http
    }
}

impl TwilioFake {
    pub async fn start(account_sid: &str, auth_token: &str) -> io::Result<Self> {
        let inner = Arc::new(Twilio {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            next: AtomicU64::new(1),
            sent: Recorder::new(),
            callbacks: Mutex::new(HashMap::new()),
        });
        Ok(Self { http: HttpFake::start(inner.clone()).await?, inner })
    }

    /// Accepted messages.
    pub fn sent(&self) -> &Recorder<Sms> {
        &self.inner.sent
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Sms> {
        self.inner.sent.wait_for(n, timeout).await
    }

    /// Posts a status report (`sent`, `delivered`, `undelivered`, `failed`) for message `sid`
    /// to the `StatusCallback` URL it was sent with, signed as Twilio signs it; returns the
    /// receiver's HTTP status.
    pub async fn report_status(&self, sid: &str, status: &str) -> Result<u16, String> {
        let url = self
            .inner
            .callbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sid)
            .cloned()
            .ok_or_else(|| format!("message {sid} has no StatusCallback"))?;
        let sms = self.inner.sent.all().into_iter().find(|m| m.id == sid).ok_or_else(|| format!("no message {sid}"))?;
        let mut params: Vec<(String, String)> = [
            ("AccountSid", self.inner.account_sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("From", sms.from.as_deref().unwrap_or("")),
            ("MessageSid", sid),
            ("MessageStatus", status),
            ("SmsSid", sid),
            ("SmsStatus", status),
            ("To", sms.to.as_str()),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        if matches!(status, "undelivered" | "failed") {
            params.push(("ErrorCode".into(), "30003".into()));
        }
        let signature = twilio_signature(&self.inner.auth_token, &url, &params);
        let body = serde_urlencoded::to_string(&params).map_err(|e| e.to_string())?;
        let r = reqwest::Client::new()
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(r.status().as_u16())
    }
}
