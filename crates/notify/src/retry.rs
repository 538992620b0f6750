//! What the dispatcher does after a failed attempt: a pure decision.

use crate::channel::SendError;
use std::time::Duration;

/// The next step for a message whose attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Try again after this long.
    Retry(Duration),
    /// Dead-letter it (and alert the clinic's admins).
    Dead,
}

/// After `attempts` attempts (this one included) failed with `error`: a permanent failure, or
/// the last allowed attempt, is dead; otherwise wait `base`·2^(attempts−1), at most an hour,
/// spread by ±20 % (`jitter` in 0..1, so a burst that failed together does not retry
/// together), and never less than the wait the provider asked for.
pub fn after_failure(error: &SendError, attempts: i64, max_attempts: i64, base: Duration, jitter: f64) -> Next {
    let SendError::Transient { after, .. } = error else { return Next::Dead };
    if attempts >= max_attempts {
        return Next::Dead;
    }
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let wait = base.saturating_mul(2u32.saturating_pow(exp)).min(Duration::from_secs(3600));
    let wait = wait.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0));
    Next::Retry(after.map_or(wait, |a| a.max(wait)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(after: Option<Duration>) -> SendError {
        SendError::Transient { reason: "451".into(), after }
    }

    #[test]
    fn backoff_grows_with_jitter_and_honours_the_providers_wait() {
        let base = Duration::from_secs(10);
        assert_eq!(after_failure(&temp(None), 1, 5, base, 0.5), Next::Retry(Duration::from_secs(10)));
        assert_eq!(after_failure(&temp(None), 3, 5, base, 0.5), Next::Retry(Duration::from_secs(40)));
        assert_eq!(after_failure(&temp(None), 3, 5, base, 0.0), Next::Retry(Duration::from_secs(32)));
        assert_eq!(after_failure(&temp(None), 3, 5, base, 1.0), Next::Retry(Duration::from_secs(48)));
        let asked = Duration::from_secs(120);
        assert_eq!(after_failure(&temp(Some(asked)), 1, 5, base, 0.5), Next::Retry(asked));
        assert_eq!(after_failure(&temp(None), 30, 99, base, 0.5), Next::Retry(Duration::from_secs(3600)));
    }

    #[test]
    fn permanent_failures_and_the_last_attempt_are_dead() {
        let base = Duration::from_secs(1);
        assert_eq!(after_failure(&SendError::Permanent { reason: "550".into() }, 1, 5, base, 0.5), Next::Dead);
        assert_eq!(after_failure(&temp(None), 5, 5, base, 0.5), Next::Dead);
    }
}
