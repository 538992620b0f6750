//! Patients joining a line themselves, from the clinic's join link or the QR code at the
//! entrance. Whether they may is decided here: the clinic must allow it, the queue's day must
//! be open, and the line must be shorter than the clinic's cap (past it the patient is sent to
//! the desk, so a link shared outside cannot fill the waiting room).

use super::Settings;
use crate::{DomainError, PatientContact};

/// Whether a patient may join a line of `waiting` tickets by link.
pub fn may_join(settings: &Settings, closed: bool, waiting: u32) -> Result<(), DomainError> {
    if !settings.remote_join || closed {
        return Err(DomainError::QueueClosed);
    }
    if waiting >= settings.remote_cap {
        return Err(DomainError::QueueFull { cap: settings.remote_cap });
    }
    Ok(())
}

/// A Telegram chat to reach the patient in: a numeric chat id (negative for groups) or a
/// public `@username` (5–32 letters, digits or `_`).
pub fn telegram_chat(raw: &str) -> Result<String, DomainError> {
    let v = raw.trim();
    let numeric = v.strip_prefix('-').unwrap_or(v);
    if !numeric.is_empty() && numeric.len() <= 20 && numeric.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(v.to_owned());
    }
    if let Some(name) = v.strip_prefix('@')
        && (5..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Ok(v.to_owned());
    }
    Err(DomainError::invalid("telegram_chat", "a Telegram chat id (digits) or @username"))
}

/// Who joins by link: a name and at least one way to reach them (phone, email or Telegram
/// chat) — the patient is away from the desk, so the clinic must be able to call them, and
/// the joins of one contact are limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joiner {
    pub contact: PatientContact,
    pub telegram_chat: Option<String>,
}

fn given(v: Option<&str>) -> Option<&str> {
    v.filter(|v| !v.trim().is_empty())
}

impl Joiner {
    pub fn parse(
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        telegram: Option<&str>,
        language: Option<&str>,
    ) -> Result<Joiner, DomainError> {
        let telegram_chat = given(telegram).map(telegram_chat).transpose()?;
        if given(phone).is_none() && given(email).is_none() && telegram_chat.is_none() {
            return Err(DomainError::invalid("phone", "a phone, email or telegram_chat to reach you"));
        }
        let contact = super::walk_in_contact(name, given(phone), given(email), language)?;
        Ok(Joiner { contact, telegram_chat })
    }

    /// The key joins are limited under: the first contact given, normalised.
    pub fn contact_key(&self) -> String {
        match (&self.contact.phone, &self.contact.email, &self.telegram_chat) {
            (Some(p), _, _) => format!("tel:{p}"),
            (None, Some(e), _) => format!("mailto:{e}"),
            (None, None, Some(t)) => format!("telegram:{}", t.to_ascii_lowercase()),
            (None, None, None) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(cap: u32) -> Settings {
        Settings::default().with_remote(true, cap).expect("valid")
    }

    #[test]
    fn joining_needs_the_clinic_an_open_day_and_room_in_the_line() {
        assert_eq!(may_join(&Settings::default(), false, 0), Err(DomainError::QueueClosed), "off by default");
        assert_eq!(may_join(&on(3), true, 0), Err(DomainError::QueueClosed));
        assert_eq!(may_join(&on(3), false, 2), Ok(()));
        assert_eq!(may_join(&on(3), false, 3), Err(DomainError::QueueFull { cap: 3 }));
    }

    #[test]
    fn a_joiner_needs_a_way_to_be_reached() {
        assert!(Joiner::parse("Amina", None, None, None, Some("fr")).is_err());
        assert!(Joiner::parse("Amina", Some(" "), None, Some(""), None).is_err());
        let j = Joiner::parse("Amina", None, None, Some("123456789"), Some("ar")).expect("telegram is enough");
        assert_eq!((j.contact.phone.as_deref(), j.contact_key()), (None, "telegram:123456789".into()));
        let j = Joiner::parse("Amina", Some("+212612345678"), None, None, None).expect("phone");
        assert_eq!(j.contact_key(), "tel:+212612345678");
        assert!(Joiner::parse("Amina", None, None, Some("@ab"), None).is_err());
        assert!(Joiner::parse("Amina", None, None, Some("@amina_b"), None).is_ok());
        assert!(Joiner::parse("Amina", None, None, Some("12a"), None).is_err());
    }
}
