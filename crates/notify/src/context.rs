//! The facts a message is rendered from, gathered by the dispatcher from the store. Plain
//! data: rendering does no I/O.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_i18n::CalendarPref;

/// Everything any message kind may mention. A kind uses the fields it needs; `render`
/// fails with a clear error when one it needs is missing.
#[derive(Debug, Clone, Default)]
pub struct MessageContext {
    pub clinic_name: String,
    pub recipient_name: Option<String>,
    pub service: Option<String>,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    pub address: Option<String>,
    /// The appointment's (or offer's) start and end instants…
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    /// …written in the *location's* zone, never the server's or the staff member's.
    pub zone: Option<TimeZone>,
    pub calendar: CalendarPref,
    /// For a reschedule: the old start.
    pub previous_start: Option<Timestamp>,
    /// The guest's private manage link, or the offer's accept link.
    pub link: Option<String>,
    /// A verification code, an invitation token's link, a ticket code (`A-017`).
    pub code: Option<String>,
    /// Queue: the room or desk called to; people ahead.
    pub room: Option<String>,
    pub ahead: Option<i64>,
    /// Admin alerts: what happened, in a sentence of the catalogue's (a key) plus details.
    pub alert_key: Option<String>,
    pub detail: Option<String>,
    /// Reminders: whole hours from sending to the start (`{ $hours }`; see
    /// [`MessageContext::hours_before`]).
    pub hours: Option<i64>,
    /// Minutes a verification code stays valid, or an offer stays held (`{ $minutes }`).
    pub minutes: Option<i64>,
    /// Watches: the link that stops the watch (`{ $stop }`), in every watch message.
    pub stop_link: Option<String>,
    /// Watches: the watch's last day, already written in the recipient's calendar (`{ $last_day }`).
    pub last_day: Option<String>,
}

impl MessageContext {
    /// Whole hours from `now` to the start, rounded to the nearest hour (a reminder sent at
    /// 08:01 for 10:00 says "2 hours"), at least 1: what a reminder's `hours` should be.
    pub fn hours_before(&self, now: Timestamp) -> Option<i64> {
        let start = self.start?;
        let secs = start.as_second().saturating_sub(now.as_second());
        Some(((secs + 1800) / 3600).max(1))
    }
}
