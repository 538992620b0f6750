//! The JSON the API speaks. Kept apart from the store's records so the wire format is a
//! deliberate contract: instants carry the location's UTC offset, ids are strings, every
//! type has an OpenAPI schema.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_core::{Exception, ExceptionKind, Service, Slot, WeeklyRule};
use nobat_store::model::{Appointment, Clinic, Hold, Location, Practitioner};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// RFC 3339 with the given zone's offset at that instant, e.g. `2026-03-10T09:00:00+03:30`.
pub fn local_time(ts: Timestamp, tz: &TimeZone) -> String {
    ts.display_with_offset(tz.to_offset(ts)).to_string()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationDto {
    pub id: String,
    pub name: String,
    /// IANA time zone, e.g. `Asia/Tehran`.
    pub time_zone: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// E.164 (`+212522123456`); published as SMART's `booking-phone`.
    pub phone: Option<String>,
}

impl From<&Location> for LocationDto {
    fn from(l: &Location) -> Self {
        Self {
            id: l.id.to_string(),
            name: l.name.clone(),
            time_zone: l.time_zone.clone(),
            address: l.address.clone(),
            latitude: l.latitude,
            longitude: l.longitude,
            phone: l.phone.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicDto {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub default_language: String,
    /// ISO 3166-1 alpha-2: the region of phone numbers written without a country code.
    pub country: Option<String>,
    pub locations: Vec<LocationDto>,
}

impl ClinicDto {
    pub fn new(c: &Clinic, locations: &[Location]) -> Self {
        Self {
            id: c.id.to_string(),
            slug: c.slug.clone(),
            name: c.name.clone(),
            default_language: c.default_language.clone(),
            country: c.country.clone(),
            locations: locations.iter().map(LocationDto::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicList {
    pub clinics: Vec<ClinicDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PractitionerDto {
    pub id: String,
    pub name: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub active: bool,
}

impl From<&Practitioner> for PractitionerDto {
    fn from(p: &Practitioner) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            specialties: p.specialties.clone(),
            languages: p.languages.clone(),
            active: p.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PractitionerList {
    pub practitioners: Vec<PractitionerDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDto {
    pub id: String,
    pub name: String,
    pub duration_min: u32,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub capacity: u32,
    pub slot_step_min: u32,
    pub min_notice_min: u32,
    pub horizon_days: u32,
    pub cancel_cutoff_min: u32,
    pub reschedule_cutoff_min: u32,
    /// An inactive service offers no slots and takes no new bookings.
    pub active: bool,
}

impl From<&Service> for ServiceDto {
    fn from(s: &Service) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name.clone(),
            duration_min: s.duration_min,
            buffer_before_min: s.buffer_before_min,
            buffer_after_min: s.buffer_after_min,
            capacity: s.capacity,
            slot_step_min: s.slot_step_min,
            min_notice_min: s.min_notice_min,
            horizon_days: s.horizon_days,
            cancel_cutoff_min: s.cancel_cutoff_min,
            reschedule_cutoff_min: s.reschedule_cutoff_min,
            active: s.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub services: Vec<ServiceDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationList {
    pub locations: Vec<LocationDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotDto {
    /// RFC 3339 with the location's UTC offset.
    pub start: String,
    pub end: String,
    pub practitioner: String,
    pub location: String,
    pub service: String,
    pub capacity_left: u32,
}

impl SlotDto {
    pub fn new(s: &Slot, tz: &TimeZone) -> Self {
        Self {
            start: local_time(s.start, tz),
            end: local_time(s.end, tz),
            practitioner: s.practitioner.to_string(),
            location: s.location.to_string(),
            service: s.service.to_string(),
            capacity_left: s.capacity_left,
        }
    }
}

/// Slots in compact form: see `GET /clinics/{clinic}/availability/compact`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompactSlots {
    pub service: String,
    /// Every slot lasts this long: its end is its start plus this.
    pub duration_min: u32,
    pub groups: Vec<SlotGroup>,
}

/// The slots of one practitioner at one location on one local date, at one UTC offset.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlotGroup {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// The UTC offset of these local times, e.g. `+03:30`.
    pub offset: String,
    pub practitioner: String,
    pub location: String,
    /// Local start times `HH:MM`, ascending.
    pub starts: Vec<String>,
    /// Places left at each start, for group services (capacity above 1) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_left: Option<Vec<u32>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotList {
    pub slots: Vec<SlotDto>,
}

/// Who the appointment is for. A phone number or an email address is required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    pub name: String,
    /// A phone number, stored in E.164. Without a leading `+` it is read in the clinic's
    /// country (`0612345678` at a Moroccan clinic is `+212612345678`).
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Preferred language: `en`, `fa`, `ar`, `fr`, `ru` or `tr` (a tag such as `fa-IR` counts
    /// as `fa`; another language is refused with 422 naming `patient.language`).
    pub language: Option<String>,
}

impl PatientInput {
    /// The validated contact, phone read in `clinic`'s country.
    pub fn parse(&self, clinic: &Clinic) -> Result<nobat_core::PatientContact, nobat_core::DomainError> {
        nobat_core::PatientContact::parse_in(
            &self.name,
            self.phone.as_deref(),
            self.email.as_deref(),
            self.language.as_deref(),
            clinic_country(clinic),
        )
    }
}

/// The clinic's country as the region of national phone numbers (`None` if not set, or if a
/// row somehow holds a code the metadata no longer knows: then numbers need their `+`).
pub fn clinic_country(clinic: &Clinic) -> Option<nobat_core::Country> {
    clinic.country.as_deref().and_then(|c| nobat_core::Country::parse("country", c).ok())
}

/// Reserve a slot for a few minutes while the patient completes the form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldInput {
    pub service: String,
    pub practitioner: String,
    /// RFC 3339 instant with an offset, as returned by availability.
    pub start: String,
    pub location: Option<String>,
    /// Optional: the patient the hold is for, checked but not stored (the booking carries it).
    pub patient: Option<PatientInput>,
    /// Staff acting on purpose: ignore the patient notice and horizon. Recorded. (Will
    /// require a staff role once accounts exist.)
    #[serde(default)]
    pub staff_override: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoldDto {
    pub id: String,
    pub service: String,
    pub practitioner: String,
    pub location: String,
    pub start: String,
    pub end: String,
    pub expires_at: String,
    /// A guest's proof of owning the hold, given only here: send it as `hold_token` when
    /// booking or rescheduling into the hold, and in the `Hold-Token` header to release it.
    /// Absent when the hold belongs to the signed-in caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_token: Option<String>,
}

impl HoldDto {
    pub fn new(h: &Hold, tz: &TimeZone) -> Self {
        Self {
            hold_token: None,
            id: h.id.to_string(),
            service: h.service.to_string(),
            practitioner: h.practitioner.to_string(),
            location: h.location.to_string(),
            start: local_time(h.start, tz),
            end: local_time(h.end, tz),
            expires_at: local_time(h.expires_at, tz),
        }
    }
}

/// Book a slot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookInput {
    pub service: String,
    pub practitioner: String,
    /// RFC 3339 instant with an offset, as returned by availability.
    pub start: String,
    pub location: Option<String>,
    pub patient: PatientInput,
    /// A hold on this slot to convert.
    pub hold: Option<String>,
    /// The guest's `hold_token` from the hold answer (not needed when the hold is the signed-in
    /// caller's).
    pub hold_token: Option<String>,
    pub note: Option<String>,
    /// Staff acting on purpose: ignore the patient notice and horizon. Recorded.
    #[serde(default)]
    pub staff_override: bool,
    /// When the clinic verifies guests: the proof a confirmed one-time code gave
    /// (`POST /clinics/{clinic}/verifications/{id}/confirm`), for this patient's phone or email.
    pub contact_proof: Option<String>,
    /// Consents the patient gives with this booking.
    #[serde(default)]
    pub consents: Vec<ConsentInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// What was agreed to, e.g. `privacy-notice`, `reminders`.
    pub kind: String,
    /// Which wording of the text, e.g. `2026-01`.
    pub text_version: String,
}

impl ConsentInput {
    pub fn parse(&self, field: &str) -> Result<(String, String), crate::problem::ApiError> {
        let ok = |v: &str| !v.trim().is_empty() && v.len() <= 100 && !v.chars().any(char::is_control);
        if !ok(&self.kind) || !ok(&self.text_version) {
            return Err(crate::problem::ApiError::invalid(
                field,
                "give a kind and a text_version of 1 to 100 characters",
            ));
        }
        Ok((self.kind.trim().to_owned(), self.text_version.trim().to_owned()))
    }
}

/// A booking as its patient receives it: the appointment and its private manage link.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookedDto {
    #[serde(flatten)]
    pub appointment: AppointmentDto,
    /// Opens, cancels or reschedules this appointment without an account; expires when the
    /// appointment ends. Give it only to the patient.
    pub manage_url: String,
    pub manage_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentDto {
    pub id: String,
    /// FHIR R4 `Appointment.status`.
    pub status: String,
    /// RFC 3339 with the location's UTC offset.
    pub start: String,
    pub end: String,
    pub clinic: String,
    pub practitioner: String,
    pub service: String,
    pub location: String,
    pub patient: String,
    pub note: Option<String>,
    pub cancel_reason: Option<String>,
    /// What staff overrode to make the last change, if anything.
    pub override_note: Option<String>,
    pub rescheduled_from: Option<String>,
    pub rescheduled_to: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl AppointmentDto {
    pub fn new(a: &Appointment, tz: &TimeZone) -> Self {
        Self {
            id: a.id.to_string(),
            status: a.status.to_string(),
            start: local_time(a.start, tz),
            end: local_time(a.end, tz),
            clinic: a.clinic.to_string(),
            practitioner: a.practitioner.to_string(),
            service: a.service.to_string(),
            location: a.location.to_string(),
            patient: a.patient.to_string(),
            note: a.note.clone(),
            cancel_reason: a.cancel_reason.clone(),
            override_note: a.override_note.clone(),
            rescheduled_from: a.rescheduled_from.map(|x| x.to_string()),
            rescheduled_to: a.rescheduled_to.map(|x| x.to_string()),
            created_at: local_time(a.created_at, tz),
            updated_at: local_time(a.updated_at, tz),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentList {
    pub appointments: Vec<AppointmentDto>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    pub reason: Option<String>,
    /// Staff acting inside the patient cut-off. Recorded.
    #[serde(default)]
    pub staff_override: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleInput {
    /// The new start, RFC 3339 with an offset.
    pub start: String,
    /// Switch to another practitioner.
    pub practitioner: Option<String>,
    pub location: Option<String>,
    /// The caller's own hold on the new slot, converted by the move (hold it first, then move).
    pub hold: Option<String>,
    /// The guest's `hold_token` for that hold.
    pub hold_token: Option<String>,
    #[serde(default)]
    pub staff_override: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The FHIR status to move to: one of the front-desk statuses. `cancelled` is refused
    /// (422 naming `status`): cancelling has its own endpoint, capability, cut-off and reason.
    #[schema(value_type = FrontDeskStatus)]
    pub status: String,
}

/// The statuses the front desk sets through the status endpoint
/// (`nobat_core::AppointmentStatus::is_front_desk`, which decides; this only documents it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FrontDeskStatus {
    Arrived,
    CheckedIn,
    Fulfilled,
    Noshow,
    EnteredInError,
}

/// A weekly rule as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    pub id: String,
    pub practitioner: String,
    pub location: String,
    /// `mon` … `sun`.
    pub weekdays: Vec<String>,
    /// Local `HH:MM`.
    pub start: String,
    pub end: String,
    pub breaks: Vec<BreakDto>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    /// Service ids; empty means all services.
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakDto {
    pub start: String,
    pub end: String,
}

impl From<&WeeklyRule> for RuleDto {
    fn from(r: &WeeklyRule) -> Self {
        Self {
            id: r.id.to_string(),
            practitioner: r.practitioner.to_string(),
            location: r.location.to_string(),
            weekdays: r.weekdays.names().into_iter().map(str::to_owned).collect(),
            start: r.start.to_string(),
            end: r.end.to_string(),
            breaks: r.breaks.iter().map(|(s, e)| BreakDto { start: s.to_string(), end: e.to_string() }).collect(),
            valid_from: r.valid_from.to_string(),
            valid_until: r.valid_until.map(|d| d.to_string()),
            services: r.services.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub rules: Vec<RuleDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionDto {
    pub id: String,
    /// Absent: applies to every practitioner (a holiday).
    pub practitioner: Option<String>,
    /// Absent: applies at every location.
    pub location: Option<String>,
    pub date: String,
    /// `closed` or `extra`.
    pub kind: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub note: String,
}

impl ExceptionDto {
    pub fn new(e: &Exception, note: &str) -> Self {
        Self {
            id: e.id.to_string(),
            practitioner: e.practitioner.map(|p| p.to_string()),
            location: e.location.map(|l| l.to_string()),
            date: e.date.to_string(),
            kind: match e.kind {
                ExceptionKind::Closed => "closed".into(),
                ExceptionKind::Extra => "extra".into(),
            },
            start: e.start.map(|m| m.to_string()),
            end: e.end.map(|m| m.to_string()),
            note: note.to_owned(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionList {
    pub exceptions: Vec<ExceptionDto>,
}
