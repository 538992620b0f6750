//! Scheduled backups of a SQLite deployment into a directory, with retention: keep the newest
//! backup of each of the last `keep_daily` days and of each of the last `keep_weekly` ISO weeks;
//! delete the rest. Each backup is a `nobat backup` (a checked snapshot) taken while serving.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// When and how many.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep_daily: usize,
    pub keep_weekly: usize,
}

const PREFIX: &str = "nobat-";
const SUFFIX: &str = ".sqlite3";

fn name_at(t: Timestamp) -> String {
    format!("{PREFIX}{}{SUFFIX}", t.strftime("%Y%m%dT%H%M%SZ"))
}

/// The instant a backup file was taken, from its name.
fn taken_at(path: &Path) -> Option<Timestamp> {
    let name = path.file_name()?.to_str()?;
    let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let dt = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", stamp).ok()?;
    dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// Which of `backups` to keep (by index): the newest per day for the newest `keep_daily` days
/// that have one, and the newest per ISO week for the newest `keep_weekly` weeks.
pub fn retained(backups: &[Timestamp], keep_daily: usize, keep_weekly: usize) -> BTreeSet<usize> {
    let mut order: Vec<usize> = (0..backups.len()).collect();
    order.sort_by(|a, b| backups[*b].cmp(&backups[*a])); // newest first
    let mut keep = BTreeSet::new();
    let mut days = Vec::new();
    let mut weeks = Vec::new();
    for i in order {
        let date = backups[i].to_zoned(TimeZone::UTC).date();
        let week = date.iso_week_date();
        let day_key = date;
        let week_key = (week.year(), week.week());
        if !days.contains(&day_key) && days.len() < keep_daily {
            days.push(day_key);
            keep.insert(i);
        }
        if !weeks.contains(&week_key) && weeks.len() < keep_weekly {
            weeks.push(week_key);
            keep.insert(i);
        }
    }
    keep
}

/// Takes one backup now and prunes the directory. Returns the new file.
pub fn run_once(database_url: &str, schedule: &Schedule) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(&schedule.dir)?;
    let file = schedule.dir.join(name_at(Timestamp::now()));
    nobat_store::backup::backup(database_url, &file)?;
    let mut found: Vec<(Timestamp, PathBuf)> = std::fs::read_dir(&schedule.dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| taken_at(&p).map(|t| (t, p)))
        .collect();
    found.sort();
    let stamps: Vec<Timestamp> = found.iter().map(|(t, _)| *t).collect();
    let keep = retained(&stamps, schedule.keep_daily, schedule.keep_weekly);
    for (i, (_, path)) in found.iter().enumerate() {
        if !keep.contains(&i) && *path != file {
            std::fs::remove_file(path)?;
            tracing::info!(file = %path.display(), "old backup removed");
        }
    }
    Ok(file)
}

/// Backs up on schedule until the task is dropped. Failures are logged at error level and
/// retried at the next tick; they never stop the server.
pub async fn run(database_url: String, schedule: Schedule) {
    let mut tick = tokio::time::interval(schedule.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first tick is immediate: wait one period before the first backup
    loop {
        tick.tick().await;
        let (url, s) = (database_url.clone(), schedule.clone());
        match tokio::task::spawn_blocking(move || run_once(&url, &s)).await {
            Ok(Ok(file)) => tracing::info!(file = %file.display(), "scheduled backup written"),
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "scheduled backup failed"),
            Err(e) => tracing::error!(error = %e, "scheduled backup task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn names_round_trip() {
        let t = at("2026-11-21T09:15:30Z");
        assert_eq!(taken_at(Path::new(&name_at(t))), Some(t));
        assert_eq!(taken_at(Path::new("nobat-garbage.sqlite3")), None);
        assert_eq!(taken_at(Path::new("notes.txt")), None);
    }

    #[test]
    fn keeps_newest_per_day_and_per_week() {
        // Two backups a day for 20 days, 2026-11-01 … 2026-11-20.
        let mut all = Vec::new();
        for d in 1..=20 {
            all.push(at(&format!("2026-11-{d:02}T03:00:00Z")));
            all.push(at(&format!("2026-11-{d:02}T15:00:00Z")));
        }
        let keep = retained(&all, 7, 4);
        let kept: Vec<String> = keep.iter().map(|i| all[*i].to_string()).collect();
        // The last 7 days' evening backups…
        for d in 14..=20 {
            assert!(kept.contains(&format!("2026-11-{d:02}T15:00:00Z")), "{kept:?}");
        }
        // …no morning ones…
        assert!(!kept.iter().any(|k| k.contains("T03:")), "{kept:?}");
        // …and the newest of each of the 4 newest ISO weeks (weeks start on Monday the 16th,
        // 9th, 2nd, and Oct 26th): the 20th and 15th are already kept as dailies, the 8th and
        // the 1st are kept as weeklies.
        for newest_of_week in
            ["2026-11-20T15:00:00Z", "2026-11-15T15:00:00Z", "2026-11-08T15:00:00Z", "2026-11-01T15:00:00Z"]
        {
            assert!(kept.contains(&newest_of_week.to_owned()), "{newest_of_week} in {kept:?}");
        }
        assert_eq!(keep.len(), 7 + 2, "{kept:?}");
        assert!(retained(&all, 0, 0).is_empty());
    }
}
