//! The resources of a SMART Scheduling Links publication, as plain values. Only what a
//! scheduler uses is kept; the writer adds the fixed parts (resourceType, codings' systems).

use jiff::Timestamp;

/// The three resource types a manifest lists (others are ignored, as the spec asks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    Location,
    Schedule,
    Slot,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Location => "Location",
            ResourceKind::Schedule => "Schedule",
            ResourceKind::Slot => "Slot",
        }
    }

    pub fn parse(s: &str) -> Option<ResourceKind> {
        match s {
            "Location" => Some(ResourceKind::Location),
            "Schedule" => Some(ResourceKind::Schedule),
            "Slot" => Some(ResourceKind::Slot),
            _ => None,
        }
    }
}

/// One `output` entry of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestOutput {
    pub kind: ResourceKind,
    pub url: String,
    /// The `extension.state` hint (two-letter states the file covers); may be empty.
    pub states: Vec<String>,
}

/// The `$bulk-publish` manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub transaction_time: Timestamp,
    /// The manifest's own URL as the publisher states it.
    pub request: String,
    pub outputs: Vec<ManifestOutput>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub lines: Vec<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub district: Option<String>,
}

/// A `system`/`code`/`display` triple (identifiers use `code` for their value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coding {
    pub system: String,
    pub code: String,
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    /// A `telecom` of system `url` (the location's own page).
    pub url: Option<String>,
    pub address: Address,
    /// Identifiers with a usable value (junk such as `"null"` or `""` is dropped on reading).
    pub identifiers: Vec<Coding>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub id: String,
    /// The id of the Location among the actors (whatever its position).
    pub location: String,
    /// The other actors' references (`PractitionerRole/7`, `Practitioner/3`, …), in order.
    pub other_actors: Vec<String>,
    /// The first `serviceType`'s codings.
    pub service_types: Vec<Coding>,
    /// `actor.display` of the non-location actor or the schedule's own label, when given.
    pub display: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlotStatus {
    Free,
    Busy,
    /// Held (HL7 draft): someone is completing a booking.
    BusyTentative,
    BusyUnavailable,
}

impl SlotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotStatus::Free => "free",
            SlotStatus::Busy => "busy",
            SlotStatus::BusyTentative => "busy-tentative",
            SlotStatus::BusyUnavailable => "busy-unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<SlotStatus> {
        match s {
            "free" => Some(SlotStatus::Free),
            "busy" => Some(SlotStatus::Busy),
            "busy-tentative" => Some(SlotStatus::BusyTentative),
            "busy-unavailable" => Some(SlotStatus::BusyUnavailable),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: String,
    /// The Schedule's id.
    pub schedule: String,
    pub status: SlotStatus,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Every `booking-deep-link`, in order (extensions repeat; flattening them loses links).
    pub booking_links: Vec<String>,
    pub booking_phone: Option<String>,
    /// `slot-capacity`; 1 when absent.
    pub capacity: u32,
}
