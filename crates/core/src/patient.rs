//! Who a booking is for. Guests give a name and a phone number or an email address; both are
//! normalised here so the same person is recognised on their next booking.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};

/// A validated patient contact, as given by a guest booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientContact {
    pub name: String,
    /// Digits with an optional leading `+`, spaces and punctuation removed.
    pub phone: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    /// BCP 47 language tag the patient prefers, if they said.
    pub language: Option<String>,
}

impl PatientContact {
    /// Parses and normalises; errors name the field (`patient.name`, `patient.phone`, …).
    pub fn parse(
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        language: Option<&str>,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(DomainError::invalid("patient.name", "give the patient's name (1 to 200 characters)"));
        }
        let phone = phone.map(str::trim).filter(|p| !p.is_empty()).map(normalise_phone).transpose()?;
        let email = email.map(str::trim).filter(|e| !e.is_empty()).map(normalise_email).transpose()?;
        if phone.is_none() && email.is_none() {
            return Err(DomainError::invalid("patient.phone", "give a phone number or an email address"));
        }
        let language = language.map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned);
        if let Some(l) = &language
            && (l.len() > 35 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(DomainError::invalid("patient.language", "use a language tag such as fa or ar-MA"));
        }
        Ok(Self { name: name.to_owned(), phone, email, language })
    }
}

impl PatientContact {
    /// How the patient is recognised across bookings and verified: `phone:+98…` if they gave
    /// a phone, else `email:…`.
    pub fn contact_key(&self) -> String {
        match (&self.phone, &self.email) {
            (Some(p), _) => format!("phone:{p}"),
            (None, Some(e)) => format!("email:{e}"),
            // `parse` refuses a contact with neither.
            (None, None) => String::from("none:"),
        }
    }
}

fn normalise_phone(raw: &str) -> Result<String, DomainError> {
    let bad = || DomainError::invalid("patient.phone", "use digits, optionally starting with + (e.g. +212 600 123456)");
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(bad()),
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(6..=17).contains(&digits) {
        return Err(bad());
    }
    Ok(out)
}

fn normalise_email(raw: &str) -> Result<String, DomainError> {
    let bad = || DomainError::invalid("patient.email", "this does not look like an email address");
    let (local, domain) = raw.rsplit_once('@').ok_or_else(bad)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || raw.len() > 254
        || raw.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(raw.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        let p = PatientContact::parse(" Amina ", Some("+212 600-12.34(56)"), None, Some("ar-MA")).expect("valid");
        assert_eq!(p.name, "Amina");
        assert_eq!(p.phone.as_deref(), Some("+212600123456"));
        let p = PatientContact::parse("Reza", None, Some("Reza@Example.IR"), None).expect("valid");
        assert_eq!(p.email.as_deref(), Some("reza@example.ir"));
        let field = |r: Result<PatientContact, DomainError>| match r {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected an error, got {other:?}"),
        };
        assert_eq!(field(PatientContact::parse("", Some("+33612345678"), None, None)), "patient.name");
        assert_eq!(field(PatientContact::parse("A", None, None, None)), "patient.phone");
        assert_eq!(field(PatientContact::parse("A", Some("12ab"), None, None)), "patient.phone");
        assert_eq!(field(PatientContact::parse("A", Some("1+2345678"), None, None)), "patient.phone");
        assert_eq!(field(PatientContact::parse("A", None, Some("no-at-sign"), None)), "patient.email");
        assert_eq!(field(PatientContact::parse("A", None, Some("x@y.z"), Some("fa IR"))), "patient.language");
    }
}
