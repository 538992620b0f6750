//! Records the store reads and writes. Domain rules live in `nobat_core`; these are the rows
//! as the rest of the system sees them (ids typed, instants as `jiff::Timestamp`).

use jiff::Timestamp;
use jiff::civil::Date;
use nobat_core::{
    AppointmentId, AppointmentStatus, ClinicId, HoldId, LocationId, PatientId, PractitionerId, ServiceId,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clinic {
    pub id: ClinicId,
    pub slug: String,
    pub name: String,
    pub default_language: String,
    /// ISO 3166-1 alpha-2 (`MA`), the region of phone numbers typed without a country code;
    /// `None` until staff set it.
    #[serde(default)]
    pub country: Option<String>,
    /// Security and personal-data settings; changed only through their own command.
    #[serde(default)]
    pub security: crate::identity::ClinicSecurity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub id: LocationId,
    pub clinic: ClinicId,
    pub name: String,
    /// IANA time zone name, validated against the bundled tz database.
    pub time_zone: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// E.164, read in the clinic's country when typed the national way (migration 0027):
    /// SMART's `booking-phone` and the FHIR Location's `telecom`.
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Practitioner {
    pub id: PractitionerId,
    pub clinic: ClinicId,
    pub name: String,
    pub specialties: Vec<String>,
    pub languages: Vec<String>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    pub id: PatientId,
    pub clinic: ClinicId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: AppointmentId,
    pub clinic: ClinicId,
    pub location: LocationId,
    pub practitioner: PractitionerId,
    pub service: ServiceId,
    pub patient: PatientId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: AppointmentStatus,
    pub note: Option<String>,
    pub cancel_reason: Option<String>,
    /// What a staff member overrode to make this change, if anything.
    pub override_note: Option<String>,
    pub rescheduled_from: Option<AppointmentId>,
    pub rescheduled_to: Option<AppointmentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub id: HoldId,
    pub clinic: ClinicId,
    pub location: LocationId,
    pub practitioner: PractitionerId,
    pub service: ServiceId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub expires_at: Timestamp,
    /// Who may convert or release it (`nobat_core::hold::HoldOwner::key`); `None` for holds
    /// made before holds had owners.
    #[serde(default)]
    pub owner: Option<String>,
}

/// Filters for listing appointments; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    pub practitioner: Option<PractitionerId>,
    pub patient: Option<PatientId>,
    pub location: Option<LocationId>,
    pub service: Option<ServiceId>,
    pub status: Option<AppointmentStatus>,
    /// Appointments starting at or after this instant.
    pub from: Option<Timestamp>,
    /// Appointments starting before this instant.
    pub to: Option<Timestamp>,
    /// Page size (capped by the store).
    pub limit: u32,
    /// Continue after this appointment (keyset pagination on start, id).
    pub after: Option<(Timestamp, AppointmentId)>,
}

/// A local date range for listing exceptions.
#[derive(Debug, Clone, Copy)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}
