//! SMART Scheduling Links (prior-art.md §3): one model for both directions.
//!
//! * [`model`] — the manifest, Location, Schedule and Slot as Nobat uses them.
//! * [`write`] — the strict writer: what our publisher serves (`/smart/{clinic}/$bulk-publish`),
//!   timestamps always with seconds and an offset, ids within the spec's alphabet.
//! * [`read`] — the forgiving reader: what our consumer accepts from other publishers. Real
//!   feeds are messy (the univaf consumer's lessons, §3.9); every line that cannot be used is
//!   skipped and reported with a reason, and one bad line never fails the whole import.
//! * [`link`] — merging `source` and `booking-referral` into a publisher's deep link.
//!
//! Pure: text in, values out. Fetching, polling and storing live in the store and the server.

pub mod link;
pub mod model;
pub mod read;
pub mod watch;
pub mod write;

pub use model::{Address, Coding, Location, Manifest, ManifestOutput, ResourceKind, Schedule, Slot, SlotStatus};
pub use read::{Feed, Import, Skip};

/// Where the extensions of the spec are defined.
pub const REGISTRY: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/";
/// `valueUrl`: the deep link into the booking portal for one slot.
pub const BOOKING_DEEP_LINK: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link";
/// `valueString`: the phone number to book by.
pub const BOOKING_PHONE: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone";
/// `valueInteger`: how many identical slots this line stands for.
pub const SLOT_CAPACITY: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity";

/// Whether a source is stale: no successful poll for `after` (counted from its registration
/// when it never had one). Its slots are still shown, flagged, as univaf does after 24 h.
pub fn stale(
    last_success: Option<jiff::Timestamp>,
    created: jiff::Timestamp,
    now: jiff::Timestamp,
    after: jiff::SignedDuration,
) -> bool {
    now.duration_since(last_success.unwrap_or(created)) > after
}
