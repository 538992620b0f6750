//! The `.ics` attached to booking emails (RFC 5545, iTIP RFC 5546): `METHOD:REQUEST` for a
//! new or moved appointment, `METHOD:CANCEL` for a cancelled one. The UID is stable per
//! appointment and SEQUENCE grows with every change, so calendar apps update the one event
//! instead of adding a second. Times are written in the location's zone with a VTIMEZONE
//! generated from jiff's transitions for the years the event touches (calendar apps do not
//! all know every IANA zone, and Iran's and Turkey's rules changed recently).

use crate::channel::Attachment;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcsMethod {
    Request,
    Cancel,
    /// A published copy (a download or a subscribed feed), not an invitation (RFC 5546 §3.2.1).
    Publish,
}

impl IcsMethod {
    fn name(self) -> &'static str {
        match self {
            IcsMethod::Request => "REQUEST",
            IcsMethod::Cancel => "CANCEL",
            IcsMethod::Publish => "PUBLISH",
        }
    }
}

/// A person in the invitation: display name and email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub struct IcsEvent {
    /// Stable per appointment across every update ([`uid_for`]).
    pub uid: String,
    /// 0 at booking, +1 on every reschedule and on cancellation.
    pub sequence: u32,
    pub method: IcsMethod,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The location's zone.
    pub zone: TimeZone,
    pub summary: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    /// The clinic (iTIP wants an organizer on REQUEST and CANCEL).
    pub organizer: Option<Party>,
    pub attendee: Option<Party>,
    /// When the file was made (DTSTAMP).
    pub stamp: Timestamp,
}

/// The UID of an appointment's event: the same for every message about it.
pub fn uid_for(appointment_id: &str, host: &str) -> String {
    format!("appointment-{appointment_id}@{host}")
}

/// The attachment: `invite.ics` (or `cancel.ics`), `text/calendar` with the method.
pub fn build(ev: &IcsEvent) -> Attachment {
    let method = ev.method.name();
    let filename = if ev.method == IcsMethod::Cancel { "cancel.ics" } else { "invite.ics" };
    Attachment {
        filename: filename.into(),
        content_type: format!("text/calendar; charset=utf-8; method={method}"),
        bytes: to_string(ev).into_bytes(),
    }
}

/// The calendar text, CRLF line ends, folded at 75 octets.
pub fn to_string(ev: &IcsEvent) -> String {
    calendar(ev.method, None, std::slice::from_ref(ev))
}

/// A calendar of many events (a subscribed feed, `METHOD:PUBLISH`): one VTIMEZONE per zone the
/// events use, covering the years they touch, and one VEVENT each. A cancelled appointment is
/// an event whose `method` is [`IcsMethod::Cancel`]: it stays in the feed as
/// `STATUS:CANCELLED`, so subscribers drop it from their view instead of keeping a stale copy.
pub fn feed(name: &str, events: &[IcsEvent]) -> String {
    calendar(IcsMethod::Publish, Some(name), events)
}

fn calendar(method: IcsMethod, name: Option<&str>, events: &[IcsEvent]) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Nobat//Nobat//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("METHOD:{}", method.name()),
    ];
    if let Some(n) = name {
        lines.push(format!("X-WR-CALNAME:{}", text(n)));
    }
    // Each named zone once, over every year its events touch.
    let mut zones: Vec<(String, TimeZone, i16, i16)> = Vec::new();
    for ev in events {
        let Some(id) = ev.zone.iana_name() else { continue };
        let from = ev.start.to_zoned(ev.zone.clone()).year();
        let to = ev.end.to_zoned(ev.zone.clone()).year();
        match zones.iter_mut().find(|z| z.0 == id) {
            Some(z) => (z.2, z.3) = (z.2.min(from), z.3.max(to)),
            None => zones.push((id.to_owned(), ev.zone.clone(), from, to)),
        }
    }
    for (id, zone, from, to) in &zones {
        lines.extend(vtimezone(zone, id, *from, *to));
    }
    for ev in events {
        lines.extend(vevent(ev));
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    out
}

fn vevent(ev: &IcsEvent) -> Vec<String> {
    let cancelled = ev.method == IcsMethod::Cancel;
    let mut lines: Vec<String> = vec!["BEGIN:VEVENT".into()];
    let tzid = ev.zone.iana_name().map(str::to_owned);
    lines.push(format!("UID:{}", text(&ev.uid)));
    lines.push(format!("DTSTAMP:{}", utc(ev.stamp)));
    lines.push(format!("SEQUENCE:{}", ev.sequence));
    let when = |name: &str, t: Timestamp| match &tzid {
        Some(id) => format!("{name};TZID={id}:{}", local(t.to_zoned(ev.zone.clone()).datetime())),
        // A fixed offset without a name: UTC is exact and needs no VTIMEZONE.
        None => format!("{name}:{}", utc(t)),
    };
    lines.push(when("DTSTART", ev.start));
    lines.push(when("DTEND", ev.end));
    lines.push(format!("SUMMARY:{}", text(&ev.summary)));
    if let Some(d) = &ev.description {
        lines.push(format!("DESCRIPTION:{}", text(d)));
    }
    if let Some(l) = &ev.location {
        lines.push(format!("LOCATION:{}", text(l)));
    }
    if let Some(u) = &ev.url {
        lines.push(format!("URL:{u}"));
    }
    if let Some(o) = &ev.organizer {
        lines.push(format!("ORGANIZER;CN={}:mailto:{}", param(&o.name), o.email));
    }
    if let Some(a) = &ev.attendee {
        let status = if cancelled { "DECLINED" } else { "NEEDS-ACTION" };
        lines.push(format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT={status};RSVP=FALSE:mailto:{}",
            param(&a.name),
            a.email
        ));
    }
    lines.push(format!("STATUS:{}", if cancelled { "CANCELLED" } else { "CONFIRMED" }));
    lines.push(format!("TRANSP:{}", if cancelled { "TRANSPARENT" } else { "OPAQUE" }));
    lines.push("END:VEVENT".into());
    lines
}

/// The VTIMEZONE lines for `zone` over the years `from..=to`: the observance in force on
/// 1 January of `from`, then one per transition until the end of `to`.
pub fn vtimezone(zone: &TimeZone, tzid: &str, from: i16, to: i16) -> Vec<String> {
    let mut out = vec!["BEGIN:VTIMEZONE".into(), format!("TZID:{tzid}")];
    let begin = year_start(zone, from);
    let end = year_start(zone, to.saturating_add(1));
    let info = zone.to_offset_info(begin);
    let mut prev = info.offset();
    out.extend(observance(
        info.dst().is_dst(),
        begin.to_zoned(TimeZone::fixed(prev)).datetime(),
        prev,
        prev,
        info.abbreviation(),
    ));
    for t in zone.following(begin).take_while(|t| t.timestamp() < end) {
        // DTSTART is the local time of the change in the offset that was in force before it.
        let at = t.timestamp().to_zoned(TimeZone::fixed(prev)).datetime();
        out.extend(observance(t.dst().is_dst(), at, prev, t.offset(), t.abbreviation()));
        prev = t.offset();
    }
    out.push("END:VTIMEZONE".into());
    out
}

fn year_start(zone: &TimeZone, year: i16) -> Timestamp {
    jiff::civil::date(year, 1, 1)
        .at(0, 0, 0, 0)
        .to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

fn observance(dst: bool, start: DateTime, from: Offset, to: Offset, name: &str) -> Vec<String> {
    let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
    vec![
        format!("BEGIN:{kind}"),
        format!("DTSTART:{}", local(start)),
        format!("TZOFFSETFROM:{}", offset(from)),
        format!("TZOFFSETTO:{}", offset(to)),
        format!("TZNAME:{}", text(name)),
        format!("END:{kind}"),
    ]
}

/// `+0330`, `-0500`, `+053328` (LMT-style seconds kept).
pub fn offset(o: Offset) -> String {
    let s = o.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let a = s.unsigned_abs();
    let (h, m, sec) = (a / 3600, (a % 3600) / 60, a % 60);
    if sec == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{sec:02}") }
}

fn local(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted, with the characters a quoted value cannot hold dropped.
fn param(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !matches!(c, '"' | '\r' | '\n') && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// Folds a content line at 75 octets, never inside a UTF-8 character (RFC 5545 3.1).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests;
