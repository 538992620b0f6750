//! Fault modes the HTTP fakes can be switched into while a test runs.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the fake does with one incoming request instead of answering it normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status (5xx usually) in the provider's own error shape; the
    /// request is not accepted.
    Status(u16),
    /// Answer 429 in the provider's shape, saying to retry after this many seconds.
    TooManyRequests { retry_after: u64 },
    /// Hold the request this long, then close the connection without answering (a client
    /// with a shorter timeout sees a timeout). Not accepted.
    Hang(Duration),
    /// Close the connection at once without answering. Not accepted.
    Drop,
    /// Accept the request (it is recorded as received) and then close the connection
    /// without answering: the "provider took it but we never heard back" window.
    AcceptThenDrop,
}

/// Per-fake fault switchboard: a queue of faults consumed one per request, and a delay added
/// to every answer ("slow").
#[derive(Default)]
pub(crate) struct Faults {
    queue: Mutex<VecDeque<Fault>>,
    delay: Mutex<Duration>,
    /// A fault applied to every request until an instant ("down for two seconds").
    window: Mutex<Option<(Instant, Fault)>>,
}

impl Faults {
    pub(crate) fn push(&self, fault: Fault, times: usize) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..times {
            q.push_back(fault.clone());
        }
    }

    /// The fault for the request arriving now: queued ones first, then an open window. A
    /// window's `Hang` lasts until the window closes.
    pub(crate) fn next(&self) -> Option<Fault> {
        let queued = self.queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        if queued.is_some() {
            return queued;
        }
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let (until, fault) = window.as_ref()?;
        let now = Instant::now();
        if now >= *until {
            *window = None;
            return None;
        }
        Some(match fault {
            Fault::Hang(_) => Fault::Hang(*until - now),
            f => f.clone(),
        })
    }

    pub(crate) fn set_window(&self, d: Duration, fault: Fault) {
        *self.window.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now() + d, fault));
    }

    pub(crate) fn clear(&self) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).clear();
        *self.window.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.delay.lock().unwrap_or_else(|e| e.into_inner()) = Duration::ZERO;
    }

    pub(crate) fn pending(&self) -> usize {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub(crate) fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap_or_else(|e| e.into_inner()) = d;
    }

    pub(crate) fn delay(&self) -> Duration {
        *self.delay.lock().unwrap_or_else(|e| e.into_inner())
    }
}
