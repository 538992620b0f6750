//! Which background workers are failing right now. Workers report here; `/readyz` reads it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared record of failing workers: name → last error.
#[derive(Clone, Default)]
pub struct WorkerHealth {
    failing: Arc<Mutex<BTreeMap<String, String>>>,
}

impl WorkerHealth {
    pub fn failing(&self, worker: &str, error: &str) {
        if let Ok(mut f) = self.failing.lock() {
            f.insert(worker.to_owned(), error.to_owned());
        }
    }

    pub fn recovered(&self, worker: &str) {
        if let Ok(mut f) = self.failing.lock() {
            f.remove(worker);
        }
    }

    /// `worker: error` for each failing worker.
    pub fn problems(&self) -> Vec<String> {
        self.failing.lock().map(|f| f.iter().map(|(w, e)| format!("{w}: {e}")).collect()).unwrap_or_default()
    }
}
