//! Per-watcher rate limits: a watcher is told at most so many times an hour and a day, however
//! many slots free up. A slot beyond the limit is simply not told to them (it goes to the next
//! watcher); it is not queued for later, when it may well be gone.

/// At most `per_hour` notices (notifications and offers) in any hour, `per_day` in any day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_hour: u32,
    pub per_day: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits { per_hour: 3, per_day: 10 }
    }
}

impl RateLimits {
    /// Whether a watcher told `last_hour` times in the past hour and `last_day` in the past day
    /// may be told once more.
    pub fn allows(self, last_hour: u32, last_day: u32) -> bool {
        last_hour < self.per_hour && last_day < self.per_day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_windows_count() {
        let l = RateLimits { per_hour: 2, per_day: 3 };
        assert!(l.allows(0, 0));
        assert!(l.allows(1, 2));
        assert!(!l.allows(2, 2), "the hour is full");
        assert!(!l.allows(0, 3), "the day is full");
    }
}
