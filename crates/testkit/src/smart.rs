//! A SMART Scheduling Links publisher and FHIR `Slot` search endpoint on loopback.
//!
//! Serves `{url}/$bulk-publish` (the manifest, with absolute file URLs), the NDJSON files it
//! lists, and `{url}/{Type}?status=…` as a FHIR R4 searchset Bundle. Answers carry `ETag`,
//! `Last-Modified` and, when set, `Cache-Control: max-age`; `If-None-Match` and
//! `If-Modified-Since` give 304, and `_since` on the manifest lists only files changed after
//! that instant. The test changes the data between polls ([`SmartFeed::set_file`],
//! [`SmartFeed::set_slot_status`], …); each change gets a new ETag and modification time.
//! (`Last-Modified` has one-second resolution, as HTTP dates do: rely on ETags or `_since`
//! when a test changes data within a second.)

use std::io;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use jiff::fmt::rfc2822::{DateTimeParser, DateTimePrinter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::http::{HttpFake, HttpRequest, HttpResponse, Provider};
use crate::server::BoxFuture;

/// The real example feed of the SMART Scheduling Links project (`fixtures/`), by file name.
pub const FIXTURES: [(&str, &str, &str); 8] = [
    ("$bulk-publish", "manifest", include_str!("../fixtures/smart-scheduling-links/$bulk-publish")),
    ("locations.ndjson", "Location", include_str!("../fixtures/smart-scheduling-links/locations.ndjson")),
    ("schedules.ndjson", "Schedule", include_str!("../fixtures/smart-scheduling-links/schedules.ndjson")),
    ("slots-2021-W09.ndjson", "Slot", include_str!("../fixtures/smart-scheduling-links/slots-2021-W09.ndjson")),
    ("slots-2021-W10.ndjson", "Slot", include_str!("../fixtures/smart-scheduling-links/slots-2021-W10.ndjson")),
    ("slots-2021-W11.ndjson", "Slot", include_str!("../fixtures/smart-scheduling-links/slots-2021-W11.ndjson")),
    ("slots-2021-W12.ndjson", "Slot", include_str!("../fixtures/smart-scheduling-links/slots-2021-W12.ndjson")),
    ("slots-2021-W13.ndjson", "Slot", include_str!("../fixtures/smart-scheduling-links/slots-2021-W13.ndjson")),
];

/// The text of one fixture file (e.g. `"slots-2021-W09.ndjson"`).
pub fn fixture(name: &str) -> Option<&'static str> {
    FIXTURES.iter().find(|(n, ..)| *n == name).map(|(_, _, t)| *t)
}

#[derive(Clone, Debug)]
struct FeedFile {
    name: String,
    kind: String,
    body: String,
    etag: String,
    modified: Timestamp,
}

struct FeedState {
    files: Vec<FeedFile>,
    max_age: Option<u64>,
    manifest_modified: Timestamp,
}

struct Feed {
    state: Mutex<FeedState>,
}

impl Feed {
    fn lock(&self) -> MutexGuard<'_, FeedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn etag_of(body: &str) -> String {
    let h = Sha256::digest(body.as_bytes());
    format!("\"{}\"", &hex::encode(h)[..20])
}

fn outcome(status: u16, code: &str, text: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        &json!({
            "resourceType": "OperationOutcome",
            "issue": [{ "severity": "error", "code": code, "diagnostics": text }],
        }),
    )
}

fn http_date(t: &Timestamp) -> String {
    DateTimePrinter::new().timestamp_to_rfc9110_string(t).unwrap_or_default()
}

/// 304 when the client's validators still match.
fn not_modified(req: &HttpRequest, etag: &str, modified: &Timestamp) -> bool {
    if let Some(inm) = req.header("if-none-match") {
        return inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        });
    }
    req.header("if-modified-since")
        .and_then(|v| DateTimeParser::new().parse_timestamp(v).ok())
        .is_some_and(|ims| ims.as_second() >= modified.as_second())
}

impl Feed {
    fn answer(&self, req: &HttpRequest) -> HttpResponse {
        if req.method != "GET" && req.method != "HEAD" {
            return outcome(405, "not-supported", "only GET");
        }
        let base = match req.header("host") {
            Some(h) => format!("http://{h}"),
            None => String::new(),
        };
        let st = self.lock();
        let path = req.path.trim_start_matches('/');
        let path = path.replace("%24", "$");
        let (body, ctype, etag, modified) = if path == "$bulk-publish" {
            let since = match req.query_param("_since") {
                None => None,
                Some(s) => match s.parse::<Timestamp>() {
                    Ok(t) => Some(t),
                    Err(_) => return outcome(400, "invalid", &format!("bad _since {s:?}")),
                },
            };
            let output: Vec<Value> = st
                .files
                .iter()
                .filter(|f| since.is_none_or(|s| f.modified > s))
                .map(|f| json!({ "type": f.kind, "url": format!("{base}/{}", f.name) }))
                .collect();
            let manifest = json!({
                "transactionTime": st.manifest_modified.to_string(),
                "request": format!("{base}/$bulk-publish"),
                "output": output,
                "error": [],
            });
            let body = serde_json::to_string_pretty(&manifest).unwrap_or_default();
            let etag = etag_of(&body);
            (body, "application/json", etag, st.manifest_modified)
        } else if let Some(f) = st.files.iter().find(|f| f.name == path) {
            (f.body.clone(), "application/fhir+ndjson", f.etag.clone(), f.modified)
        } else if !path.is_empty() && !path.contains('/') && !path.contains('.') {
            let bundle = search(&st.files, &path, req, &base);
            let body = bundle.to_string();
            let etag = etag_of(&body);
            (body, "application/fhir+json", etag, st.manifest_modified)
        } else {
            return outcome(404, "not-found", &format!("no file {path}"));
        };
        let mut reply = if not_modified(req, &etag, &modified) {
            HttpResponse { status: 304, headers: Vec::new(), body: Vec::new() }
        } else {
            HttpResponse { status: 200, headers: vec![("content-type".into(), ctype.into())], body: body.into_bytes() }
        };
        reply = reply.with_header("etag", etag).with_header("last-modified", http_date(&modified));
        if let Some(age) = st.max_age {
            reply = reply.with_header("cache-control", format!("max-age={age}"));
        }
        if req.method == "HEAD" {
            reply.body.clear();
        }
        reply
    }
}

/// `GET /{Type}?status=free&…` over every file's resources of that type, as a searchset.
fn search(files: &[FeedFile], kind: &str, req: &HttpRequest, base: &str) -> Value {
    let filters: Vec<(String, String)> = req.query_pairs().into_iter().filter(|(k, _)| !k.starts_with('_')).collect();
    let entries: Vec<Value> = files
        .iter()
        .flat_map(|f| f.body.lines())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["resourceType"] == json!(kind))
        .filter(|r| {
            filters.iter().all(|(k, v)| match r.get(k) {
                Some(Value::String(s)) => s == v,
                Some(other) => serde_json::from_str::<Value>(v).is_ok_and(|p| &p == other),
                None => false,
            })
        })
        .map(|r| {
            let url = format!("{base}/{kind}/{}", r["id"].as_str().unwrap_or(""));
            json!({ "fullUrl": url, "resource": r, "search": { "mode": "match" } })
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": entries.len(),
        "link": [{ "relation": "self", "url": format!("{base}/{kind}?{}", req.query.clone().unwrap_or_default()) }],
        "entry": entries,
    })
}

impl Provider for Feed {
    fn handle(self: Arc<Self>, req: HttpRequest) -> BoxFuture<HttpResponse> {
        Box::pin(async move { self.answer(&req) })
    }

    fn error(&self, status: u16, retry_after: Option<u64>) -> HttpResponse {
        let r = outcome(status, "transient", "fault mode");
        match retry_after {
            Some(s) => r.with_header("retry-after", s.to_string()),
            None => r,
        }
    }
}

/// The fake publisher. Dereferences to [`HttpFake`] for fault switches and the request log.
pub struct SmartFeed {
    http: HttpFake,
    inner: Arc<Feed>,
}

impl Deref for SmartFeed {
    type Target = HttpFake;
    fn deref(&self) -> &HttpFake {
        &self.http
    }
}

impl SmartFeed {
    /// An empty feed (a manifest with no files).
    pub async fn start() -> io::Result<Self> {
        let inner = Arc::new(Feed {
            state: Mutex::new(FeedState { files: Vec::new(), max_age: None, manifest_modified: Timestamp::now() }),
        });
        Ok(Self { http: HttpFake::start(inner.clone()).await?, inner })
    }

    /// A feed serving the SMART example data (9 locations, 9 schedules, 5 weeks of slots).
    pub async fn start_with_fixtures() -> io::Result<Self> {
        let feed = Self::start().await?;
        for (name, kind, text) in FIXTURES.iter().filter(|(_, k, _)| *k != "manifest") {
            feed.set_file(name, kind, text);
        }
        Ok(feed)
    }

    /// A feed serving [`crate::smart_data::messy_feed`] (one of each real-world defect).
    pub async fn start_messy(day_start: Timestamp) -> io::Result<(Self, crate::smart_data::MessyFeed)> {
        let feed = Self::start().await?;
        let messy = crate::smart_data::messy_feed(day_start);
        for (name, kind, body) in &messy.files {
            feed.set_file(name, kind, body);
        }
        Ok((feed, messy))
    }

    /// The manifest URL, `{url}/$bulk-publish`.
    pub fn manifest_url(&self) -> String {
        format!("{}/$bulk-publish", self.http.url())
    }

    /// Adds or replaces a file of resources of `kind` (`Location`, `Schedule`, `Slot`). A
    /// real change gets a new ETag and modification time; the same content changes nothing.
    pub fn set_file(&self, name: &str, kind: &str, body: &str) {
        let mut st = self.inner.lock();
        let now = Timestamp::now();
        let etag = etag_of(body);
        match st.files.iter_mut().find(|f| f.name == name) {
            Some(f) if f.etag == etag && f.kind == kind => return,
            Some(f) => {
                f.kind = kind.into();
                f.body = body.into();
                f.etag = etag;
                f.modified = now;
            }
            None => {
                st.files.push(FeedFile { name: name.into(), kind: kind.into(), body: body.into(), etag, modified: now })
            }
        }
        st.manifest_modified = now;
    }

    /// Drops a file from the manifest (it then answers 404).
    pub fn remove_file(&self, name: &str) {
        let mut st = self.inner.lock();
        st.files.retain(|f| f.name != name);
        st.manifest_modified = Timestamp::now();
    }

    /// The current text of a file.
    pub fn file(&self, name: &str) -> Option<String> {
        self.inner.lock().files.iter().find(|f| f.name == name).map(|f| f.body.clone())
    }

    /// Rewrites a file through `edit`.
    pub fn edit_file(&self, name: &str, edit: impl FnOnce(&str) -> String) {
        let (kind, body) = {
            let st = self.inner.lock();
            let Some(f) = st.files.iter().find(|f| f.name == name) else {
                panic!("no feed file {name}");
            };
            (f.kind.clone(), f.body.clone())
        };
        self.set_file(name, &kind, &edit(&body));
    }

    /// Sets the `status` (`free`/`busy`) of the Slot with this id, wherever it is; returns
    /// whether it was found.
    pub fn set_slot_status(&self, slot_id: &str, status: &str) -> bool {
        let names: Vec<String> =
            self.inner.lock().files.iter().filter(|f| f.kind == "Slot").map(|f| f.name.clone()).collect();
        let mut found = false;
        for name in names {
            let Some(body) = self.file(&name) else {
                continue;
            };
            let mut changed = false;
            // Line by line, keeping every other byte as it was, so only this file changes.
            let next: String = body
                .split_inclusive('\n')
                .map(|l| match serde_json::from_str::<Value>(l.trim_end()) {
                    Ok(mut v) if v["id"] == json!(slot_id) => {
                        changed = true;
                        v["status"] = json!(status);
                        let end = if l.ends_with('\n') { "\n" } else { "" };
                        format!("{v}{end}")
                    }
                    _ => l.to_owned(),
                })
                .collect();
            if changed {
                found = true;
                self.edit_file(&name, |_| next);
            }
        }
        found
    }

    /// `Cache-Control: max-age` on every answer (`None`: no header).
    pub fn set_max_age(&self, secs: Option<u64>) {
        self.inner.lock().max_age = secs;
    }

    /// Waits until `path` was requested `n` times (faulted requests included).
    pub async fn wait_for_polls(&self, path: &str, n: usize, timeout: std::time::Duration) {
        let path = path.to_owned();
        self.http
            .requests()
            .wait_until(timeout, |all| all.iter().filter(|r| r.path.replace("%24", "$") == path).count() >= n)
            .await;
    }

    /// The shortest time between two requests for `path` (to check a poller's manners);
    /// `None` with fewer than two requests.
    pub fn min_poll_interval(&self, path: &str) -> Option<std::time::Duration> {
        let times: Vec<std::time::SystemTime> = self
            .http
            .requests()
            .all()
            .iter()
            .filter(|r| r.path.replace("%24", "$") == path)
            .map(|r| r.received_at)
            .collect();
        times.windows(2).filter_map(|w| w[1].duration_since(w[0]).ok()).min()
    }

    /// How many GET requests reached `path` (e.g. `"/$bulk-publish"`), faulted ones included.
    pub fn polls(&self, path: &str) -> usize {
        self.http.requests().all().iter().filter(|r| r.path.replace("%24", "$") == path).count()
    }
}
