//! A small cache of clinic contexts — the clinic named in a URL and its locations — which
//! every request needs. Entries are dropped when a `clinic.changed` event arrives (from this
//! process's writer or, on PostgreSQL, relayed from another process) and after a minute in
//! any case, because NOTIFY is not durable. A generation counter stops a load that raced with
//! a change from caching what it read before the change.

use crate::model::{Clinic, Location};
use crate::tx::Event;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// The clinic a request is about, with its locations.
#[derive(Debug)]
pub struct ClinicContext {
    pub clinic: Clinic,
    pub locations: Vec<Location>,
}

const TTL: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct DirectoryCache {
    entries: Mutex<HashMap<String, (Instant, Arc<ClinicContext>)>>,
    generation: AtomicU64,
}

impl DirectoryCache {
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, key: &str) -> Option<Arc<ClinicContext>> {
        let entries = self.entries.lock().ok()?;
        let (at, ctx) = entries.get(key)?;
        (at.elapsed() < TTL).then(|| ctx.clone())
    }

    /// Remembers `ctx` unless the directory changed since `generation` was read.
    pub(crate) fn put(&self, key: String, generation: u64, ctx: Arc<ClinicContext>) {
        if let Ok(mut entries) = self.entries.lock()
            && self.generation() == generation
        {
            if entries.len() > 10_000 {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), ctx));
        }
    }

    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Drops cached contexts when a clinic or location changes; ends with the store.
pub(crate) async fn follow(cache: Weak<DirectoryCache>, mut events: broadcast::Receiver<Event>) {
    loop {
        let changed = match events.recv().await {
            // `relay.gap`: the cross-process relay lost its connection and may have missed some.
            Ok(e) => e.kind.changes_directory(),
            // Missed events: assume the worst.
            Err(broadcast::error::RecvError::Lagged(_)) => true,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if changed {
            match cache.upgrade() {
                Some(c) => c.invalidate(),
                None => return,
            }
        }
    }
}
