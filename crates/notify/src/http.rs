//! The HTTP client every HTTP channel shares: hyper over rustls (ring provider, Mozilla roots
//! compiled in, so a container without a CA bundle still reaches https endpoints), one
//! deadline per request, and the mapping of outcomes to [`SendError`] that the dispatcher's
//! retry policy relies on.

use crate::channel::SendError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{HeaderMap, RETRY_AFTER};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// Default deadline for one request, connect to last body byte. Providers answer in well
/// under a second; a send that hangs must free its dispatcher slot and be retried later.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An answer: status, headers, body (already read in full).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare from APIs and ignored).
    pub fn retry_after(&self) -> Option<Duration> {
        let v = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        v.trim().parse::<u64>().ok().map(Duration::from_secs)
    }

    /// A short excerpt of the body for error reasons (providers explain themselves there).
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(300).collect()
    }
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Http {
    client: Client<Connector, Full<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").field("timeout", &self.timeout).finish()
    }
}

impl Http {
    pub fn new(timeout: Duration) -> Http {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        // The ring provider passed explicitly: no process-wide default needed, no aws-lc-rs.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .expect("ring supports the default TLS versions")
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https);
        Http { client, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `req` and reads the whole answer within the deadline. Every failure to get an
    /// answer (refused, reset, timed out, cut off mid-body) is transient: the provider may
    /// or may not have taken the message, and the idempotency key sent with it is what lets
    /// a retry be recognised.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<Reply, SendError> {
        let target = format!("{} {}", req.method(), redact(&req.uri().to_string()));
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| describe(&e))?;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.map_err(|e| format!("answer cut off: {e}"))?.to_bytes();
            Ok::<_, String>(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(reason)) => Err(SendError::Transient { reason: format!("{target}: {reason}"), after: None }),
            Err(_) => Err(SendError::Transient {
                reason: format!("{target}: no answer within {:?}", self.timeout),
                after: None,
            }),
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Http::new(DEFAULT_TIMEOUT)
    }
}

fn describe(e: &hyper_util::client::legacy::Error) -> String {
    use std::error::Error;
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Tokens travel in some providers' paths (Telegram's `/bot{token}/`, Kavenegar's
/// `/v1/{key}/`): never put them in an error that ends up in the messages table or a log.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let host = rest.split('/').next().unwrap_or("");
    format!("{scheme}://{host}/…")
}

/// The agreed mapping of an HTTP status: 2xx taken; 429, 408 and 5xx worth retrying (with the
/// provider's wait when it gave one); any other status will not change by retrying.
pub fn classify(reply: &Reply, provider: &str) -> Result<(), SendError> {
    match reply.status {
        200..=299 => Ok(()),
        429 | 408 | 500..=599 => Err(SendError::Transient {
            reason: format!("{provider} answered {}: {}", reply.status, reply.excerpt()),
            after: reply.retry_after(),
        }),
        s => Err(SendError::Permanent { reason: format!("{provider} answered {s}: {}", reply.excerpt()) }),
    }
}

/// A request with a body and headers; `uri` must be absolute.
pub fn request(
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<Request<Full<Bytes>>, SendError> {
    let mut b = Request::builder().method(method).uri(uri);
    for (n, v) in headers {
        b = b.header(*n, v.as_str());
    }
    b.body(Full::new(Bytes::from(body)))
        .map_err(|e| SendError::Permanent { reason: format!("cannot build the request to {}: {e}", redact(uri)) })
}
