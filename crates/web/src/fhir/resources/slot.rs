//! Slots are computed from the rules, never stored, so their ids carry what identifies them:
//! practitioner, service and start (the location follows: a practitioner is at one place at a
//! time). Encoded in lower-case base32 (RFC 4648 alphabet), 58 characters — within FHIR's
//! 64-character id, using only the characters an id may hold.

use super::{instant, reference, service_type};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use nobat_core::{PractitionerId, Service, ServiceId};
use serde_json::{Value, json};
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

/// A Slot: `free` for one availability offers (with the places left when the service takes
/// more than one), `busy-tentative` while held, `busy` when booked.
pub fn slot(
    key: &SlotKey,
    end: Timestamp,
    service: &Service,
    zone: &TimeZone,
    status: &str,
    left: Option<u32>,
) -> Value {
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
}
