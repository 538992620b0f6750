//! The poller of followed sources (issue 13): SMART Scheduling Links feeds and FHIR `Slot`
//! searches. Polite by construction: `Cache-Control: max-age`, `ETag` / `If-None-Match`,
//! `If-Modified-Since`, never more than once a minute per file (config
//! `source_min_poll_seconds`), `_since` on the manifest once a full copy is held. One process
//! polls a source at a time (a lease in the `sources` row); the import's diff and its
//! `source.slot_free` events are written by the store in one transaction.

use jiff::{SignedDuration, Timestamp};
use nobat_core::smart::{Feed, ResourceKind, read};
use nobat_notify::http::{Http, Reply, request};
use nobat_store::commands::{ClaimedSource, FetchedFile, ImportedSlot, PollOutcome, SourceCommand};
use nobat_store::reads::StoredFile;
use nobat_store::{Command, Output, Store};
use std::collections::HashMap;
use std::time::Duration;

/// Poller settings (config keys `source_min_poll_seconds`, `source_poll_seconds`,
/// `source_stale_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceSettings {
    /// The least time between two requests for one file. The spec's floor is 60 s; only tests
    /// go lower.
    pub min_poll_seconds: u64,
    /// How often a manifest is polled when the publisher gives no `max-age`.
    pub poll_seconds: u64,
    /// No successful poll for this long: the source is flagged stale.
    pub stale_seconds: u64,
}

impl Default for SourceSettings {
    fn default() -> Self {
        SourceSettings { min_poll_seconds: 60, poll_seconds: 300, stale_seconds: 86_400 }
    }
}

/// The most pages of a FHIR search followed in one poll (a runaway `next` chain stops here).
const MAX_PAGES: usize = 50;

#[derive(Clone)]
pub struct Poller {
    pub store: Store,
    pub http: Http,
    pub settings: SourceSettings,
    /// This process's lease name.
    pub owner: String,
}

/// `max-age` of a `Cache-Control` header, if any.
fn max_age(reply: &Reply) -> Option<u64> {
    let v = reply.headers.get("cache-control")?.to_str().ok()?;
    v.split(',').find_map(|d| d.trim().strip_prefix("max-age=")?.trim().parse().ok())
}

fn header(reply: &Reply, name: &str) -> Option<String> {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// A URL with `name=value` added to its query (for `_since`).
fn with_param(url: &str, name: &str, value: &str) -> String {
    nobat_core::smart::link::merge_query(url, &[(name, value)])
}

impl Poller {
    fn floor(&self) -> SignedDuration {
        SignedDuration::from_secs(self.settings.min_poll_seconds as i64)
    }

    /// When a file answered now may be asked for again: its `max-age`, never sooner than the floor.
    fn next_fetch(&self, now: Timestamp, reply: &Reply) -> Timestamp {
        let age = max_age(reply).map_or(self.floor(), |a| SignedDuration::from_secs(a as i64).max(self.floor()));
        now + age
    }

    /// A conditional GET.
    async fn get(&self, url: &str, stored: Option<&StoredFile>, accept: &str) -> Result<Reply, String> {
        let mut headers = vec![("accept", accept.to_owned()), ("user-agent", "nobat-sources".to_owned())];
        if let Some(f) = stored {
            if let Some(etag) = &f.etag {
                headers.push(("if-none-match", etag.clone()));
            }
            if let Some(lm) = &f.last_modified {
                headers.push(("if-modified-since", lm.clone()));
            }
        }
        let req = request("GET", url, &headers, Vec::new()).map_err(|e| e.to_string())?;
        let reply = self.http.send(req).await.map_err(|e| e.to_string())?;
        match reply.status {
            200 | 304 => Ok(reply),
            s => Err(format!("{} answered {s}", nobat_notify::http::redact(url))),
        }
    }

    /// Claims and polls due sources until none is due. Returns how many were polled.
    pub async fn round(&self) -> anyhow::Result<usize> {
        let mut polled = 0;
        loop {
            let lease = SignedDuration::from_secs(120);
            let cmd = Command::Sources(SourceCommand::Claim { owner: self.owner.clone(), lease });
            let Output::SourceClaim(Some(source)) = self.store.execute(cmd).await? else {
                return Ok(polled);
            };
            let outcome = self.poll(&source).await;
            self.store.execute(Command::Sources(SourceCommand::Record(Box::new(outcome)))).await?;
            polled += 1;
        }
    }

    async fn poll(&self, source: &ClaimedSource) -> PollOutcome {
        let now = Timestamp::now();
        let mut outcome = PollOutcome {
            source: source.id.clone(),
            owner: source.owner.clone(),
            fetched: Vec::new(),
            unchanged: Vec::new(),
            dropped: Vec::new(),
            slots: None,
            skipped: Vec::new(),
            error: None,
            next_poll: now + SignedDuration::from_secs(self.settings.poll_seconds as i64).max(self.floor()),
        };
        let stored: HashMap<String, StoredFile> = match self.store.source_files(&source.id).await {
            Ok(files) => files.into_iter().map(|f| (f.url.clone(), f)).collect(),
            Err(e) => {
                outcome.error = Some(format!("reading the stored files: {e}"));
                outcome.next_poll = now + self.floor();
                return outcome;
            }
        };
        let result = match source.kind.as_str() {
            "fhir" => self.poll_fhir(source, now, &stored, &mut outcome).await,
            _ => self.poll_smart(source, now, &stored, &mut outcome).await,
        };
        if let Err(e) = result {
            tracing::warn!(source = %source.id, error = %e, "source poll failed");
            outcome.error = Some(e);
            outcome.slots = None;
            outcome.fetched.clear();
            outcome.next_poll = now + self.floor();
        }
        outcome
    }

    /// A stored file if it may not be asked for yet, else the answer to a conditional GET:
    /// `Ok(Some(body))` when new, `Ok(None)` when unchanged.
    #[allow(clippy::too_many_arguments)]
    async fn fetch(
        &self,
        url: &str,
        asked: &str,
        kind: &str,
        now: Timestamp,
        stored: &HashMap<String, StoredFile>,
        out: &mut PollOutcome,
        accept: &str,
    ) -> Result<Option<String>, String> {
        let old = stored.get(url);
        if old.is_some_and(|f| f.next_fetch > now) {
            return Ok(None);
        }
        let reply = self.get(asked, old, accept).await?;
        let next = self.next_fetch(now, &reply);
        if reply.status == 304 && old.is_some() {
            out.unchanged.push((url.to_owned(), next));
            return Ok(None);
        }
        let body = String::from_utf8_lossy(&reply.body).into_owned();
        if old.is_some_and(|f| f.body == body) {
            // Same bytes without validators: nothing to re-import.
            out.unchanged.push((url.to_owned(), next));
            return Ok(None);
        }
        out.fetched.push(FetchedFile {
            url: url.to_owned(),
            kind: kind.to_owned(),
            etag: header(&reply, "etag"),
            last_modified: header(&reply, "last-modified"),
            body: body.clone(),
            next_fetch: next,
        });
        Ok(Some(body))
    }

    async fn poll_smart(
        &self,
        source: &ClaimedSource,
        now: Timestamp,
        stored: &HashMap<String, StoredFile>,
        out: &mut PollOutcome,
    ) -> Result<(), String> {
        // The manifest is kept under its own URL. With a copy held, ask only for changes
        // (`_since` = the held transactionTime); a server may ignore it and list everything,
        // which reads the same way. The held copy is the union of what was listed.
        let held = stored.get(&source.url);
        let held_manifest = held.and_then(|f| read::manifest(&f.body, now).ok());
        let asked = match &held_manifest {
            Some(m) => with_param(&source.url, "_since", &m.transaction_time.to_string()),
            None => source.url.clone(),
        };
        let fresh = self.fetch(&source.url, &asked, "manifest", now, stored, out, "application/json").await?;
        let mut manifest = match (&fresh, &held_manifest) {
            (Some(text), _) => read::manifest(text, now)?,
            (None, Some(m)) => m.clone(),
            (None, None) => return Err("no manifest yet".into()),
        };
        let listed: Vec<String> = manifest.outputs.iter().map(|o| o.url.clone()).collect();
        if let (Some(_), Some(old)) = (&fresh, &held_manifest) {
            for o in &old.outputs {
                if !manifest.outputs.iter().any(|n| n.url == o.url) {
                    manifest.outputs.push(o.clone());
                }
            }
            // Keep the union, so the next `_since` answer is read against every file.
            if let Some(f) = out.fetched.iter_mut().find(|f| f.url == source.url) {
                f.body = nobat_core::smart::write::manifest(&manifest);
            }
        }
        out.next_poll = out
            .fetched
            .iter()
            .find(|f| f.url == source.url)
            .map(|f| f.next_fetch)
            .or_else(|| out.unchanged.iter().find(|(u, _)| *u == source.url).map(|(_, n)| *n))
            .or_else(|| held.map(|f| f.next_fetch))
            .unwrap_or(out.next_poll);
        let mut changed = false;
        let mut bodies: Vec<(String, ResourceKind, String)> = Vec::new();
        for o in &manifest.outputs {
            // Files the `_since` answer left out have not changed: no request for them.
            let due = held_manifest.is_none() || listed.contains(&o.url) || !stored.contains_key(&o.url);
            let new = if due {
                match self.fetch(&o.url, &o.url, o.kind.as_str(), now, stored, out, "application/fhir+ndjson").await {
                    Ok(n) => n,
                    // A file the publisher no longer has is dropped, not a failed poll.
                    Err(e) if e.ends_with("answered 404") || e.ends_with("answered 410") => {
                        out.dropped.push(o.url.clone());
                        changed = true;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            changed |= new.is_some();
            let body = match new {
                Some(b) => b,
                None => match stored.get(&o.url) {
                    Some(f) => f.body.clone(),
                    None => return Err(format!("{} answered 304 to a first request", o.url)),
                },
            };
            bodies.push((o.url.clone(), o.kind, body));
        }
        if held_manifest.is_none() {
            changed = true;
        }
        if !changed {
            return Ok(());
        }
        if !out.dropped.is_empty() {
            // Forget dropped files in the held manifest too.
            manifest.outputs.retain(|o| !out.dropped.contains(&o.url));
            let text = nobat_core::smart::write::manifest(&manifest);
            match out.fetched.iter_mut().find(|f| f.url == source.url) {
                Some(f) => f.body = text,
                None => {
                    if let Some(h) = held {
                        out.fetched.push(FetchedFile {
                            url: h.url.clone(),
                            kind: h.kind.clone(),
                            etag: None,
                            last_modified: None,
                            body: text,
                            next_fetch: h.next_fetch,
                        });
                    }
                }
            }
        }
        let mut feed = Feed::new();
        // Reading in kind order keeps the skip report stable from poll to poll.
        bodies.sort_by_key(|(_, k, _)| *k);
        for (url, kind, body) in &bodies {
            feed.add_file(url, *kind, body);
        }
        let import = feed.finish();
        let slots = import
            .slots
            .iter()
            .filter_map(|s| {
                let schedule = import.schedules.get(&s.schedule)?;
                let location = import.locations.get(&schedule.location)?;
                Some(ImportedSlot {
                    slot_id: s.id.clone(),
                    schedule_id: s.schedule.clone(),
                    location_id: location.id.clone(),
                    location_name: location.name.clone(),
                    start: s.start,
                    end: s.end,
                    status: s.status.as_str().to_owned(),
                    capacity: s.capacity,
                    booking_links: s.booking_links.clone(),
                    booking_phone: s.booking_phone.clone().or_else(|| location.phone.clone()),
                })
            })
            .collect();
        out.slots = Some(slots);
        out.skipped = import.skipped;
        Ok(())
    }

    /// `GET {base}/Slot?status=free`, following `next` links. The Bundle's slots carry no
    /// location: the schedule reference stands for it.
    async fn poll_fhir(
        &self,
        source: &ClaimedSource,
        now: Timestamp,
        stored: &HashMap<String, StoredFile>,
        out: &mut PollOutcome,
    ) -> Result<(), String> {
        let first = format!("{}/Slot?status=free", source.url.trim_end_matches('/'));
        let Some(mut body) = self.fetch(&first, &first, "searchset", now, stored, out, "application/fhir+json").await?
        else {
            if let Some((_, next)) = out.unchanged.iter().find(|(u, _)| *u == first) {
                out.next_poll = *next;
            }
            return Ok(());
        };
        if let Some(f) = out.fetched.first() {
            out.next_poll = f.next_fetch;
        }
        let mut lines = String::new();
        let mut skipped = Vec::new();
        for page in 0..MAX_PAGES {
            let bundle: serde_json::Value =
                serde_json::from_str(&body).map_err(|e| format!("the search answer is not JSON: {e}"))?;
            if bundle.get("resourceType").and_then(|v| v.as_str()) != Some("Bundle") {
                return Err("the search answer is not a Bundle".into());
            }
            for e in bundle.get("entry").and_then(|v| v.as_array()).into_iter().flatten() {
                match e.get("resource") {
                    Some(r) => {
                        lines.push_str(&r.to_string());
                        lines.push('\n');
                    }
                    None => skipped.push(nobat_core::smart::Skip {
                        file: first.clone(),
                        line: page + 1,
                        id: None,
                        reason: "an entry without a resource".into(),
                    }),
                }
            }
            let next = bundle
                .get("link")
                .and_then(|v| v.as_array())
                .and_then(|l| l.iter().find(|l| l.get("relation").and_then(|r| r.as_str()) == Some("next")))
                .and_then(|l| l.get("url")?.as_str().map(str::to_owned));
            let Some(next) = next else { break };
            let reply = self.get(&next, None, "application/fhir+json").await?;
            body = String::from_utf8_lossy(&reply.body).into_owned();
        }
        let (kept, reasons) = fhir_slots(&first, &lines);
        skipped.extend(reasons);
        out.slots = Some(kept);
        out.skipped = skipped;
        Ok(())
    }
}

/// Slots of a FHIR search, one per line, with what could not be used.
fn fhir_slots(file: &str, lines: &str) -> (Vec<ImportedSlot>, Vec<nobat_core::smart::Skip>) {
    let mut schedules = String::new();
    let mut locations = String::new();
    // Each referenced schedule becomes a stand-in Schedule at a stand-in Location of the same
    // id, so the one reader (and its skip reasons) serves FHIR searches too.
    for l in lines.lines() {
        if let Some(r) = serde_json::from_str::<serde_json::Value>(l)
            .ok()
            .and_then(|v| v.pointer("/schedule/reference").and_then(|r| r.as_str()).map(str::to_owned))
        {
            let id = r.rsplit('/').next().unwrap_or_default().to_owned();
            schedules.push_str(&format!(
                "{{\"resourceType\":\"Schedule\",\"id\":{id:?},\"actor\":[{{\"reference\":\"Location/{id}\"}}]}}\n"
            ));
            locations.push_str(&format!("{{\"resourceType\":\"Location\",\"id\":{id:?},\"name\":{r:?}}}\n"));
        }
    }
    let mut feed = Feed::new();
    feed.add_file("locations", ResourceKind::Location, &locations);
    feed.add_file("schedules", ResourceKind::Schedule, &schedules);
    feed.add_file(file, ResourceKind::Slot, lines);
    let import = feed.finish();
    let skipped = import.skipped.into_iter().filter(|s| s.file != "locations" && s.file != "schedules").collect();
    let slots = import
        .slots
        .iter()
        .map(|s| ImportedSlot {
            slot_id: s.id.clone(),
            schedule_id: s.schedule.clone(),
            location_id: String::new(),
            location_name: String::new(),
            start: s.start,
            end: s.end,
            status: s.status.as_str().to_owned(),
            capacity: s.capacity,
            booking_links: s.booking_links.clone(),
            booking_phone: s.booking_phone.clone(),
        })
        .collect();
    (slots, skipped)
}

/// How long the worker sleeps between rounds: sources are due at most once a second anyway.
pub const ROUND_PAUSE: Duration = Duration::from_secs(1);
