//! Per-request context: the clinic named in the path (by id or slug) and its locations' zones.

use crate::AppState;
use crate::problem::{ApiError, ApiResult};
use jiff::Timestamp;
use jiff::tz::TimeZone;
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
        Ok(Self(state.store.clinic_context(key).await?))
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
    raw.trim().parse().map_err(|_| {
        ApiError::invalid(
            field,
            format!("`{raw}` is not an RFC 3339 time with an offset, e.g. 2026-03-10T09:00:00+03:30"),
        )
    })
}

/// Parses a local date `YYYY-MM-DD`.
pub fn date(field: &str, raw: &str) -> ApiResult<jiff::civil::Date> {
    let bad = || ApiError::invalid(field, format!("`{raw}` is not a date like 2026-03-10"));
    if raw.len() != 10 {
        return Err(bad());
    }
    raw.parse().map_err(|_| bad())
}
