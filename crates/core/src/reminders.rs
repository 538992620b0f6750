//! When appointment reminders go out. Pure: the store calls [`reminder_times`] inside the
//! booking (or reschedule) transaction and schedules one durable job per answer.
//!
//! The rule, per offset of the clinic's (or the service's) list — defaults 24 h and 2 h:
//!
//! 1. **The nominal time.** An offset that is a whole number of days is counted in *calendar
//!    days in the location's zone*: "24 h before" a Monday 10:00 appointment is Sunday 10:00 on
//!    the wall clock, even when a DST change in between makes that 23 or 25 hours (the patient
//!    reads "tomorrow at 10:00", and it is). Any other offset is elapsed time: "2 h before" is
//!    exactly 120 minutes before the start, whatever the wall clock does.
//! 2. **Quiet hours** (e.g. 22:00–08:00, wall time in the location's zone; a window that ends
//!    before it starts runs over midnight). A reminder whose nominal time falls inside is
//!    *moved earlier*, to the last minute before that window began (21:59 the evening before),
//!    never later: later would be closer to — or after — the start, and reminders exist to
//!    leave time to react.
//! 3. **Dropped** when the (moved) time is not after the booking was made (a 24 h reminder for
//!    an appointment booked 3 hours ahead; a 2 h reminder for a 09:00 appointment booked at
//!    23:00, whose quiet-hours time 21:59 has passed), or not before the start.
//! 4. Two offsets that land on the same instant (both moved to 21:59) send one reminder.
//!
//! The job that fires also checks, when it runs, that the appointment is still booked at that
//! start (not cancelled, not moved) and that the start has not passed.

use crate::error::DomainError;
use crate::minutes::DayMinutes;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// Minutes before the start, when a clinic has not chosen: 24 h and 2 h.
pub const DEFAULT_OFFSETS: [i64; 2] = [1440, 120];
/// At most this many reminders per appointment.
pub const MAX_OFFSETS: usize = 5;
/// The earliest a reminder may be set: 30 days before.
pub const MAX_OFFSET_MINUTES: i64 = 30 * 1440;

/// A daily window of wall-clock time in which no reminder is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: DayMinutes,
    pub end: DayMinutes,
}

impl QuietHours {
    /// 22:00–08:00, a clinic's default.
    pub fn default_night() -> QuietHours {
        QuietHours { start: DayMinutes::from_raw(22 * 60), end: DayMinutes::from_raw(8 * 60) }
    }

    /// A window from `start` to `end` (wall times, `00:00`–`23:59`; `end` before `start` runs
    /// over midnight). An empty window is refused: say "no quiet hours" instead.
    pub fn new(start: DayMinutes, end: DayMinutes) -> Result<QuietHours, DomainError> {
        if start.get() >= 1440 || end.get() > 1440 {
            return Err(DomainError::invalid("quiet_hours", "quiet hours start before 24:00"));
        }
        let end = if end.get() == 1440 { DayMinutes::from_raw(0) } else { end };
        if start == end {
            return Err(DomainError::invalid("quiet_hours", "quiet hours must not start and end at the same time"));
        }
        Ok(QuietHours { start, end })
    }

    fn wraps(self) -> bool {
        self.end < self.start
    }

    /// Whether a wall time (minutes since midnight) is inside the window.
    pub fn contains(self, minute: u16) -> bool {
        let (s, e) = (self.start.get(), self.end.get());
        if self.wraps() { minute >= s || minute < e } else { minute >= s && minute < e }
    }
}

/// What decides a clinic's (and a service's) reminders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Minutes before the start, each `1..=MAX_OFFSET_MINUTES`.
    pub offsets: Vec<i64>,
    pub quiet: Option<QuietHours>,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy { offsets: DEFAULT_OFFSETS.to_vec(), quiet: Some(QuietHours::default_night()) }
    }
}

/// Checks a list of offsets (minutes before the start) and returns it without duplicates,
/// longest first. An empty list means "no reminders".
pub fn validate_offsets(offsets: &[i64]) -> Result<Vec<i64>, DomainError> {
    if offsets.len() > MAX_OFFSETS {
        return Err(DomainError::invalid("reminder_offsets", format!("at most {MAX_OFFSETS} reminders")));
    }
    if let Some(bad) = offsets.iter().find(|m| !(1..=MAX_OFFSET_MINUTES).contains(*m)) {
        return Err(DomainError::invalid(
            "reminder_offsets",
            format!("{bad} is not between 1 minute and {MAX_OFFSET_MINUTES} minutes (30 days) before the start"),
        ));
    }
    let mut out = offsets.to_vec();
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

/// One reminder to schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedReminder {
    /// The offset it was planned for (minutes before the start): names the job.
    pub offset_minutes: i64,
    pub at: Timestamp,
    /// It was moved out of quiet hours.
    pub moved: bool,
}

/// The reminders for an appointment starting at `start` (in the location's `zone`), booked at
/// `booked_at`, under `policy`, in time order. See the module doc for the rule.
pub fn reminder_times(
    start: Timestamp,
    booked_at: Timestamp,
    zone: &TimeZone,
    policy: &ReminderPolicy,
) -> Vec<PlannedReminder> {
    let mut out: Vec<PlannedReminder> = Vec::new();
    for &offset in &policy.offsets {
        let Some(nominal) = nominal_time(start, zone, offset) else { continue };
        let (at, moved) = match policy.quiet.and_then(|q| quiet_window_start(nominal, zone, q)) {
            Some(window_start) => (window_start - SignedDuration::from_mins(1), true),
            None => (nominal, false),
        };
        if at <= booked_at || at >= start || out.iter().any(|r| r.at == at) {
            continue;
        }
        out.push(PlannedReminder { offset_minutes: offset, at, moved });
    }
    out.sort_by_key(|r| r.at);
    out
}

/// Step 1: whole days on the local calendar, anything else as elapsed time.
fn nominal_time(start: Timestamp, zone: &TimeZone, offset: i64) -> Option<Timestamp> {
    if offset <= 0 {
        return None;
    }
    if offset % 1440 == 0 {
        let local = start.to_zoned(zone.clone());
        // jiff keeps the wall time across the days and resolves a time that does not exist
        // that day (a spring-forward gap) by moving it forward by the gap, as clocks do.
        local.checked_sub((offset / 1440).days()).ok().map(|z| z.timestamp())
    } else {
        start.checked_sub(SignedDuration::from_mins(offset)).ok()
    }
}

/// When `t` is inside quiet hours: the instant the window it is in began.
fn quiet_window_start(t: Timestamp, zone: &TimeZone, q: QuietHours) -> Option<Timestamp> {
    let local = t.to_zoned(zone.clone());
    let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).ok()?;
    if !q.contains(minute) {
        return None;
    }
    // A window running over midnight that we are in the morning part of began yesterday.
    let began_yesterday = q.wraps() && minute < q.end.get();
    let date = if began_yesterday { local.date().yesterday().ok()? } else { local.date() };
    let (h, m) = q.start.hm();
    let wall = date.at(h, m, 0, 0);
    zone.to_ambiguous_timestamp(wall).compatible().ok()
}

#[cfg(test)]
mod tests;
