//! Who a booking is for. Guests give a name and a phone number or an email address; both are
//! normalised here so the same person is recognised on their next booking.

use crate::error::{DomainError, Reason};
use crate::phone::{Country, to_e164};
use serde::{Deserialize, Serialize};

/// A validated patient contact, as given by a guest booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientContact {
    pub name: String,
    /// E.164 (`+212612345678`). Rows written before numbers were normalised may still hold
    /// bare digits; they are rewritten the next time the patient books (see the store).
    pub phone: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    /// The patient's language, one of `en fa ar fr ru tr`, if they said.
    pub language: Option<String>,
}

impl PatientContact {
    /// Parses and normalises; errors name the field (`patient.name`, `patient.phone`, …).
    /// Without a country, a phone number must be written with its country code; see
    /// [`PatientContact::parse_in`].
    pub fn parse(
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        language: Option<&str>,
    ) -> Result<Self, DomainError> {
        Self::parse_in(name, phone, email, language, None)
    }

    /// Parses and normalises a contact given to a clinic in `country`: a phone number is stored
    /// in E.164, read in the clinic's country when typed the national way; the language is one
    /// of the six Nobat speaks (a regional tag such as `fa-IR` is stored as `fa`).
    pub fn parse_in(
        name: &str,
        phone: Option<&str>,
        email: Option<&str>,
        language: Option<&str>,
        country: Option<Country>,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(DomainError::invalid_because(
                "patient.name",
                Reason::new("name", "give the patient's name (1 to 200 characters)").num("max", 200),
            ));
        }
        let phone =
            phone.map(str::trim).filter(|p| !p.is_empty()).map(|p| to_e164("patient.phone", p, country)).transpose()?;
        let email = email.map(str::trim).filter(|e| !e.is_empty()).map(normalise_email).transpose()?;
        if phone.is_none() && email.is_none() {
            return Err(DomainError::invalid_because(
                "patient.phone",
                Reason::new("contact-missing", "give a phone number or an email address"),
            ));
        }
        let language = language.map(|l| parse_language("patient.language", l)).transpose()?.flatten();
        Ok(Self { name: name.to_owned(), phone, email, language })
    }
}

/// Reads a language tag as one of the six languages Nobat speaks, as its bare code (`fa`).
/// An empty tag is no preference (`None`). A tag naming another language is refused rather
/// than stored as the "nearest" one: messages in a language the patient did not ask for are
/// worse than a 422 the front end can show, and there is no meaningful nearest to `de`.
pub fn parse_language(field: &str, tag: &str) -> Result<Option<String>, DomainError> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Ok(None);
    }
    match nobat_i18n::Lang::from_tag(tag) {
        Some(lang) if tag.len() <= 35 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
            Ok(Some(lang.code().to_owned()))
        }
        _ => Err(DomainError::invalid_because(
            field,
            Reason::new(
                "language",
                "use one of the languages en, fa, ar, fr, ru, tr (a tag such as fa-IR counts as fa)",
            ),
        )),
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

fn normalise_email(raw: &str) -> Result<String, DomainError> {
    let bad = || {
        DomainError::invalid_because("patient.email", Reason::new("email", "this does not look like an email address"))
    };
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
        let p = PatientContact::parse(" Amina ", Some("+212 612-34.56(78)"), None, Some("ar-MA")).expect("valid");
        assert_eq!(p.name, "Amina");
        assert_eq!(p.phone.as_deref(), Some("+212612345678"));
        assert_eq!(p.language.as_deref(), Some("ar"));
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
        assert_eq!(field(PatientContact::parse("A", None, Some("x@y.z"), Some("de-DE"))), "patient.language");
        assert_eq!(field(PatientContact::parse("A", None, Some("x@y.z"), Some("fa;DROP"))), "patient.language");
        // A national number needs the clinic's country.
        assert_eq!(field(PatientContact::parse("A", Some("0612345678"), None, None)), "patient.phone");
    }

    #[test]
    fn languages_are_one_of_six() {
        for (tag, code) in
            [("fa-IR", "fa"), ("AR_ma", "ar"), ("fr", "fr"), ("ru-RU", "ru"), ("tr", "tr"), ("en-GB", "en")]
        {
            let p = PatientContact::parse("A", None, Some("x@y.z"), Some(tag)).expect(tag);
            assert_eq!(p.language.as_deref(), Some(code), "{tag}");
        }
        assert_eq!(PatientContact::parse("A", None, Some("x@y.z"), Some("  ")).expect("blank").language, None);
    }

    #[test]
    fn one_person_one_key_whatever_the_spelling() {
        let ir = Some(Country::parse("country", "IR").expect("IR"));
        let ma = Some(Country::parse("country", "MA").expect("MA"));
        let key =
            |phone: &str, c| PatientContact::parse_in("Reza", Some(phone), None, None, c).expect(phone).contact_key();
        assert_eq!(key("0912 345 6789", ir), "phone:+989123456789");
        assert_eq!(key("+98 912-345-6789", ir), key("09123456789", ir));
        assert_eq!(
            key("+98 912-345-6789", ma),
            key("0912 345 6789", ir),
            "an international number ignores the country"
        );
        assert_eq!(key("0612345678", ma), "phone:+212612345678");
    }
}
