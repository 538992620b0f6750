//! Fault modes the HTTP fakes can be switched into while a test runs.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

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
}

impl Faults {
    pub(crate) fn push(&self, fault: Fault, times: usize) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..times {
            q.push_back(fault.clone());
        }
    }

    pub(crate) fn next(&self) -> Option<Fault> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }

    pub(crate) fn clear(&self) {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).clear();
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
