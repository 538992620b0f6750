//! Read and search. The directory and Slots are public (as the REST directory and
//! availability are); Appointment and Patient need the staff capability REST asks for
//! (`ViewAppointments`, `ViewPatients`), through the same grant.

use super::resources::{appointment, capability, directory, patient, slot};
use super::search::{Params, Range, date_range, reference_id, token_code};
use super::{Fhir, FhirBody, base, bundle};
use crate::AppState;
use crate::auth::grant::Visitor;
use crate::context::ClinicCtx;
use crate::problem::{ApiError, ApiResult};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::{Timestamp, ToSpan};
use nobat_core::access::{ViewAppointments, ViewPatients};
use nobat_core::availability::Audience;
use nobat_core::{AppointmentId, AppointmentStatus, HoldId, LocationId, PatientId, PractitionerId, Service, ServiceId};
use nobat_store::commands::RecordAccess;
use nobat_store::model::AppointmentFilter;
use nobat_store::reads::AvailabilityQuery;
use nobat_store::{Command, Output};
use serde_json::Value;
use slot::{SlotKey, SlotResource};

/// The widest Slot search: a month (the availability core allows 93 days a service).
const MAX_SLOT_WINDOW_DAYS: i64 = 31;

pub async fn metadata(State(state): State<AppState>, Path(clinic): Path<String>) -> ApiResult<Fhir> {
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let date = Timestamp::now().strftime("%Y-%m-%d").to_string();
    Ok(Fhir(
        StatusCode::OK,
        capability::capability_statement(&base(&state, &ctx.clinic.slug), env!("CARGO_PKG_VERSION"), &date),
    ))
}

fn unknown_type(kind: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not-found", "Not found", format!("this server has no resource type `{kind}`"))
}

fn parse<T: std::str::FromStr>(what: &'static str, id: &str) -> ApiResult<T> {
    // A malformed id names nothing that exists: 404, as FHIR reads answer.
    id.parse().map_err(|_| ApiError::not_found(what))
}

pub async fn read(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, kind, id)): Path<(String, String, String)>,
) -> ApiResult<Fhir> {
    let ctx = visitor.ctx.clone();
    let c = ctx.clinic.id;
    let resource = match kind.as_str() {
        "Practitioner" => directory::practitioner(&state.store.practitioner(c, parse("practitioner", &id)?).await?),
        "PractitionerRole" | "Schedule" => {
            let p = state.store.practitioner(c, parse("practitioner", &id)?).await?;
            let (locations, services) = role_of(&state, &ctx, p.id).await?;
            let services: Vec<&Service> = services.iter().collect();
            if kind == "Schedule" {
                directory::schedule(&p, &services)
            } else {
                directory::practitioner_role(&p, &locations, &services)
            }
        }
        "Location" => directory::location(&state.store.location(c, parse("location", &id)?).await?),
        "HealthcareService" => directory::healthcare_service(&state.store.service(c, parse("service", &id)?).await?),
        "Slot" => read_slot(&state, &ctx, &id).await?,
        "Appointment" => {
            let staff = visitor.staff::<ViewAppointments>(&state).await?;
            if let Some(hold) = id.strip_prefix(appointment::HOLD_PREFIX) {
                let h = state.store.hold(c, parse::<HoldId>("appointment", hold)?).await?;
                let service = state.store.service(c, h.service).await?;
                appointment::pending(&h, &service, &ctx.tz(h.location), None)
            } else {
                let a = state.store.appointment(c, parse::<AppointmentId>("appointment", &id)?).await?;
                let access = RecordAccess {
                    clinic: c,
                    patient: a.patient,
                    appointment: Some(a.id),
                    action: "view",
                    actor: staff.actor(),
                };
                state.store.execute(Command::RecordAccess(access)).await?;
                let service = state.store.service(c, a.service).await.ok();
                appointment::appointment(&a, service.as_ref(), &ctx.tz(a.location))
            }
        }
        "Patient" => {
            let staff = visitor.staff::<ViewPatients>(&state).await?;
            let p = state.store.patient(c, parse::<PatientId>("patient", &id)?).await?;
            let access =
                RecordAccess { clinic: c, patient: p.id, appointment: None, action: "view", actor: staff.actor() };
            state.store.execute(Command::RecordAccess(access)).await?;
            patient::patient(&p)
        }
        other => return Err(unknown_type(other)),
    };
    Ok(Fhir(StatusCode::OK, resource))
}

/// Where a practitioner's rules put them and which services they offer (all active services
/// of the clinic when a rule names none).
async fn role_of(state: &AppState, ctx: &ClinicCtx, p: PractitionerId) -> ApiResult<(Vec<LocationId>, Vec<Service>)> {
    let rules = state.store.rules(ctx.clinic.id, Some(p)).await?;
    let mut locations: Vec<LocationId> = rules.iter().map(|r| r.location).collect();
    locations.sort();
    locations.dedup();
    let all = state.store.services(ctx.clinic.id).await?;
    let every = rules.iter().any(|r| r.services.is_empty());
    let services =
        all.into_iter().filter(|s| s.active && (every || rules.iter().any(|r| r.services.contains(&s.id)))).collect();
    Ok((locations, services))
}

/// A slot read back from its id: `free` while availability offers it, `busy-tentative` while
/// held, `busy` while booked; 404 otherwise (it is not a slot, or no longer one).
async fn read_slot(state: &AppState, ctx: &ClinicCtx, id: &str) -> ApiResult<Value> {
    let key = SlotKey::parse(id).ok_or_else(|| ApiError::not_found("slot"))?;
    let c = ctx.clinic.id;
    let service = state.store.service(c, key.service).await?;
    let day = key.start.to_zoned(jiff::tz::TimeZone::UTC).date();
    let query = AvailabilityQuery {
        from: day.checked_sub(1.day()).unwrap_or(day),
        to: day.checked_add(1.day()).unwrap_or(day),
        practitioner: Some(key.practitioner),
        location: None,
        now: Timestamp::now(),
        audience: Audience::Patient,
        max_slots: crate::routes::availability::MAX_SLOTS,
    };
    let free = state.store.availability(c, &service, query).await?;
    if let Some(s) = free.iter().find(|s| s.start == key.start) {
        return Ok(slot::slot(&key, s.end, &service, &ctx.tz(s.location), "free", Some(s.capacity_left)));
    }
    let holds = state.store.holds_starting(c, key.practitioner, key.start, Timestamp::now()).await?;
    if let Some(h) = holds.iter().find(|h| h.service == key.service) {
        return Ok(slot::slot(&key, h.end, &service, &ctx.tz(h.location), "busy-tentative", None));
    }
    let filter = AppointmentFilter {
        practitioner: Some(key.practitioner),
        service: Some(key.service),
        from: Some(key.start),
        to: key.start.checked_add(1.microsecond()).ok(),
        limit: 10,
        ..AppointmentFilter::default()
    };
    let booked = state.store.appointments(c, &filter).await?;
    match booked.iter().find(|a| a.status.occupies_time()) {
        Some(a) => Ok(slot::slot(&key, a.end, &service, &ctx.tz(a.location), "busy", None)),
        None => Err(ApiError::not_found("slot")),
    }
}

pub async fn search(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, kind)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let params = Params::parse(query.as_deref());
    let ctx = visitor.ctx.clone();
    let c = ctx.clinic.id;
    let base = base(&state, &ctx.clinic.slug);
    let url = format!("{base}/{kind}");
    let known: Vec<&str> = capability::RESOURCES
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, ps)| ps.iter().map(|(n, _)| *n).collect())
        .ok_or_else(|| unknown_type(&kind))?;
    params.only(&known)?;
    let ids = params.any_of("_id");
    let wanted = |id: String| ids.is_empty() || ids.contains(&id);
    let active = params.one("active")?.map(|v| token_code(v) == "true");
    let mut found: Vec<(String, Value)> = Vec::new();
    let entry = |kind: &str, id: String, r: Value| (format!("{base}/{kind}/{id}"), r);
    match kind.as_str() {
        "Practitioner" | "PractitionerRole" | "Schedule" => {
            let only: Vec<String> = match kind.as_str() {
                "PractitionerRole" => params.any_of("practitioner"),
                "Schedule" => params.any_of("actor"),
                _ => Vec::new(),
            };
            let only: Vec<&str> =
                only.iter().map(|v| reference_id(&kind, "Practitioner", v)).collect::<ApiResult<_>>()?;
            for p in state.store.practitioners(c).await? {
                let id = p.id.to_string();
                if !wanted(id.clone())
                    || (!only.is_empty() && !only.contains(&id.as_str()))
                    || active.is_some_and(|a| a != p.active)
                {
                    continue;
                }
                let r = match kind.as_str() {
                    "Practitioner" => directory::practitioner(&p),
                    _ => {
                        let (locations, services) = role_of(&state, &ctx, p.id).await?;
                        let services: Vec<&Service> = services.iter().collect();
                        if kind == "Schedule" {
                            directory::schedule(&p, &services)
                        } else {
                            directory::practitioner_role(&p, &locations, &services)
                        }
                    }
                };
                found.push(entry(&kind, id, r));
            }
        }
        "Location" => {
            for l in state.store.locations(c).await? {
                if wanted(l.id.to_string()) {
                    found.push(entry("Location", l.id.to_string(), directory::location(&l)));
                }
            }
        }
        "HealthcareService" => {
            for s in state.store.services(c).await? {
                if wanted(s.id.to_string()) && active.is_none_or(|a| a == s.active) {
                    found.push(entry("HealthcareService", s.id.to_string(), directory::healthcare_service(&s)));
                }
            }
        }
        "Slot" => return search_slots(&state, &ctx, &params, &url).await.map(IntoResponse::into_response),
        "Appointment" => {
            visitor.staff::<ViewAppointments>(&state).await?;
            return search_appointments(&state, &ctx, &params, &url).await.map(IntoResponse::into_response);
        }
        "Patient" => {
            let staff = visitor.staff::<ViewPatients>(&state).await?;
            return super::patients::search(&state, &ctx, staff.actor(), &params, &url)
                .await
                .map(IntoResponse::into_response);
        }
        other => return Err(unknown_type(other)),
    }
    // The directory is small: one page, or offset pages over the list.
    let count = params.count(100, 500)?;
    let offset = params.offset()?;
    let total = found.len();
    let page: Vec<_> = found.into_iter().skip(offset).take(count).collect();
    let next = (offset + count < total)
        .then(|| bundle::page_url(&url, &params.0, &[("_offset", (offset + count).to_string())]));
    let this = bundle::page_url(&url, &params.0, &[("_offset", offset.to_string())]);
    Ok(Fhir(StatusCode::OK, bundle::searchset(&this, next.as_deref(), page, Some(total))).into_response())
}

/// The services a `service-type` parameter names (every active one when absent).
pub(super) async fn services_named(state: &AppState, ctx: &ClinicCtx, params: &Params) -> ApiResult<Vec<Service>> {
    let codes = params.any_of("service-type");
    let wanted: Vec<ServiceId> = codes
        .iter()
        .map(|v| {
            directory::service_code(v).ok_or_else(|| {
                ApiError::invalid("service-type", format!("`{v}` is not one of this clinic's service codes"))
            })
        })
        .collect::<ApiResult<_>>()?;
    let all = state.store.services(ctx.clinic.id).await?;
    Ok(all.into_iter().filter(|s| s.active && (wanted.is_empty() || wanted.contains(&s.id))).collect())
}

/// The window of a slot search: `start` bounds (default: from now, a week), at most a month.
pub(super) fn slot_window(params: &Params) -> ApiResult<(Range, Range)> {
    let mut start = date_range("start", params.all("start"))?;
    let end = date_range("end", params.all("end"))?;
    let now = Timestamp::now();
    // Nothing starts in the past that can still be booked; a day of slack keeps `ge` of today.
    let day = jiff::SignedDuration::from_hours(24);
    let from = start.from.unwrap_or(now).max(now.checked_sub(day).unwrap_or(now));
    // Without a `start` upper bound the window is the documented week; an `end` bound only
    // narrows it (a slot ending by then starts before then). Taking a far `end` as the window
    // refused `end=le2100-01-01` as "more than 31 days", naming `start`, which was not given.
    let week = from.checked_add(day * 7).unwrap_or(from);
    let until = start.until.unwrap_or_else(|| end.until.map_or(week, |e| e.min(week)));
    if until.duration_since(from) > jiff::SignedDuration::from_hours(24 * MAX_SLOT_WINDOW_DAYS) {
        return Err(ApiError::invalid("start", format!("search at most {MAX_SLOT_WINDOW_DAYS} days of slots at once")));
    }
    start.from = Some(from);
    start.until = Some(until);
    Ok((start, end))
}

/// Free slots computed by the availability core for each service asked about, filtered to the
/// window (start and end bounds) and sorted by start, practitioner, service.
pub(super) async fn free_slots(
    state: &AppState,
    ctx: &ClinicCtx,
    services: &[Service],
    start: Range,
    end: Range,
    practitioner: Option<PractitionerId>,
    location: Option<LocationId>,
) -> ApiResult<Vec<(nobat_core::Slot, usize)>> {
    let (Some(from), Some(until)) = (start.from, start.until) else { return Ok(Vec::new()) };
    // Local dates lie within ±14 h of UTC: a day of margin each side covers every zone.
    let day = |t: Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut out = Vec::new();
    for (i, service) in services.iter().enumerate() {
        let query = AvailabilityQuery {
            from: day(from).checked_sub(1.day()).unwrap_or(day(from)),
            to: day(until).checked_add(1.day()).unwrap_or(day(until)),
            practitioner,
            location,
            now: Timestamp::now(),
            audience: Audience::Patient,
            max_slots: crate::routes::availability::MAX_SLOTS,
        };
        let slots = state.store.availability(ctx.clinic.id, service, query).await?;
        out.extend(slots.into_iter().filter(|s| start.contains(s.start) && end.contains(s.end)).map(|s| (s, i)));
    }
    out.sort_by_key(|(s, _)| (s.start, s.practitioner, s.service));
    Ok(out)
}

async fn search_slots(state: &AppState, ctx: &ClinicCtx, params: &Params, url: &str) -> ApiResult<FhirBody> {
    let (start, end) = slot_window(params)?;
    let statuses = params.any_of("status");
    // Computed slots are free ones; busy time is not published as slots.
    if !statuses.is_empty() && !statuses.iter().any(|s| token_code(s) == "free") {
        let this = bundle::page_url(url, &params.0, &[]);
        return Ok(FhirBody::of(StatusCode::OK, &bundle::typed_searchset::<Value>(&this, None, Vec::new(), Some(0))));
    }
    let schedules = params.any_of("schedule");
    if schedules.len() > 1 {
        return Err(ApiError::invalid("schedule", "give one schedule (or none for all)"));
    }
    let practitioner = schedules
        .first()
        .map(|v| {
            reference_id("schedule", "Schedule", v)?
                .parse::<PractitionerId>()
                .map_err(|_| ApiError::invalid("schedule", format!("`{v}` is not one of this clinic's schedules")))
        })
        .transpose()?;
    let services = services_named(state, ctx, params).await?;
    let slots = free_slots(state, ctx, &services, start, end, practitioner, None).await?;
    // A page may hold as many slots as one REST availability answer: a calendar client can
    // take a fortnight of a whole clinic at once instead of recomputing it page by page.
    let count = params.count(100, crate::routes::availability::MAX_SLOTS)?;
    let offset = params.offset()?;
    let total = slots.len();
    let base = base(state, &ctx.clinic.slug);
    let zones = Zones::of_clinic(ctx);
    // Typed resources serialised straight into the body (no JSON tree per slot): this answer
    // holds up to 20,000 of them (docs/performance.md).
    let page: Vec<(String, SlotResource<'_>)> = slots
        .iter()
        .skip(offset)
        .take(count)
        .map(|(s, i)| {
            let key = SlotKey { practitioner: s.practitioner, service: s.service, start: s.start };
            let r =
                SlotResource::new(&key, s.end, &services[*i], zones.of_ref(s.location), "free", Some(s.capacity_left));
            (format!("{base}/Slot/{}", r.id()), r)
        })
        .collect();
    let next = (offset + count < total)
        .then(|| bundle::page_url(url, &params.0, &[("_offset", (offset + count).to_string())]));
    let this = bundle::page_url(url, &params.0, &[("_offset", offset.to_string())]);
    Ok(FhirBody::of(StatusCode::OK, &bundle::typed_searchset(&this, next.as_deref(), page, Some(total))))
}

async fn search_appointments(state: &AppState, ctx: &ClinicCtx, params: &Params, url: &str) -> ApiResult<Fhir> {
    let mut start = date_range("start", params.all("start"))?;
    let date = date_range("date", params.all("date"))?;
    start.from = start.from.max(date.from);
    start.until = match (start.until, date.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let end = date_range("end", params.all("end"))?;
    let one = |name: &str| -> ApiResult<Option<String>> {
        let v = params.any_of(name);
        if v.len() > 1 {
            return Err(ApiError::invalid(name.to_owned(), format!("give one `{name}`")));
        }
        Ok(v.into_iter().next())
    };
    let mut filter = AppointmentFilter { from: start.from, to: start.until, ..AppointmentFilter::default() };
    let bad =
        |name: &str, v: &str| ApiError::invalid(name.to_owned(), format!("`{v}` is not one of this clinic's ids"));
    if let Some(v) = one("practitioner")? {
        filter.practitioner =
            Some(reference_id("practitioner", "Practitioner", &v)?.parse().map_err(|_| bad("practitioner", &v))?);
    }
    if let Some(v) = one("patient")? {
        filter.patient = Some(reference_id("patient", "Patient", &v)?.parse().map_err(|_| bad("patient", &v))?);
    }
    if let Some(v) = one("location")? {
        filter.location = Some(reference_id("location", "Location", &v)?.parse().map_err(|_| bad("location", &v))?);
    }
    if let Some(v) = one("actor")? {
        let v = v.trim_start_matches("./");
        match v.split_once('/') {
            Some(("Practitioner", id)) => filter.practitioner = Some(id.parse().map_err(|_| bad("actor", v))?),
            Some(("Patient", id)) => filter.patient = Some(id.parse().map_err(|_| bad("actor", v))?),
            Some(("Location", id)) => filter.location = Some(id.parse().map_err(|_| bad("actor", v))?),
            _ => return Err(ApiError::invalid("actor", "give Practitioner/{id}, Patient/{id} or Location/{id}")),
        }
    }
    if let Some(v) = one("service-type")? {
        filter.service = Some(directory::service_code(&v).ok_or_else(|| bad("service-type", &v))?);
    }
    if let Some(v) = one("status")? {
        filter.status = Some(
            AppointmentStatus::ALL
                .into_iter()
                .find(|s| s.as_str() == token_code(&v))
                .ok_or_else(|| ApiError::invalid("status", format!("`{v}` is not an appointment status")))?,
        );
    }
    let ids: Vec<AppointmentId> = params.any_of("_id").iter().filter_map(|v| v.parse().ok()).collect();
    let count = params.count(50, 500)?;
    // Keyset paging: `_cursor` is the last appointment of the previous page (start, id).
    if let Some(cursor) = params.one("_cursor")? {
        let bad = || ApiError::invalid("_cursor", "use the `next` link as given");
        let (us, id) = cursor.split_once('.').ok_or_else(bad)?;
        let ts = Timestamp::from_microsecond(us.parse().map_err(|_| bad())?).map_err(|_| bad())?;
        filter.after = Some((ts, id.parse().map_err(|_| bad())?));
    }
    filter.limit = u32::try_from(count).unwrap_or(50);
    let found = state.store.appointments(ctx.clinic.id, &filter).await?;
    let full = found.len() == count;
    let next = match found.last() {
        Some(last) if full => Some(bundle::page_url(
            url,
            &params.0,
            &[("_cursor", format!("{}.{}", last.start.as_microsecond(), last.id))],
        )),
        _ => None,
    };
    let services = state.store.services(ctx.clinic.id).await?;
    let base = base(state, &ctx.clinic.slug);
    // The `end` bound and `_id` filter the page (FHIR has no `end` parameter: prior-art §4.4);
    // a page may so hold fewer than `_count`, and `next` still follows the keyset.
    let page: Vec<(String, Value)> = found
        .iter()
        .filter(|a| end.contains(a.end) && (ids.is_empty() || ids.contains(&a.id)))
        .map(|a| {
            let service = services.iter().find(|s| s.id == a.service);
            (format!("{base}/Appointment/{}", a.id), appointment::appointment(a, service, &ctx.tz(a.location)))
        })
        .collect();
    let this = bundle::page_url(url, &params.0, &[]);
    Ok(Fhir(StatusCode::OK, bundle::searchset(&this, next.as_deref(), page, None)))
}

/// Output the store gave for a command we did not expect.
pub(super) fn unexpected(out: Output) -> ApiError {
    crate::routes::unexpected(out)
}

/// The clinic's location zones, looked up once per answer rather than once per slot (a zone
/// lookup by name costs more than writing the slot).
pub(super) struct Zones(Vec<(LocationId, jiff::tz::TimeZone)>);

impl Zones {
    pub(super) fn of_clinic(ctx: &ClinicCtx) -> Self {
        Self(ctx.locations.iter().map(|l| (l.id, ctx.tz(l.id))).collect())
    }

    pub(super) fn of(&self, location: LocationId) -> jiff::tz::TimeZone {
        self.of_ref(location).clone()
    }

    pub(super) fn of_ref(&self, location: LocationId) -> &jiff::tz::TimeZone {
        static UTC: jiff::tz::TimeZone = jiff::tz::TimeZone::UTC;
        self.0.iter().find(|(l, _)| *l == location).map_or(&UTC, |(_, tz)| tz)
    }
}
