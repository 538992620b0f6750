//! The HTTP layer shared by the HTTP fakes: recording, fault modes, lifecycle. Each provider
//! only says how to answer a request and how its errors look.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::fault::{Fault, Faults};
use crate::recorder::Recorder;
use crate::server::{BoxFuture, ConnFn, Server};

/// One HTTP request as the fake received it.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: String,
    /// The path, percent-encoding kept as sent.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received_at: SystemTime,
}

impl HttpRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body parsed as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        serde_urlencoded::from_bytes(&self.body).unwrap_or_default()
    }

    /// One field of a form body.
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The decoded query string pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Non-empty path segments.
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }

    /// The token of an `Authorization: Bearer …` header.
    pub fn bearer(&self) -> Option<&str> {
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
    }

    /// User and password of an `Authorization: Basic …` header.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let v = self.header("authorization")?;
        let (scheme, b64) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (user, pass) = raw.split_once(':')?;
        Some((user.to_owned(), pass.to_owned()))
    }

    /// Form or JSON body fields, whichever the request carries, plus query parameters: how
    /// APIs such as the Bot API accept parameters.
    pub fn params(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        for (k, v) in self.query_pairs() {
            map.insert(k, Value::String(v));
        }
        let ctype = self.header("content-type").unwrap_or("").to_ascii_lowercase();
        if ctype.starts_with("application/json") {
            if let Some(Value::Object(obj)) = self.json() {
                map.extend(obj);
            }
        } else if !self.body.is_empty() {
            for (k, v) in self.form() {
                map.insert(k, Value::String(v));
            }
        }
        map
    }
}

/// An answer a provider gives.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(status: u16, value: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }
}

/// What a provider fake implements: its normal answers and the shape of its errors.
pub(crate) trait Provider: Send + Sync + 'static {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse>;
    /// The provider's error answer for `status` (5xx or 429 with `retry_after` seconds).
    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse;
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault mode")
    }
}

impl std::error::Error for Dropped {}

/// The part common to every HTTP fake: address, the log of every request (faulted ones too),
/// fault switches and the stop/restart switch. Provider fakes dereference to it.
pub struct HttpFake {
    server: Server,
    faults: Arc<Faults>,
    requests: Arc<Recorder<HttpRequest>>,
}

impl HttpFake {
    pub(crate) async fn start<P: Provider>(provider: Arc<P>) -> io::Result<Self> {
        let faults = Arc::new(Faults::default());
        let requests = Arc::new(Recorder::new());
        let (f, r) = (faults.clone(), requests.clone());
        let serve: ConnFn = Arc::new(move |stream| {
            let (p, f, r) = (provider.clone(), f.clone(), r.clone());
            Box::pin(async move {
                let svc = service_fn(move |req| answer(p.clone(), f.clone(), r.clone(), req));
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
            })
        });
        Ok(Self { server: Server::start(serve).await?, faults, requests })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Every request that reached the fake, including the ones a fault answered.
    pub fn requests(&self) -> &Recorder<HttpRequest> {
        &self.requests
    }

    /// The next `n` requests get `status` (e.g. 500, 502, 503) in the provider's error shape.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.faults.push(Fault::Status(status), n);
    }

    /// The next `n` requests get 429 saying to retry after `retry_after` seconds.
    pub fn rate_limit_next(&self, n: usize, retry_after: u64) {
        self.faults.push(Fault::TooManyRequests { retry_after }, n);
    }

    /// The next `n` requests hang for `d`, then the connection closes unanswered.
    pub fn hang_next(&self, n: usize, d: Duration) {
        self.faults.push(Fault::Hang(d), n);
    }

    /// The next `n` requests have their connection closed unanswered.
    pub fn drop_next(&self, n: usize) {
        self.faults.push(Fault::Drop, n);
    }

    /// The next `n` requests are accepted (recorded as received) but never answered.
    pub fn accept_then_drop_next(&self, n: usize) {
        self.faults.push(Fault::AcceptThenDrop, n);
    }

    /// For the next `d`, every request gets `status` ("the provider is down for a while").
    pub fn fail_for(&self, d: Duration, status: u16) {
        self.faults.set_window(d, Fault::Status(status));
    }

    /// For the next `d`, every request hangs until `d` has passed, then is dropped
    /// unanswered.
    pub fn hang_for(&self, d: Duration) {
        self.faults.set_window(d, Fault::Hang(d));
    }

    /// For the next `d`, every request meets `fault` (e.g. 429s for a while).
    pub fn fault_for(&self, d: Duration, fault: Fault) {
        self.faults.set_window(d, fault);
    }

    /// Queues any fault `n` times.
    pub fn fault_next(&self, n: usize, fault: Fault) {
        self.faults.push(fault, n);
    }

    /// Every answer is delayed by `d` ("slow provider"); `Duration::ZERO` turns it off.
    pub fn set_delay(&self, d: Duration) {
        self.faults.set_delay(d);
    }

    /// Forgets queued faults and the delay.
    pub fn clear_faults(&self) {
        self.faults.clear();
    }

    /// Faults queued and not yet consumed.
    pub fn pending_faults(&self) -> usize {
        self.faults.pending()
    }

    /// Stop listening: connections are refused until [`HttpFake::restart`].
    pub async fn stop(&self) {
        self.server.stop().await;
    }

    /// Listen again on the same port.
    pub async fn restart(&self) -> io::Result<()> {
        self.server.restart().await
    }

    pub fn is_running(&self) -> bool {
        self.server.is_running()
    }
}

async fn answer<P: Provider>(
    provider: Arc<P>,
    faults: Arc<Faults>,
    requests: Arc<Recorder<HttpRequest>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let request = HttpRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
        received_at: SystemTime::now(),
    };
    requests.push(request.clone());
    let delay = faults.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let reply = match faults.next() {
        None => provider.handle(request).await,
        Some(Fault::Status(s)) => provider.error(s, None),
        Some(Fault::TooManyRequests { retry_after }) => provider.error(429, Some(retry_after)),
        Some(Fault::Hang(d)) => {
            tokio::time::sleep(d).await;
            return Err(Dropped);
        }
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::AcceptThenDrop) => {
            let _ = provider.handle(request).await;
            return Err(Dropped);
        }
    };
    let mut builder = Response::builder().status(reply.status);
    for (n, v) in &reply.headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    builder.body(Full::new(Bytes::from(reply.body))).map_err(|_| Dropped)
}
