//! A received e-mail, parsed: decoded headers (RFC 2047 encoded-words), text and HTML bodies
//! (base64 / quoted-printable undone, charsets converted) and attachments.

use mail_parser::{MessageParser, MimeHeaders};

/// One attachment of a received mail.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub filename: Option<String>,
    /// `type/subtype`, lower-cased, e.g. `text/calendar`.
    pub content_type: String,
    /// Parameters of the Content-Type header (e.g. `method=REQUEST`, `charset=utf-8`).
    pub content_type_params: Vec<(String, String)>,
    /// The decoded content.
    pub data: Vec<u8>,
}

impl Attachment {
    /// The content as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// For an iCalendar attachment: every content line named `name` (e.g. `DTSTART`), after
    /// unfolding (RFC 5545 §3.1), as (parameters, value): `DTSTART;TZID=Asia/Tehran:20260321T093000`
    /// gives `([("TZID", "Asia/Tehran")], "20260321T093000")`. A quick look for tests; the
    /// full check is a real parser (the PyPI `icalendar` package).
    pub fn ics_properties(&self, name: &str) -> Vec<(Vec<(String, String)>, String)> {
        let text = self.text().replace("\r\n", "\n");
        // Unfold: a line starting with a space or tab continues the previous one.
        let unfolded = text.replace("\n ", "").replace("\n\t", "");
        unfolded
            .lines()
            .filter_map(|line| {
                let (head, value) = line.split_once(':')?;
                let mut parts = head.split(';');
                let prop = parts.next()?;
                if !prop.eq_ignore_ascii_case(name) {
                    return None;
                }
                let params = parts
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
                    .collect();
                Some((params, value.to_owned()))
            })
            .collect()
    }
}

/// A parsed RFC 5322 message.
pub struct Mail {
    msg: Option<mail_parser::Message<'static>>,
}

impl Mail {
    /// Parses raw message data. A message that cannot be parsed at all gives a `Mail` whose
    /// accessors return `None`/empty.
    pub fn parse(raw: &[u8]) -> Self {
        Self { msg: MessageParser::default().parse(raw).map(mail_parser::Message::into_owned) }
    }

    /// The Subject, RFC 2047 encoded-words decoded.
    pub fn subject(&self) -> Option<String> {
        self.msg.as_ref()?.subject().map(str::to_owned)
    }

    /// The Message-ID without angle brackets.
    pub fn message_id(&self) -> Option<String> {
        self.msg.as_ref()?.message_id().map(str::to_owned)
    }

    /// A header by name (case-insensitive), decoded when it is a text header; the raw value
    /// (trimmed) otherwise.
    pub fn header(&self, name: &str) -> Option<String> {
        let msg = self.msg.as_ref()?;
        let h = msg.headers().iter().find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
        if let Some(t) = h.value.as_text() {
            return Some(t.to_owned());
        }
        msg.header_raw(name).map(|v| v.trim().to_owned())
    }

    /// The raw (undecoded) header value, trimmed.
    pub fn header_raw(&self, name: &str) -> Option<String> {
        self.msg.as_ref()?.header_raw(name).map(|v| v.trim().to_owned())
    }

    /// First From address.
    pub fn from_address(&self) -> Option<String> {
        let a = self.msg.as_ref()?.from()?.first()?;
        a.address().map(str::to_owned)
    }

    /// All To addresses.
    pub fn to_addresses(&self) -> Vec<String> {
        let Some(msg) = self.msg.as_ref() else {
            return Vec::new();
        };
        msg.to().map(|to| to.iter().filter_map(|a| a.address().map(str::to_owned)).collect()).unwrap_or_default()
    }

    /// The first text/plain body, decoded.
    pub fn text_body(&self) -> Option<String> {
        self.msg.as_ref()?.body_text(0).map(|c| c.into_owned())
    }

    /// The first text/html body, decoded.
    pub fn html_body(&self) -> Option<String> {
        self.msg.as_ref()?.body_html(0).map(|c| c.into_owned())
    }

    /// Every attachment, decoded.
    pub fn attachments(&self) -> Vec<Attachment> {
        let Some(msg) = self.msg.as_ref() else {
            return Vec::new();
        };
        msg.attachments()
            .map(|part| {
                let (content_type, content_type_params) = part
                    .content_type()
                    .map(|ct| {
                        let t = match ct.subtype() {
                            Some(st) => format!("{}/{}", ct.ctype(), st),
                            None => ct.ctype().to_owned(),
                        };
                        let params = ct
                            .attributes()
                            .unwrap_or_default()
                            .iter()
                            .map(|a| (a.name.to_string(), a.value.to_string()))
                            .collect();
                        (t.to_ascii_lowercase(), params)
                    })
                    .unwrap_or_else(|| ("application/octet-stream".into(), Vec::new()));
                Attachment {
                    filename: part.attachment_name().map(str::to_owned),
                    content_type,
                    content_type_params,
                    data: part.contents().to_vec(),
                }
            })
            .collect()
    }

    /// The first attachment of this content type (e.g. `text/calendar`).
    pub fn attachment_of_type(&self, content_type: &str) -> Option<Attachment> {
        self.attachments().into_iter().find(|a| a.content_type.eq_ignore_ascii_case(content_type))
    }

    /// The first attachment whose file name ends with `suffix` (e.g. `.ics`).
    pub fn attachment_named(&self, suffix: &str) -> Option<Attachment> {
        self.attachments().into_iter().find(|a| {
            a.filename.as_deref().is_some_and(|f| f.to_ascii_lowercase().ends_with(&suffix.to_ascii_lowercase()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Attachment;

    #[test]
    fn ics_lines_are_unfolded_before_reading() {
        let ics = "BEGIN:VEVENT\r\nSUMMARY:a long\r\n  summary\r\nDTSTART;TZID=\"Asia/Tehran\";X=1:2026\r\n\t0321T093000\r\nEND:VEVENT\r\n";
        let a = Attachment {
            filename: None,
            content_type: "text/calendar".into(),
            content_type_params: Vec::new(),
            data: ics.as_bytes().to_vec(),
        };
        assert_eq!(a.ics_properties("summary")[0].1, "a long summary");
        let (params, value) = &a.ics_properties("DTSTART")[0];
        assert_eq!(value, "20260321T093000");
        assert_eq!(params[0], ("TZID".to_owned(), "Asia/Tehran".to_owned()));
        assert!(a.ics_properties("DTEND").is_empty());
    }
}
