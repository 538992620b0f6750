//! Background workers that recover by themselves. A worker runs one round at a time; a failed
//! round is retried after a growing pause (1 s, 2 s, 4 s … 60 s). After three failures in a
//! row the worker is reported failing — `/readyz` answers 503 naming it — logged at error
//! level, and an `operator.alert` event is published, which notification channels will carry
//! to the instance operator once they exist. The first success clears all of it.

use nobat_store::{Event, EventKind, Store, Subjects};
use nobat_web::health::WorkerHealth;
use std::future::Future;
use std::time::Duration;

/// Consecutive failures before a worker counts as failing.
pub const FAILING_AFTER: u32 = 3;

/// Runs `round` every `period` forever, supervised as described above.
pub async fn supervise<F, Fut>(name: &'static str, period: Duration, health: WorkerHealth, store: Store, round: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    supervise_paced(name, health, store, round, move || tokio::time::sleep(period)).await
}

/// Like [`supervise`], but after a successful round waits on `pause` (e.g. until the next job
/// is due) instead of a fixed period.
pub async fn supervise_paced<F, Fut, P, PFut>(
    name: &'static str,
    health: WorkerHealth,
    store: Store,
    mut round: F,
    mut pause: P,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
    P: FnMut() -> PFut,
    PFut: Future<Output = ()>,
{
    let mut failures = 0u32;
    loop {
        match round().await {
            Ok(()) => {
                if failures >= FAILING_AFTER {
                    tracing::info!(worker = name, "worker recovered");
                }
                failures = 0;
                health.recovered(name);
                pause().await;
            }
            Err(e) => {
                failures += 1;
                let error = format!("{e:#}");
                if failures >= FAILING_AFTER {
                    tracing::error!(worker = name, failures, %error, "worker keeps failing");
                    if failures == FAILING_AFTER {
                        health.failing(name, &error);
                        // The error text stays in the log and /readyz: events carry ids only.
                        let subjects = Subjects { worker: Some(name.to_owned()), ..Subjects::default() };
                        store.announce(Event::local(
                            nobat_core::ClinicId(uuid::Uuid::nil()),
                            EventKind::OperatorAlert,
                            subjects,
                        ));
                    }
                } else {
                    tracing::warn!(worker = name, failures, %error, "worker round failed; retrying");
                }
                let backoff = Duration::from_secs(1 << (failures - 1).min(6)).min(Duration::from_secs(60));
                tokio::time::sleep(backoff).await;
            }
        }
    }
}
