//! A message kind, its context and a language → the words sent. Clinic overrides of a
//! template's text (validated when saved) take precedence over the catalogue.
//!
//! Which catalogue keys each kind uses is [`keys`]. Dates and times are written through
//! `nobat_i18n` in the context's zone (the location's), in the clinic's calendar: Solar Hijri
//! with Persian digits for `fa`, Arabic-Indic digits for `ar` (Hijri when the clinic chose
//! it). The plain text (and subject) of `fa`/`ar` starts every line with RLM so it reads
//! right to left in an SMS or chat; the HTML is a small document with `lang` and `dir` on
//! `<html>`, every text escaped, and Fluent's FSI…PDI isolates turned into `<bdi>` (HTML
//! carries direction in markup, not control characters).

use crate::context::MessageContext;
use crate::kind::MessageKind;
use nobat_i18n::{Args, Lang, Messages, Overrides, RenderError, format_date, format_time, html_dir, wrap_plain_rtl};

/// A rendered message. `text` is plain (RTL-marked for `fa`/`ar`); `html` for email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
}

/// The catalogue keys of a kind: (subject, body). Kinds sent only as short texts (queue calls)
/// have no subject; the dispatcher uses the clinic's name if such a message goes by email.
pub fn keys(kind: MessageKind) -> (Option<&'static str>, &'static str) {
    match kind {
        MessageKind::BookingConfirmed => (Some("appointment-confirmed-subject"), "appointment-confirmed-body"),
        MessageKind::BookingRescheduled => (Some("appointment-rescheduled-subject"), "appointment-rescheduled-body"),
        MessageKind::BookingCancelled => (Some("appointment-cancelled-subject"), "appointment-cancelled-body"),
        MessageKind::Reminder => (Some("appointment-reminder-subject"), "appointment-reminder-body"),
        MessageKind::VerificationCode => (Some("verification-code-subject"), "verification-code"),
        MessageKind::StaffInvitation => (Some("staff-invitation-subject"), "staff-invitation-body"),
        MessageKind::QueueNext => (None, "queue-you-are-next"),
        MessageKind::QueueCalled => (None, "queue-come-to-room"),
        MessageKind::WatchOffer => (Some("watch-offer-subject"), "watch-offer-body"),
        MessageKind::AdminAlert => (Some("admin-alert-subject"), "admin-alert-body"),
        MessageKind::SourceSlotFree => (Some("source-slot-free-subject"), "source-slot-free-body"),
        MessageKind::WatchFree => (Some("watch-free-subject"), "watch-free-body"),
        MessageKind::WatchBooked => (Some("watch-booked-subject"), "watch-booked-body"),
        MessageKind::WatchExpired => (Some("watch-expired-subject"), "watch-expired-body"),
        MessageKind::SecureMessage => (Some("secure-message-subject"), "secure-message-body"),
    }
}

/// The arguments every template may use, from the context. A field that is `None` is left
/// out, so a template that needs it fails with Fluent's "unknown variable" naming it, rather
/// than sending a message with a hole.
fn args(messages: &Messages, overrides: &Overrides, lang: Lang, ctx: &MessageContext) -> Result<Args, RenderError> {
    let mut a = Args::new().str("clinic", ctx.clinic_name.as_str());
    let text = |a: Args, name: &str, v: &Option<String>| match v {
        Some(v) => a.str(name, v.as_str()),
        None => a,
    };
    a = text(a, "patient", &ctx.recipient_name);
    a = text(a, "service", &ctx.service);
    a = text(a, "practitioner", &ctx.practitioner);
    // A location without a name of its own is shown by its address.
    a = text(a, "location", &ctx.location.clone().or_else(|| ctx.address.clone()));
    a = text(a, "link", &ctx.link);
    a = text(a, "stop", &ctx.stop_link);
    a = text(a, "last_day", &ctx.last_day);
    a = text(a, "code", &ctx.code);
    a = text(a, "detail", &ctx.detail);
    if let (Some(start), Some(zone)) = (ctx.start, ctx.zone.as_ref()) {
        a = a.str("date", format_date(lang, start, zone, ctx.calendar)).str("time", format_time(lang, start, zone));
    }
    // A room number is a number (written in the language's digits); a named room is text.
    if let Some(room) = &ctx.room {
        a = match room.trim().parse::<i64>() {
            Ok(n) => a.num("room", n),
            Err(_) => a.str("room", room.as_str()),
        };
    }
    for (name, v) in [("count", ctx.ahead), ("hours", ctx.hours), ("minutes", ctx.minutes)] {
        if let Some(v) = v {
            a = a.num(name, v);
        }
    }
    if let Some(key) = &ctx.alert_key {
        // The alert sentence is a catalogue key of its own (a clinic may reword it too).
        let sentence = messages.render_with(lang, key, &Args::new(), overrides)?;
        a = a.str("alert", sentence);
    }
    Ok(a)
}

/// Renders `kind` in `lang`: the clinic's override for a key in that language wins, else the
/// catalogue of `lang`, else English.
pub fn render(
    messages: &Messages,
    overrides: &Overrides,
    kind: MessageKind,
    lang: Lang,
    ctx: &MessageContext,
) -> Result<Rendered, RenderError> {
    let args = args(messages, overrides, lang, ctx)?;
    let (subject_key, body_key) = keys(kind);
    let body = messages.render_with(lang, body_key, &args, overrides)?;
    let subject = match subject_key {
        Some(key) => Some(messages.render_with(lang, key, &args, overrides)?),
        None => None,
    };
    let html = html_document(lang, subject.as_deref().unwrap_or(&ctx.clinic_name), &body);
    Ok(Rendered {
        // A subject is one line: no line breaks from an override can reach a mail header.
        subject: subject.map(|s| wrap_plain_rtl(lang, &s.replace(['\r', '\n'], " "))),
        text: wrap_plain_rtl(lang, &bare_links(&body)),
        html: Some(html),
    })
}

/// A link the patient taps must be the bare URL: SMS apps and mail clients end a detected link
/// at whitespace, so an isolate's closing PDI (U+2069) right after it would become part of the
/// URL and break it. A URL is a left-to-right run that sits at a line's end in every template,
/// so it needs no isolation; other placeables keep theirs.
fn bare_links(text: &str) -> String {
    const FSI: char = '\u{2068}';
    const PDI: char = '\u{2069}';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\u{2068}http") {
        out.push_str(&rest[..i]);
        let after = &rest[i + FSI.len_utf8()..];
        match after.find(PDI) {
            Some(j) => {
                out.push_str(&after[..j]);
                rest = &after[j + PDI.len_utf8()..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with Fluent's isolates as `<bdi>` and the plain RLMs dropped (the `dir`
/// attribute does their work).
fn html_text(text: &str) -> String {
    escape_html(text).replace('\u{2068}', "<bdi>").replace('\u{2069}', "</bdi>").replace('\u{200F}', "")
}

/// The email's HTML part: one `<p>` per paragraph (blank-line separated), `<br>` between lines.
fn html_document(lang: Lang, title: &str, body: &str) -> String {
    let code = lang.code();
    let dir = html_dir(lang);
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\" dir=\"{dir}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n",
        // `<title>` holds text only: no `<bdi>` there, the isolates are dropped.
        escape_html(&title.replace(['\u{2068}', '\u{2069}', '\u{200F}'], ""))
    );
    let normalized = body.replace("\r\n", "\n");
    for paragraph in normalized.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = paragraph.lines().map(|l| html_text(l.trim())).collect();
        html.push_str("<p>");
        html.push_str(&lines.join("<br>\n"));
        html.push_str("</p>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}
