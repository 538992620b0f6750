//! Wall-clock times of day as minutes since local midnight, `0..=1440`.
//!
//! Schedules are written in local wall-clock time ("09:00–17:00"). Minutes make interval
//! arithmetic trivial and allow an end of `24:00`, which `jiff::civil::Time` cannot express.

use crate::error::DomainError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Minutes since local midnight; `1440` means the end of the day (`24:00`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayMinutes(u16);

impl DayMinutes {
    /// `24:00`.
    pub const END_OF_DAY: DayMinutes = DayMinutes(1440);

    /// For constants known to be in range (clamped to `24:00`).
    pub(crate) const fn from_raw(minutes: u16) -> Self {
        Self(if minutes > 1440 { 1440 } else { minutes })
    }

    /// Minutes since midnight, `0..=1440`.
    pub fn new(minutes: u16) -> Result<Self, DomainError> {
        if minutes > 1440 {
            return Err(DomainError::invalid("time", "a time of day must be between 00:00 and 24:00"));
        }
        Ok(Self(minutes))
    }

    /// Parses `HH:MM` (24-hour clock, `24:00` allowed).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::invalid("time", format!("`{s}` is not a time of day like 09:30"));
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }

    /// The raw minute count.
    pub fn get(self) -> u16 {
        self.0
    }

    /// Hour and minute parts (`24:00` gives `(24, 0)`).
    pub fn hm(self) -> (i8, i8) {
        // Both parts fit in i8: hours ≤ 24, minutes < 60.
        ((self.0 / 60) as i8, (self.0 % 60) as i8)
    }
}

impl fmt::Display for DayMinutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m) = self.hm();
        write!(f, "{h:02}:{m:02}")
    }
}

impl fmt::Debug for DayMinutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for DayMinutes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayMinutes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DayMinutes::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(DayMinutes::parse("09:30").map(|m| m.get()).ok(), Some(570));
        assert_eq!(DayMinutes::parse("24:00").map(|m| m.get()).ok(), Some(1440));
        assert_eq!(DayMinutes::new(75).map(|m| m.to_string()).ok().as_deref(), Some("01:15"));
        for bad in ["9:30", "24:01", "12:60", "ab:cd", "", "1230", "-1:00"] {
            assert!(DayMinutes::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
