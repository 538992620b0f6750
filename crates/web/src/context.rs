//! Per-request context: the clinic named in the path (by id or slug) and its locations' zones.

use crate::AppState;
use crate::problem::{ApiError, ApiResult};
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};
use nobat_core::LocationId;
use nobat_store::ClinicContext;
use nobat_store::model::Clinic;
use std::sync::Arc;

/// The clinic a request is about, with its locations (from the store's directory cache).
#[derive(Clone)]
pub struct ClinicCtx(Arc<ClinicContext>);

impl std::ops::Deref for ClinicCtx {
    type Target = ClinicContext;
    fn deref(&self) -> &ClinicContext {
        &self.0
    }
}

impl ClinicCtx {
    pub async fn load(state: &AppState, key: &str) -> ApiResult<Self> {
        let ctx = state.store.clinic_context(key).await?;
        // The fallback language of this request's error answers (`localise`).
        crate::localise::note_clinic_language(&ctx.clinic.default_language);
        Ok(Self(ctx))
    }

    /// Just the clinic.
    pub async fn clinic(state: &AppState, key: &str) -> ApiResult<Clinic> {
        Ok(Self::load(state, key).await?.clinic.clone())
    }

    /// The time zone of one of the clinic's locations (UTC if unknown, which cannot happen for
    /// rows the store wrote: the zone was validated on the way in).
    pub fn tz(&self, location: LocationId) -> TimeZone {
        self.locations
            .iter()
            .find(|l| l.id == location)
            .and_then(|l| nobat_core::zones::get(&l.time_zone).ok())
            .unwrap_or(TimeZone::UTC)
    }
}

/// Parses an id given in a request body or query; a bad one is a 422 naming the field.
pub fn body_id<T: std::str::FromStr>(field: &str, raw: &str) -> ApiResult<T> {
    raw.trim().parse().map_err(|_| ApiError::invalid(field, format!("`{raw}` is not a valid id")))
}

/// Parses an RFC 3339 instant that must carry an offset (`Z` or `+03:30`).
pub fn instant(field: &str, raw: &str) -> ApiResult<Timestamp> {
    start(field, raw).map(|(ts, _)| ts)
}

/// Parses an RFC 3339 instant and keeps the offset the client wrote (`None` for `Z` or
/// `-00:00`, RFC 9557's "UTC, local offset unknown"), so the store can check it against the
/// location's offset at that instant.
pub fn start(field: &str, raw: &str) -> ApiResult<(Timestamp, Option<Offset>)> {
    rfc3339(raw.trim()).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!(
                "`{raw}` is not an RFC 3339 time with an offset between -23:59 and +23:59 and nothing after it, \
                 e.g. 2026-03-10T09:00:00+03:30"
            ),
        )
    })
}

/// Strict RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. jiff's own parser
/// is wider on purpose (RFC 9557 `[Zone]` annotations, offsets up to ±25:59, ISO 8601 forms);
/// the API promises RFC 3339 and takes nothing it would have to guess about.
fn rfc3339(raw: &str) -> Option<(Timestamp, Option<Offset>)> {
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let two =
        |at: usize| -> Option<i8> { digits(at..at + 2).then(|| ((b[at] - b'0') * 10 + (b[at + 1] - b'0')) as i8) };
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut i = 19;
    if b[i] == b'.' {
        let n = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        i += 1 + n;
    }
    let offset = match &b[i..] {
        [b'Z' | b'z'] => None,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (two(i + 1)?, two(i + 4)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = (i32::from(h) * 3600 + i32::from(m) * 60) * if *sign == b'-' { -1 } else { 1 };
            // `-00:00`: UTC known, local offset unknown (RFC 3339 §4.3, RFC 9557 §2), like `Z`.
            if secs == 0 && *sign == b'-' { None } else { Some(Offset::from_seconds(secs).ok()?) }
        }
        _ => return None,
    };
    let local: jiff::civil::DateTime = raw[..i].replacen(['t'], "T", 1).parse().ok()?;
    let ts = local.to_zoned(TimeZone::fixed(offset.unwrap_or(Offset::UTC))).ok()?.timestamp();
    Some((ts, offset))
}

/// Parses a local date `YYYY-MM-DD`.
pub fn date(field: &str, raw: &str) -> ApiResult<jiff::civil::Date> {
    let bad = || ApiError::invalid(field, format!("`{raw}` is not a date like 2026-03-10"));
    if raw.len() != 10 {
        return Err(bad());
    }
    raw.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_strict_and_keeps_the_written_offset() {
        let ok = |s: &str| rfc3339(s).unwrap_or_else(|| panic!("{s} should parse"));
        let (ts, off) = ok("2026-03-10T09:00:00+03:30");
        assert_eq!((ts.to_string().as_str(), off.map(|o| o.seconds())), ("2026-03-10T05:30:00Z", Some(12_600)));
        assert_eq!(ok("2026-03-10T05:30:00Z"), (ts, None));
        assert_eq!(ok("2026-03-10t05:30:00z"), (ts, None));
        assert_eq!(ok("2026-03-10T05:30:00-00:00"), (ts, None), "-00:00: the instant, local offset unknown");
        assert_eq!(ok("2026-03-10T05:30:00+00:00").1, Some(Offset::UTC));
        assert_eq!(ok("2026-03-10T05:30:00.123456789Z").0.subsec_nanosecond(), 123_456_789);
        assert_eq!(ok("2026-03-10T05:30:00+23:59").1.map(|o| o.seconds()), Some(86_340));
        for bad in [
            "2027-03-28T10:00:00+25:00",
            "2027-03-28T10:00:00+24:00",
            "2027-03-28T10:00:00+02:60",
            "2027-03-28T10:00:00+02:00[Europe/Paris]",
            "2027-03-28T10:00:00Z[UTC]",
            "2027-03-28T10:00:00",
            "2027-03-28T10:00+02:00",
            "2027-03-28 10:00:00+02:00",
            "2027-03-28T10:00:00.Z",
            "2027-03-28T10:00:00.1234567890Z",
            "2027-02-30T10:00:00Z",
            "+002027-03-28T10:00:00Z",
            "2027-03-28T10:00:00+0200",
        ] {
            assert!(rfc3339(bad).is_none(), "{bad} should be refused");
        }
    }
}
