//! Slots are computed from the rules, never stored, so their ids carry what identifies them:
//! practitioner, service and start (the location follows: a practitioner is at one place at a
//! time). Encoded in lower-case base32 (RFC 4648 alphabet), 58 characters — within FHIR's
//! 64-character id, using only the characters an id may hold.

use super::SERVICE_SYSTEM;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_core::{PractitionerId, Service, ServiceId};
use serde::{Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// What a slot id says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotKey {
    pub practitioner: PractitionerId,
    pub service: ServiceId,
    /// Slots start on whole minutes.
    pub start: Timestamp,
}

impl SlotKey {
    pub fn id(&self) -> String {
        let mut bytes = Vec::with_capacity(36);
        bytes.extend_from_slice(self.practitioner.0.as_bytes());
        bytes.extend_from_slice(self.service.0.as_bytes());
        let minutes = u32::try_from(self.start.as_second().div_euclid(60)).unwrap_or(0);
        bytes.extend_from_slice(&minutes.to_be_bytes());
        base32(&bytes)
    }

    pub fn parse(id: &str) -> Option<Self> {
        let bytes = unbase32(id)?;
        if bytes.len() != 36 || base32(&bytes) != id {
            return None;
        }
        let practitioner = PractitionerId(Uuid::from_slice(&bytes[..16]).ok()?);
        let service = ServiceId(Uuid::from_slice(&bytes[16..32]).ok()?);
        let minutes = u32::from_be_bytes(bytes[32..36].try_into().ok()?);
        let start = Timestamp::from_second(i64::from(minutes) * 60).ok()?;
        Some(Self { practitioner, service, start })
    }
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

fn unbase32(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = ((acc << 5) | v) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// A FHIR `instant` written straight into the output: seconds and the offset in force at the
/// zone (the location's wall clock). Formats as [`super::instant`] does, without strftime's
/// parsing of a pattern or a zoned value per call: a Slot search writes two per slot.
pub struct Instant<'a>(pub Timestamp, pub &'a TimeZone);

impl std::fmt::Display for Instant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let offset = self.1.to_offset(self.0);
        let dt = offset.to_datetime(self.0);
        let secs = offset.seconds();
        let (sign, abs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            abs / 3600,
            (abs / 60) % 60
        )
    }
}

impl Serialize for Instant<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A slot's id, written where it is needed (its base32 text is built once per use).
impl Serialize for SlotKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

#[derive(Serialize)]
struct Reference {
    reference: String,
}

#[derive(Serialize)]
struct Coding<'a> {
    system: &'static str,
    code: String,
    display: &'a str,
}

#[derive(Serialize)]
struct CodeableConcept<'a> {
    coding: [Coding<'a>; 1],
    text: &'a str,
}

/// A Slot as a typed value (as REST's `SlotDto` is): serialised directly, with no JSON tree
/// in between — a Slot search answers thousands of them. Its JSON is exactly what
/// [`slot`] gives (a test holds them equal).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotResource<'a> {
    resource_type: &'static str,
    id: String,
    schedule: Reference,
    service_type: [CodeableConcept<'a>; 1],
    status: &'a str,
    start: Instant<'a>,
    end: Instant<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

impl<'a> SlotResource<'a> {
    /// `free` for one availability offers (with the places left when the service takes more
    /// than one), `busy-tentative` while held, `busy` when booked.
    pub fn new(
        key: &SlotKey,
        end: Timestamp,
        service: &'a Service,
        zone: &'a TimeZone,
        status: &'a str,
        left: Option<u32>,
    ) -> Self {
        Self {
            resource_type: "Slot",
            id: key.id(),
            schedule: Reference { reference: format!("Schedule/{}", key.practitioner) },
            service_type: [CodeableConcept {
                coding: [Coding { system: SERVICE_SYSTEM, code: service.id.to_string(), display: &service.name }],
                text: &service.name,
            }],
            status,
            start: Instant(key.start, zone),
            end: Instant(end, zone),
            comment: left
                .filter(|_| service.capacity > 1)
                .map(|left| format!("{left} of {} places free", service.capacity)),
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// A Slot as a JSON value (single reads, contained slots): the typed resource, converted.
pub fn slot(
    key: &SlotKey,
    end: Timestamp,
    service: &Service,
    zone: &TimeZone,
    status: &str,
    left: Option<u32>,
) -> Value {
    serde_json::to_value(SlotResource::new(key, end, service, zone, status, left)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_fit_fhir() {
        let key = SlotKey {
            practitioner: PractitionerId::new(),
            service: ServiceId::new(),
            start: "2026-03-10T05:30:00Z".parse().unwrap_or_else(|_| unreachable!()),
        };
        let id = key.id();
        assert_eq!(id.len(), 58);
        assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_eq!(SlotKey::parse(&id), Some(key));
        assert_eq!(SlotKey::parse(&id.to_uppercase()), None);
        assert_eq!(SlotKey::parse(&id[..57]), None);
        assert_eq!(SlotKey::parse("not-a-slot"), None);
        assert_eq!(SlotKey::parse(""), None);
    }

    /// The typed Slot writes what the JSON-tree builder wrote (kept here as the reference),
    /// and its instants match strftime's in zones east and west, with half hours, across DST.
    #[test]
    fn the_typed_slot_is_the_tree_it_replaced() {
        use super::super::{instant, reference, service_type};
        use serde_json::json;
        let tree =
            |key: &SlotKey, end: Timestamp, service: &Service, zone: &TimeZone, status: &str, left: Option<u32>| {
                let mut r = json!({
                    "resourceType": "Slot", "id": key.id(),
                    "schedule": reference("Schedule", key.practitioner, None),
                    "serviceType": [service_type(service)],
                    "status": status,
                    "start": instant(key.start, zone),
                    "end": instant(end, zone),
                });
                if let Some(left) = left.filter(|_| service.capacity > 1) {
                    r["comment"] = json!(format!("{left} of {} places free", service.capacity));
                }
                r
            };
        let mut service = Service {
            id: ServiceId::new(),
            clinic: nobat_core::ClinicId::new(),
            name: "Group \"yoga\" — گروه".into(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            capacity: 3,
            slot_step_min: 30,
            min_notice_min: 0,
            horizon_days: 90,
            cancel_cutoff_min: 0,
            reschedule_cutoff_min: 0,
            active: true,
        };
        for zone in
            ["Asia/Tehran", "America/St_Johns", "Africa/Casablanca", "UTC", "Pacific/Kiritimati", "America/New_York"]
        {
            let tz = nobat_core::zones::get(zone).unwrap_or(TimeZone::UTC);
            for start in
                ["2026-03-10T05:30:00Z", "2026-03-08T06:59:00Z", "2026-11-01T05:30:00Z", "1999-12-31T23:59:00Z"]
            {
                let key = SlotKey {
                    practitioner: PractitionerId::new(),
                    service: service.id,
                    start: start.parse().unwrap_or_else(|_| unreachable!()),
                };
                let end = key.start.checked_add(jiff::SignedDuration::from_mins(30)).unwrap_or(key.start);
                assert_eq!(Instant(key.start, &tz).to_string(), instant(key.start, &tz), "{zone} {start}");
                for (status, left) in [("free", Some(2)), ("busy", None)] {
                    assert_eq!(
                        slot(&key, end, &service, &tz, status, left),
                        tree(&key, end, &service, &tz, status, left)
                    );
                }
            }
        }
        service.capacity = 1;
        let key = SlotKey { practitioner: PractitionerId::new(), service: service.id, start: Timestamp::UNIX_EPOCH };
        assert!(slot(&key, Timestamp::UNIX_EPOCH, &service, &TimeZone::UTC, "free", Some(1)).get("comment").is_none());
    }
}
