//! Ready-made idempotency-key extractors for [`crate::Recorder::count_by_key`] and
//! [`crate::Recorder::assert_exactly_once`].
//!
//! ```ignore
//! smtp.messages().assert_exactly_once(keys::smtp_message_id, expected_ids);
//! twilio.sent().assert_exactly_once(|s| keys::header("Idempotency-Key")(&s.request), keys);
//! tg.sent().assert_exactly_once(|m| keys::marker(&m.text, "ref:"), refs);
//! ```

use crate::http::HttpRequest;
use crate::smtp::SmtpMessage;

/// A request header's value.
pub fn header(name: &str) -> impl Fn(&HttpRequest) -> Option<String> + '_ {
    move |r| r.header(name).map(str::to_owned)
}

/// The Message-ID of a mail, without angle brackets.
pub fn smtp_message_id(m: &SmtpMessage) -> Option<String> {
    m.mail().message_id()
}

/// Any header of a mail (decoded), e.g. a custom `X-Nobat-Message`.
pub fn smtp_header(name: &str) -> impl Fn(&SmtpMessage) -> Option<String> + '_ {
    move |m| m.mail().header(name)
}

/// The token that follows `prefix` in `text`, up to whitespace or `]`/`)`: for markers such
/// as `ref:abc123` embedded in a Telegram or SMS text.
pub fn marker(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)? + prefix.len();
    let token: String =
        text[start..].chars().take_while(|c| !c.is_whitespace() && !matches!(c, ']' | ')' | ',' | '.')).collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::marker;

    #[test]
    fn marker_takes_the_token_after_the_prefix() {
        assert_eq!(marker("نوبت شما (ref:ab12) ثبت شد", "ref:").as_deref(), Some("ab12"));
        assert_eq!(marker("ref:x1 and more", "ref:").as_deref(), Some("x1"));
        assert_eq!(marker("no marker", "ref:"), None);
        assert_eq!(marker("ref: spaced", "ref:"), None);
    }
}
