//! A fake Kavenegar REST API: `POST|GET {url}/v1/{API-KEY}/sms/send.json` with `receptor`
//! (comma-separated), `sender`, `message`; `…/sms/status.json?messageid=…` reports delivery
//! as set by [`KavenegarFake::set_status`]. Answers and errors in Kavenegar's
//! `{"return":{…},"entries":…}` shape.

use std::io;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;
use crate::sms::Sms;
use std::collections::HashMap;
use std::sync::Mutex;

struct Kavenegar {
    api_key: String,
    next: AtomicU64,
    sent: Recorder<Sms>,
    /// Message id → Kavenegar status code (1 queued, 10 delivered, 11 undelivered, 6 failed…).
    statuses: Mutex<HashMap<u64, i64>>,
}

fn status_text(code: i64) -> &'static str {
    match code {
        1 => "در صف ارسال",
        2 => "زمان بندی شده",
        4 | 5 => "ارسال شده به مخابرات",
        6 => "خطا در ارسال پیام",
        10 => "رسیده به گیرنده",
        11 => "نرسیده به گیرنده",
        13 => "ارسال پیام از سمت کاربر لغو شده",
        14 => "بلاک شده",
        _ => "شناسه پیامک نامعتبر است",
    }
}

fn kave_error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::json(status, &json!({ "return": { "status": status, "message": message }, "entries": null }))
}

impl Kavenegar {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let segs = req.segments();
        let (key, method) = match segs.as_slice() {
            ["v1", key, "sms", m @ ("send.json" | "status.json")] => (*key, *m),
            _ => return kave_error(404, "متد یا آدرس درخواستی یافت نشد"),
        };
        if key != self.api_key {
            return kave_error(403, "کد شناسائی API-Key معتبر نمی‌باشد");
        }
        if method == "status.json" {
            return self.status(req);
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
            self.statuses.lock().unwrap_or_else(|e| e.into_inner()).insert(id, 1);
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

impl Kavenegar {
    fn status(&self, req: &HttpRequest) -> HttpResponse {
        let ids = req.params().get("messageid").and_then(Value::as_str).unwrap_or("").to_owned();
        if ids.is_empty() {
            return kave_error(400, "پارامترها ناقص هستند");
        }
        let statuses = self.statuses.lock().unwrap_or_else(|e| e.into_inner());
        let entries: Vec<Value> = ids
            .split(',')
            .map(|id| {
                let code = id.trim().parse::<u64>().ok().and_then(|n| statuses.get(&n).copied()).unwrap_or(100);
                json!({ "messageid": id.trim().parse::<u64>().unwrap_or(0), "status": code,
                        "statustext": status_text(code) })
            })
            .collect();
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
        let inner = Arc::new(Kavenegar {
            api_key: api_key.into(),
            next: AtomicU64::new(1),
            sent: Recorder::new(),
            statuses: Mutex::new(HashMap::new()),
        });
        Ok(Self { http: HttpFake::start(inner.clone()).await?, inner })
    }

    /// Accepted messages, one per receptor.
    pub fn sent(&self) -> &Recorder<Sms> {
        &self.inner.sent
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Sms> {
        self.inner.sent.wait_for(n, timeout).await
    }

    /// Sets what `status.json` reports for a message id (10 delivered, 11 undelivered, 6
    /// failed, …).
    pub fn set_status(&self, message_id: &str, code: i64) {
        if let Ok(id) = message_id.parse() {
            self.inner.statuses.lock().unwrap_or_else(|e| e.into_inner()).insert(id, code);
        }
    }
}
