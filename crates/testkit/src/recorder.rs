//! An append-only, awaitable record of what a fake received.
//!
//! Every fake keeps its accepted items (mails, bot messages, SMS, requests) in a [`Recorder`],
//! so the waiting and "exactly once" helpers are written once and read the same everywhere.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

/// Items a fake received, in arrival order, with helpers to wait for them and count them.
pub struct Recorder<T> {
    items: Mutex<Vec<T>>,
    // Bumped on every push; waiters re-check their condition when it changes.
    changed: watch::Sender<u64>,
}

impl<T: Clone> Default for Recorder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Recorder<T> {
    pub fn new() -> Self {
        Self { items: Mutex::new(Vec::new()), changed: watch::Sender::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        // A panicking test thread must not make every later assertion panic too.
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, item: T) {
        self.lock().push(item);
        self.changed.send_modify(|n| *n += 1);
    }

    /// A copy of everything received so far.
    pub fn all(&self) -> Vec<T> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The most recent item.
    pub fn last(&self) -> Option<T> {
        self.lock().last().cloned()
    }

    /// Forget everything received so far (counts restart at zero).
    pub fn clear(&self) {
        self.lock().clear();
        self.changed.send_modify(|n| *n += 1);
    }

    /// Waits until `done(items)` holds; `None` when `timeout` passes first.
    pub async fn try_wait_until(&self, timeout: Duration, mut done: impl FnMut(&[T]) -> bool) -> Option<Vec<T>> {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            {
                let items = self.lock();
                if done(&items) {
                    return Some(items.clone());
                }
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                // The sender lives as long as `self`, so only the timeout ends the wait.
                _ => return None,
            }
        }
    }

    /// Waits until at least `n` items arrived and returns them all; `None` on timeout.
    pub async fn try_wait_for(&self, n: usize, timeout: Duration) -> Option<Vec<T>> {
        self.try_wait_until(timeout, |items| items.len() >= n).await
    }

    /// Waits until at least `n` items arrived and returns them all; panics on timeout,
    /// saying how many did arrive.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<T> {
        match self.try_wait_for(n, timeout).await {
            Some(items) => items,
            None => panic!("waited {timeout:?} for {n} item(s), only {} arrived", self.len()),
        }
    }

    /// Waits until `done(items)` holds; panics on timeout.
    pub async fn wait_until(&self, timeout: Duration, done: impl FnMut(&[T]) -> bool) -> Vec<T> {
        match self.try_wait_until(timeout, done).await {
            Some(items) => items,
            None => panic!("waited {timeout:?} for a condition; {} item(s) arrived", self.len()),
        }
    }

    /// How many items carry each idempotency key. `key` returns `None` for items without one
    /// (they are not counted).
    pub fn count_by_key(&self, key: impl Fn(&T) -> Option<String>) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for item in self.lock().iter() {
            if let Some(k) = key(item) {
                *counts.entry(k).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Keys received more than once, with their counts.
    pub fn duplicates(&self, key: impl Fn(&T) -> Option<String>) -> BTreeMap<String, usize> {
        let mut counts = self.count_by_key(key);
        counts.retain(|_, n| *n > 1);
        counts
    }

    /// Panics unless every key in `expected` was received exactly once and no other key was
    /// received: the one-call "exactly once" assertion of the fault and crash tests.
    pub fn assert_exactly_once<I, S>(&self, key: impl Fn(&T) -> Option<String>, expected: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let counts = self.count_by_key(key);
        let expected: std::collections::BTreeSet<String> = expected.into_iter().map(Into::into).collect();
        let missing: Vec<&String> = expected.iter().filter(|k| !counts.contains_key(*k)).collect();
        let twice: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
        let unexpected: Vec<&String> = counts.keys().filter(|k| !expected.contains(*k)).collect();
        assert!(
            missing.is_empty() && twice.is_empty() && unexpected.is_empty(),
            "exactly-once violated: {} missing {:?}, {} more than once {:?}, {} unexpected {:?} \
             (of {} expected)",
            missing.len(),
            missing.iter().take(10).collect::<Vec<_>>(),
            twice.len(),
            twice.iter().take(10).collect::<Vec<_>>(),
            unexpected.len(),
            unexpected.iter().take(10).collect::<Vec<_>>(),
            expected.len()
        );
    }
}

/// Shared handle type the fakes hand out.
pub type Shared<T> = Arc<Recorder<T>>;
