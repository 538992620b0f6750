//! Phone numbers in E.164 (`+212612345678`), which is what SMS and WhatsApp gateways accept.
//! A number typed the national way (`0612345678`, `0912 345 6789`) is read with the clinic's
//! country as the default region, through Google's libphonenumber metadata (the `phonenumber`
//! crate) rather than hand-written rules: trunk prefixes, lengths and number plans differ per
//! country and change over time.

use crate::error::{DomainError, Reason};
use phonenumber::country;

/// A clinic's country, ISO 3166-1 alpha-2 (`MA`, `IR`), upper-cased: the region a phone
/// number without `+` belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    id: country::Id,
    code: [u8; 2],
}

impl Country {
    /// Reads an ISO 3166-1 alpha-2 code (any case). Only countries with a telephone numbering
    /// plan in the metadata are accepted, so every accepted country can parse numbers.
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        let bad = || {
            DomainError::invalid_because(
                field,
                Reason::new("country", "use a two-letter ISO 3166-1 country code such as MA or IR"),
            )
        };
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let id: country::Id = code.parse().map_err(|_| bad())?;
        let b = code.as_bytes();
        Ok(Self { id, code: [b[0], b[1]] })
    }

    /// The upper-case code, as stored.
    pub fn code(&self) -> &str {
        // Two ASCII capitals, checked in `parse`.
        std::str::from_utf8(&self.code).unwrap_or("ZZ")
    }
}

/// Normalises a phone number to E.164. With a leading `+` (or `00`) the number carries its own
/// country; otherwise it is read in `region`, and without a region it is refused with a reason
/// that asks for the international form. Numbers the metadata says cannot exist are refused
/// too: a typo caught at the desk costs less than an SMS that never arrives.
pub fn to_e164(field: &str, raw: &str, region: Option<Country>) -> Result<String, DomainError> {
    let raw = raw.trim();
    if raw.chars().any(|c| !(c.is_ascii_digit() || " +-.()/".contains(c))) || raw.len() > 40 {
        return Err(DomainError::invalid_because(field, Reason::new("phone", PHONE_HINT)));
    }
    let international = raw.starts_with('+') || raw.starts_with("00");
    if !international && region.is_none() {
        return Err(DomainError::invalid_because(
            field,
            Reason::new("phone-international", "write the number with its country code, e.g. +212 612 345 678"),
        ));
    }
    let number = phonenumber::parse(region.map(|c| c.id), raw)
        .map_err(|_| DomainError::invalid_because(field, Reason::new("phone", PHONE_HINT)))?;
    if !phonenumber::is_valid(&number) {
        return Err(DomainError::invalid_because(field, Reason::new("phone", PHONE_HINT)));
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// Loads the numbering-plan metadata now. The crate decodes it on first use, which takes a
/// noticeable time in a debug build (over a second on a busy machine): a server calls this at
/// start so the first booking does not pay for it (and outlive a short hold meanwhile).
pub fn warm_up() {
    let _ = phonenumber::parse(None, "+442079460000");
}

const PHONE_HINT: &str = "this is not a phone number in use (e.g. +212 612 345 678)";

/// How an E.164 number may have been stored before numbers were normalised (digits as typed,
/// separators removed): the national form with its trunk prefix (`0612345678`), the
/// international digits without `+` (`212612345678`) or with `00`. The store looks for rows
/// with these contact keys and rewrites them in E.164, so a patient who booked as `0612345678`
/// before the upgrade is still recognised, and keeps one record, when they book again.
/// (The `+212…` spelling needs no rewrite: it already is E.164.)
pub fn legacy_spellings(e164: &str) -> Vec<String> {
    let Ok(number) = phonenumber::parse(None, e164) else { return Vec::new() };
    let digits = |s: String| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let international = digits(e164.to_owned());
    let mut out = vec![
        digits(number.format().mode(phonenumber::Mode::National).to_string()),
        international.clone(),
        format!("00{international}"),
    ];
    out.retain(|s| !s.is_empty());
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(c: &str) -> Option<Country> {
        Some(Country::parse("country", c).expect("known country"))
    }

    fn field_reason(r: Result<String, DomainError>) -> (String, &'static str) {
        match r {
            Err(DomainError::Invalid { field, reason: Some(reason), .. }) => (field, reason.code),
            other => panic!("expected a reasoned error, got {other:?}"),
        }
    }

    #[test]
    fn national_numbers_take_the_clinics_country() {
        assert_eq!(to_e164("p", "0612345678", country("MA")).as_deref(), Ok("+212612345678"));
        assert_eq!(to_e164("p", "0912 345 6789", country("ir")).as_deref(), Ok("+989123456789"));
        assert_eq!(to_e164("p", "06 12 34 56 78", country("FR")).as_deref(), Ok("+33612345678"));
        assert_eq!(to_e164("p", "0532 111 22 33", country("TR")).as_deref(), Ok("+905321112233"));
    }

    #[test]
    fn international_numbers_keep_their_own_country() {
        // A Moroccan clinic's patient with a French mobile.
        assert_eq!(to_e164("p", "+33 6 12 34 56 78", country("MA")).as_deref(), Ok("+33612345678"));
        assert_eq!(to_e164("p", "0033612345678", country("MA")).as_deref(), Ok("+33612345678"));
        assert_eq!(to_e164("p", "+98 (912) 345-6789", None).as_deref(), Ok("+989123456789"));
        // Every spelling of one number is one E.164 string: the contact key matches.
        let spellings = ["0912 345 6789", "09123456789", "+989123456789", "+98 912 345 6789", "0098-912-345-6789"];
        for s in spellings {
            assert_eq!(to_e164("p", s, country("IR")).as_deref(), Ok("+989123456789"), "{s}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        assert_eq!(
            field_reason(to_e164("patient.phone", "0612345678", None)),
            ("patient.phone".into(), "phone-international")
        );
        assert_eq!(field_reason(to_e164("patient.phone", "call me", country("MA"))).1, "phone");
        assert_eq!(field_reason(to_e164("patient.phone", "12ab", country("MA"))).1, "phone");
        assert_eq!(field_reason(to_e164("patient.phone", "061234", country("MA"))).1, "phone");
        assert_eq!(field_reason(to_e164("patient.phone", "+99912345678", None)).1, "phone");
        assert_eq!(field_reason(to_e164("patient.phone", "1+2345678", country("FR"))).1, "phone");
    }

    #[test]
    fn countries() {
        assert_eq!(Country::parse("country", " ma ").map(|c| c.code().to_owned()).as_deref(), Ok("MA"));
        assert_eq!(Country::parse("country", "IR").map(|c| c.code().to_owned()).as_deref(), Ok("IR"));
        for bad in ["", "M", "MAR", "XX", "1A", "ZZ"] {
            assert!(Country::parse("country", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_spellings_of_a_number() {
        assert_eq!(legacy_spellings("+212612345678"), ["0612345678", "212612345678", "00212612345678"]);
        assert_eq!(legacy_spellings("+989123456789")[0], "09123456789");
        assert!(legacy_spellings("not a number").is_empty());
    }

    /// Numbers the demo, the README and the test suites book with: all must stay valid.
    #[test]
    fn numbers_in_use_elsewhere_are_valid() {
        for n in [
            "+212600111222",
            "+989121234567",
            "+905321112233",
            "+212661234567",
            "+989351112233",
            "+79161234567",
            "+212 600 11 22 33",
            "+98 912 000 1122",
            "+989121234568",
            "+989125550123",
            "+989127770011",
            "+989120000030",
            "+989120000020",
            "+33612345678",
            "+98 912-123-4567",
        ] {
            assert!(to_e164("p", n, None).is_ok(), "{n}");
        }
    }
}
