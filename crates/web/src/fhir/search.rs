//! Search parameters: the raw pairs (FHIR repeats names, `start=ge…&start=lt…`), date ranges
//! with prefixes, references, tokens and `_count`. Unknown parameters are refused (422 naming
//! them) rather than silently ignored, so a client never mistakes an unfiltered answer for a
//! filtered one.

use crate::problem::{ApiError, ApiResult};
use jiff::{Timestamp, ToSpan};

/// The query string as FHIR sends it: repeated names kept, in order.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Refuses a parameter not in `known` (the general ones `_format`, `_count`, `_offset`,
    /// `_cursor` are always known).
    pub fn only(&self, known: &[&str]) -> ApiResult<()> {
        for (k, _) in &self.0 {
            let name = k.split(':').next().unwrap_or(k);
            if !known.contains(&name) && !["_format", "_count", "_offset", "_cursor", "_pretty"].contains(&name) {
                return Err(ApiError::invalid(k.clone(), format!("the search parameter `{k}` is not supported here")));
            }
        }
        Ok(())
    }

    pub fn all<'a, 'n: 'a>(&'a self, name: &'n str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn one<'a>(&'a self, name: &str) -> ApiResult<Option<&'a str>> {
        let mut it = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = it.next();
        if it.next().is_some() {
            return Err(ApiError::invalid(name, format!("give `{name}` once")));
        }
        Ok(first)
    }

    /// `_count`: the page size, `default` when absent, at most `max`.
    pub fn count(&self, default: usize, max: usize) -> ApiResult<usize> {
        match self.one("_count")? {
            None => Ok(default),
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) => Ok(n.min(max)),
                Err(_) => Err(ApiError::invalid("_count", format!("`{raw}` is not a whole number"))),
            },
        }
    }

    /// `_offset`: how many matches earlier pages held.
    pub fn offset(&self) -> ApiResult<usize> {
        self.one("_offset")?
            .map(|raw| {
                raw.parse::<usize>().map_err(|_| ApiError::invalid("_offset", format!("`{raw}` is not a whole number")))
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The values of a token or reference parameter, commas meaning "or".
    pub fn any_of(&self, name: &str) -> Vec<String> {
        self.all(name).flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
    }
}

const EQ: &str = "eq";

/// A half-open or closed bound on an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    /// Matches are at or after this instant.
    pub from: Option<Timestamp>,
    /// Matches are before this instant.
    pub until: Option<Timestamp>,
}

impl Range {
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.until.is_none_or(|u| t < u)
    }
}

/// Folds every value of a date parameter into one range: `ge`/`gt`/`sa` raise the lower bound,
/// `lt`/`le`/`eb` lower the upper one, `eq` (or no prefix) means the whole precision of the
/// value (a date is its whole day, in UTC: FHIR dates carry no zone). An instant needs an
/// offset (FHIR instants do; mixed offsets compare correctly since they are read as instants).
pub fn date_range(name: &str, values: impl Iterator<Item = impl AsRef<str>>) -> ApiResult<Range> {
    let mut r = Range::default();
    for v in values {
        let v = v.as_ref();
        let (prefix, value) = match v.get(..2) {
            Some(p @ ("ge" | "gt" | "le" | "lt" | "eq" | "sa" | "eb")) => (p, &v[2..]),
            Some(p @ ("ne" | "ap")) => {
                return Err(ApiError::invalid(
                    name,
                    format!("the prefix `{p}` is not supported; use ge, gt, le, lt or eq"),
                ));
            }
            // No prefix means `eq` (named, not a literal after `=> (`, which the problem-code
            // scan of crates/i18n/tests/problem_codes.rs would take for an error code).
            _ => (EQ, v),
        };
        let (lo, hi) = period(name, value)?;
        let raise = |r: &mut Range, t: Timestamp| r.from = Some(r.from.map_or(t, |f| f.max(t)));
        let lower = |r: &mut Range, t: Timestamp| r.until = Some(r.until.map_or(t, |u| u.min(t)));
        match prefix {
            "ge" => raise(&mut r, lo),
            "gt" | "sa" => raise(&mut r, hi),
            "lt" | "eb" => lower(&mut r, lo),
            "le" => lower(&mut r, hi),
            _ => {
                raise(&mut r, lo);
                lower(&mut r, hi);
            }
        }
    }
    Ok(r)
}

/// The instants a value covers, `[lo, hi)`: a date its day in UTC, an instant itself (its
/// microsecond).
fn period(name: &str, value: &str) -> ApiResult<(Timestamp, Timestamp)> {
    if value.len() == 10 {
        let d = crate::context::date(name, value)?;
        let lo = d.to_zoned(jiff::tz::TimeZone::UTC).map_err(|_| bad(name, value))?.timestamp();
        return Ok((lo, lo.checked_add(24.hours()).map_err(|_| bad(name, value))?));
    }
    let t = crate::context::instant(name, value).map_err(|_| bad(name, value))?;
    Ok((t, t.checked_add(1.microsecond()).map_err(|_| bad(name, value))?))
}

fn bad(name: &str, value: &str) -> ApiError {
    ApiError::invalid(
        name,
        format!("`{value}` is not a date (2026-03-10) or an instant with an offset (2026-03-10T09:00:00+03:30)"),
    )
}

/// The id in a reference parameter: `Practitioner/abc`, or just `abc` when the type is implied.
/// Another type than `kind` is refused.
pub fn reference_id<'a>(name: &str, kind: &str, value: &'a str) -> ApiResult<&'a str> {
    let value = value.trim_start_matches("./");
    match value.split_once('/') {
        None => Ok(value),
        Some((k, id)) if k == kind => Ok(id),
        Some(_) => {
            // An absolute URL ending in Type/id is a reference too.
            let mut parts = value.rsplitn(3, '/');
            match (parts.next(), parts.next()) {
                (Some(id), Some(k)) if k == kind => Ok(id),
                _ => Err(ApiError::invalid(name, format!("`{value}` is not a {kind} reference"))),
            }
        }
    }
}

/// The code of a token parameter: `code` or `system|code`.
pub fn token_code(value: &str) -> &str {
    value.rsplit_once('|').map_or(value, |(_, c)| c)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn ranges_fold_prefixes_and_read_offsets_as_instants() {
        let r = date_range("start", ["ge2026-03-10T09:00:00+03:30", "lt2026-03-11"].iter()).unwrap();
        assert_eq!(r.from, Some(ts("2026-03-10T05:30:00Z")));
        assert_eq!(r.until, Some(ts("2026-03-11T00:00:00Z")));
        let day = date_range("start", ["2026-03-10"].iter()).unwrap();
        assert_eq!((day.from, day.until), (Some(ts("2026-03-10T00:00:00Z")), Some(ts("2026-03-11T00:00:00Z"))));
        let le = date_range("end", ["le2026-03-10"].iter()).unwrap();
        assert_eq!(le.until, Some(ts("2026-03-11T00:00:00Z")));
        assert!(le.contains(ts("2026-03-10T23:59:59Z")));
        assert!(!le.contains(ts("2026-03-11T00:00:00Z")));
        assert!(date_range("start", ["ne2026-03-10"].iter()).is_err());
        assert!(date_range("start", ["ge2026-03-10T09:00:00"].iter()).is_err(), "an instant needs an offset");
        assert!(date_range("start", ["tomorrow"].iter()).is_err());
    }

    #[test]
    fn references_and_tokens() {
        assert_eq!(reference_id("actor", "Practitioner", "Practitioner/abc").unwrap(), "abc");
        assert_eq!(reference_id("actor", "Practitioner", "abc").unwrap(), "abc");
        assert_eq!(reference_id("actor", "Practitioner", "http://h/fhir/c/Practitioner/abc").unwrap(), "abc");
        assert!(reference_id("actor", "Practitioner", "Patient/abc").is_err());
        assert_eq!(token_code("urn:nobat:service|x"), "x");
        assert_eq!(token_code("x"), "x");
    }

    #[test]
    fn unknown_parameters_are_refused_by_name() {
        let p = Params::parse(Some("start=ge2026-01-01&bogus=1"));
        assert!(p.only(&["start"]).is_err());
        assert!(Params::parse(Some("start=ge2026-01-01&_count=5")).only(&["start"]).is_ok());
        assert_eq!(Params::parse(Some("_count=1000")).count(50, 500).unwrap(), 500);
    }
}
