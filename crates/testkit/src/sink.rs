//! A generic HTTP receiver: records method, path, headers and body of every request and
//! answers with a configurable reply. It is the generic templated-HTTP SMS provider and the
//! webhook receiver (see [`crate::webhook`] for signature checks).

use std::io;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::recorder::Recorder;
use crate::server::BoxFuture;

type Responder = Box<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>;

struct Sink {
    reply: Mutex<HttpResponse>,
    responder: Mutex<Option<Responder>>,
    received: Recorder<HttpRequest>,
}

impl Provider for Sink {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move {
            let answer = match &*self.responder.lock().unwrap_or_else(|e| e.into_inner()) {
                Some(f) => f(&req),
                None => self.reply.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            };
            self.received.push(req);
            answer
        })
    }

    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse {
        let r = HttpResponse::json(status, &json!({ "error": status }));
        match retry_after {
            Some(s) => r.with_header("retry-after", s.to_string()),
            None => r,
        }
    }
}

/// Records every request it accepts; answers `200 {"ok":true}` unless told otherwise.
pub struct HttpSink {
    http: HttpFake,
    inner: Arc<Sink>,
}

impl Deref for HttpSink {
    type Target = HttpFake;
    fn deref(&self) -> &HttpFake {
        &self.http
    }
}

impl HttpSink {
    pub async fn start() -> io::Result<Self> {
        let inner = Arc::new(Sink {
            reply: Mutex::new(HttpResponse::json(200, &json!({ "ok": true }))),
            responder: Mutex::new(None),
            received: Recorder::new(),
        });
        Ok(Self { http: HttpFake::start(inner.clone()).await?, inner })
    }

    /// The answer given to every accepted request from now on.
    pub fn set_reply(&self, reply: HttpResponse) {
        *self.inner.reply.lock().unwrap_or_else(|e| e.into_inner()) = reply;
    }

    /// Answers each accepted request with `f(request)` (e.g. an id derived from the body, as
    /// a generic SMS gateway would return); replaces [`HttpSink::set_reply`].
    pub fn set_responder(&self, f: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static) {
        *self.inner.responder.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(f));
    }

    /// Accepted requests (faulted ones are only in [`HttpFake::requests`]).
    pub fn received(&self) -> &Recorder<HttpRequest> {
        &self.inner.received
    }

    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<HttpRequest> {
        self.inner.received.wait_for(n, timeout).await
    }
}
