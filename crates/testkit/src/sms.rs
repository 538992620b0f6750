//! SMS gateways: Twilio's Messages API and Kavenegar's REST API, each with its real paths,
//! authentication, answers and error shapes. (The generic templated-HTTP provider is served
//! by [`crate::sink::HttpSink`].)

use std::io;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;

/// One SMS a gateway accepted.
#[derive(Clone, Debug)]
pub struct Sms {
    /// The gateway's id for it (`SM…` for Twilio, a number for Kavenegar).
    pub id: String,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    /// The request that carried it (headers, for idempotency keys).
    pub request: HttpRequest,
}

/// E.164: `+` and 8 to 15 digits, first not 0.
pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

// ---------------- Twilio ----------------

struct Twilio {
    account_sid: String,
    auth_token: String,
    next: AtomicU64,
    sent: Recorder<Sms>,
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
}

// ---------------- Kavenegar ----------------

struct Kavenegar {
    api_key: String,
    next: AtomicU64,
    sent: Recorder<Sms>,
}

fn kave_error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::json(status, &json!({ "return": { "status": status, "message": message }, "entries": null }))
}

impl Kavenegar {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let segs = req.segments();
        let key = match segs.as_slice() {
            ["v1", key, "sms", "send.json"] => *key,
            _ => return kave_error(404, "متد یا آدرس درخواستی یافت نشد"),
        };
        if key != self.api_key {
            return kave_error(403, "کد شناسائی API-Key معتبر نمی‌باشد");
        }
        // Parameters come as a form (POST) or a query string (GET); both are documented.
        let p = req.params();
        let get = |n: &str| p.get(n).and_then(Value::as_str).unwrap_or("").to_owned();
        let (receptors, sender, message) = (get("receptor"), get("sender"), get("message"));
        if receptors.is_empty() || message.is_empty() {
            return kave_error(400, "پارامترها ناقص هستند");
        }
        let receptors: Vec<&str> = receptors.split(',').map(str::trim).collect();
        if receptors.len() > 200 {
            return kave_error(414, "تعداد دریافت کنندگان بیش از حد مجاز است");
        }
        let valid = |r: &str| {
            let d = r.strip_prefix('+').unwrap_or(r);
            (10..=14).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit())
        };
        if receptors.iter().any(|r| !valid(r)) {
            return kave_error(411, "دریافت کننده نامعتبر است");
        }
        let date = jiff::Timestamp::now().as_second();
        let mut entries = Vec::new();
        for r in receptors {
            let id = self.next.fetch_add(1, Ordering::Relaxed) + 8_792_343_000;
            self.sent.push(Sms {
                id: id.to_string(),
                to: r.to_owned(),
                from: (!sender.is_empty()).then(|| sender.clone()),
                body: message.clone(),
                request: req.clone(),
            });
            entries.push(json!({
                "messageid": id,
                "message": message,
                "status": 1,
                "statustext": "در صف ارسال",
                "sender": if sender.is_empty() { "10004346".to_owned() } else { sender.clone() },
                "receptor": r,
                "date": date,
                "cost": 1200,
            }));
        }
        HttpResponse::json(200, &json!({ "return": { "status": 200, "message": "تایید شد" }, "entries": entries }))
    }
}

impl Provider for Kavenegar {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move { self.answer(&req) })
    }

    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse {
        match retry_after {
            Some(s) => kave_error(429, "تعداد درخواست‌ها بیش از حد مجاز است").with_header("retry-after", s.to_string()),
            None => kave_error(status, "خطای داخلی سرور"),
        }
    }
}

/// Fake Kavenegar: `POST {url}/v1/{API-KEY}/sms/send.json` with `receptor` (comma-separated),
/// `sender`, `message`.
pub struct KavenegarFake {
    http: HttpFake,
    inner: Arc<Kavenegar>,
}

impl Deref for KavenegarFake {
    type Target = HttpFake;
    fn deref(&self) -> &HttpFake {
        &self.http
    }
}

impl KavenegarFake {
    pub async fn start(api_key: &str) -> io::Result<Self> {
        let inner = Arc::new(Kavenegar { api_key: api_key.into(), next: AtomicU64::new(1), sent: Recorder::new() });
        Ok(Self { http: HttpFake::start(inner.clone()).await?, inner })
    }

    /// Accepted messages, one per receptor.
    pub fn sent(&self) -> &Recorder<Sms> {
        &self.inner.sent
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Sms> {
        self.inner.sent.wait_for(n, timeout).await
    }
}
