//! The retry policy of durable timers (scheduled jobs): how long a failed job waits before its
//! next attempt, and when it stops being tried and is kept as dead for an operator to look at.

use jiff::SignedDuration;

/// Attempts (claims) after which a failing job is dead.
pub const MAX_ATTEMPTS: i64 = 8;

/// After the `attempts`-th failed attempt: the pause before the next one, or `None` when the
/// job is dead. Doubling from 5 seconds, at most an hour: 5 s, 10 s, 20 s … so a job failing on
/// a database hiccup runs again soon and one failing for good does not spin.
pub fn retry_after(attempts: i64) -> Option<SignedDuration> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let secs = 5i64.saturating_mul(1i64 << exp).min(3600);
    Some(SignedDuration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_ends() {
        assert_eq!(retry_after(1), Some(SignedDuration::from_secs(5)));
        assert_eq!(retry_after(2), Some(SignedDuration::from_secs(10)));
        assert_eq!(retry_after(7), Some(SignedDuration::from_secs(320)));
        assert_eq!(retry_after(MAX_ATTEMPTS), None);
        assert_eq!(retry_after(0), Some(SignedDuration::from_secs(5)));
    }
}
