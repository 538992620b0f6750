//! The six languages Nobat speaks, how to read them from a tag or an `Accept-Language` header,
//! and which one wins when a patient, a clinic and a browser disagree.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A language with a full catalogue. Stored as its bare ISO 639-1 code (`patient.language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Fa,
    Ar,
    Fr,
    Ru,
    Tr,
}

/// Writing direction of a language's running text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Ltr,
    Rtl,
}

impl Dir {
    /// The value for an HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

/// A tag that names none of the six languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported language {0:?}; use one of en, fa, ar, fr, ru, tr")]
pub struct UnknownLang(pub String);

impl Lang {
    /// Every supported language, English (the fallback) first.
    pub const ALL: [Lang; 6] = [Lang::En, Lang::Fa, Lang::Ar, Lang::Fr, Lang::Ru, Lang::Tr];

    /// The bare code: `en`, `fa`, ...
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::Ru => "ru",
            Lang::Tr => "tr",
        }
    }

    pub fn dir(self) -> Dir {
        match self {
            Lang::Fa | Lang::Ar => Dir::Rtl,
            _ => Dir::Ltr,
        }
    }

    pub fn is_rtl(self) -> bool {
        self.dir() == Dir::Rtl
    }

    /// Reads a BCP 47 tag, keeping only its language subtag: `fa-IR`, `FA`, `fa_IR`,
    /// `ar-SA-u-ca-islamic` all count. Anything else, including `und` or `*`, is `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Some(match primary.to_ascii_lowercase().as_str() {
            "en" => Lang::En,
            "fa" | "per" | "fas" => Lang::Fa,
            "ar" | "ara" => Lang::Ar,
            "fr" | "fre" | "fra" => Lang::Fr,
            "ru" | "rus" => Lang::Ru,
            "tr" | "tur" => Lang::Tr,
            _ => return None,
        })
    }

    /// The supported language a browser prefers most, from an `Accept-Language` header
    /// (RFC 9110 §12.5.4): the highest quality wins, ties go to the earlier entry, `q=0` means
    /// "not this one". Malformed entries are skipped rather than failing the whole header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        let mut refused: Vec<Lang> = Vec::new();
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else { continue };
            let mut q = 1000u16;
            for param in parts {
                let param = param.trim();
                if let Some(v) = param.strip_prefix("q=").or_else(|| param.strip_prefix("Q=")) {
                    match parse_qvalue(v) {
                        Some(parsed) => q = parsed,
                        None => q = 0, // an unreadable weight is not a preference
                    }
                }
            }
            if q == 0 {
                refused.push(lang);
                continue;
            }
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        // "fa;q=0, fa-IR" is contradictory; the explicit refusal wins.
        best.map(|(_, l)| l).filter(|l| !refused.contains(l))
    }

    /// The language a message is sent in: the patient's own, else the clinic's default,
    /// else English.
    pub fn negotiate(patient: Option<Lang>, clinic_default: Option<Lang>) -> Lang {
        patient.or(clinic_default).unwrap_or(Lang::En)
    }

    /// The ICU locale used for numbers, dates and times. Digits are stated explicitly
    /// (`nu`) rather than left to CLDR's regional defaults, which differ across the Arab
    /// world (Maghreb locales use Latin digits).
    pub(crate) fn icu_base(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa-IR",
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::Ru => "ru",
            Lang::Tr => "tr",
        }
    }

    /// The numbering system for digits in running text, when not the locale's Latin default.
    pub(crate) fn numbering(self) -> Option<&'static str> {
        match self {
            Lang::Fa => Some("arabext"),
            Lang::Ar => Some("arab"),
            _ => None,
        }
    }
}

/// RFC 9110 qvalue: `0`, `1`, `0.x` with up to three decimals; returned in thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val: u16 = format!("{frac:0<3}").parse().ok()?;
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::from_tag(s).ok_or_else(|| UnknownLang(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_with_regions_and_case() {
        assert_eq!(Lang::from_tag("fa-IR"), Some(Lang::Fa));
        assert_eq!(Lang::from_tag("AR_sa"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("ar-SA-u-ca-islamic-umalqura"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("tr"), Some(Lang::Tr));
        assert_eq!(Lang::from_tag("de-DE"), None);
        assert_eq!(Lang::from_tag("*"), None);
        assert_eq!(Lang::from_tag(""), None);
        assert_eq!("ru".parse::<Lang>(), Ok(Lang::Ru));
        assert!("xx".parse::<Lang>().is_err());
    }

    #[test]
    fn accept_language_quality_values() {
        assert_eq!(Lang::from_accept_language("de-DE, fr;q=0.4, fa-IR;q=0.9"), Some(Lang::Fa));
        assert_eq!(Lang::from_accept_language("en;q=0.5, ru;q=0.500, tr;q=0.6"), Some(Lang::Tr));
        // Ties keep the browser's order.
        assert_eq!(Lang::from_accept_language("ru;q=0.5, en;q=0.5"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("*;q=0.1, de"), None);
        assert_eq!(Lang::from_accept_language("fa;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fa;q=0, fa-IR"), None);
        // A malformed weight does not make an entry win.
        assert_eq!(Lang::from_accept_language("ar;q=2, fr;q=0.2"), Some(Lang::Fr));
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn negotiation_order() {
        assert_eq!(Lang::negotiate(Some(Lang::Fa), Some(Lang::Tr)), Lang::Fa);
        assert_eq!(Lang::negotiate(None, Some(Lang::Tr)), Lang::Tr);
        assert_eq!(Lang::negotiate(None, None), Lang::En);
    }

    #[test]
    fn direction() {
        assert_eq!(Lang::Fa.dir().as_str(), "rtl");
        assert_eq!(Lang::Ar.dir(), Dir::Rtl);
        for l in [Lang::En, Lang::Fr, Lang::Ru, Lang::Tr] {
            assert_eq!(l.dir(), Dir::Ltr);
        }
    }
}
