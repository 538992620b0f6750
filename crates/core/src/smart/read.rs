//! The forgiving reader. A [`Feed`] takes the files of one publication, line by line; each line
//! that cannot be used becomes a [`Skip`] with a reason, and [`Feed::finish`] resolves the
//! references (slot → schedule → location), skipping what dangles. Nothing here fails the whole
//! import except a manifest that is not a manifest at all.

use super::model::{Address, Coding, Location, Manifest, ManifestOutput, ResourceKind, Schedule, Slot, SlotStatus};
use super::{BOOKING_DEEP_LINK, BOOKING_PHONE, SLOT_CAPACITY};
use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeMap;

/// A line (or a resource) left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skip {
    /// The file's name or URL.
    pub file: String,
    /// 1-based line number; 0 when the skip comes from resolving references.
    pub line: usize,
    /// The resource's id, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

/// What one import produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Import {
    pub locations: BTreeMap<String, Location>,
    pub schedules: BTreeMap<String, Schedule>,
    /// Usable slots (every status), in the order read.
    pub slots: Vec<Slot>,
    pub skipped: Vec<Skip>,
}

/// Reads a manifest. Outputs of other types are ignored, as the spec asks; a missing or
/// unreadable `transactionTime` is tolerated (`fallback`), a missing `output` list is not.
pub fn manifest(text: &str, fallback: Timestamp) -> Result<Manifest, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    let outputs = v.get("output").and_then(Value::as_array).ok_or("the manifest has no `output` list")?;
    let transaction_time = v.get("transactionTime").and_then(Value::as_str).and_then(|s| instant(s, None).ok());
    let outputs = outputs
        .iter()
        .filter_map(|o| {
            let kind = ResourceKind::parse(o.get("type")?.as_str()?)?;
            let url = o.get("url")?.as_str()?.trim().to_owned();
            let states = o
                .pointer("/extension/state")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            (!url.is_empty()).then_some(ManifestOutput { kind, url, states })
        })
        .collect();
    Ok(Manifest {
        transaction_time: transaction_time.unwrap_or(fallback),
        request: v.get("request").and_then(Value::as_str).unwrap_or_default().to_owned(),
        outputs,
    })
}

/// Values some publishers put in identifiers when they have none (univaf saw all of these).
fn junk_value(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    v.is_empty()
        || matches!(v.as_str(), "null" | "nil" | "none" | "undefined" | "n/a" | "na")
        || v.starts_with("unknown")
}

/// Parses an instant, forgiving what real feeds get wrong: missing seconds
/// (`2021-03-10T15:00Z`), an hours-only offset (`-05`), or no offset at all — then the offset
/// of `sibling` (the slot's other end) is borrowed, else UTC is assumed.
pub fn instant(s: &str, sibling: Option<&str>) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    // `-05` / `+0530` / no seconds with an offset: read the civil part and the offset apart.
    if let (Some(offset), Some(pos)) = (offset_of(s), s.rfind(['+', '-', 'Z', 'z']).filter(|p| *p > 10))
        && let Ok(civil) = s[..pos].parse::<jiff::civil::DateTime>()
    {
        return offset.to_timestamp(civil).map_err(|e| format!("`{s}`: {e}"));
    }
    let civil: jiff::civil::DateTime = s.parse().map_err(|_| format!("`{s}` is not a date and time"))?;
    let offset = sibling.and_then(offset_of).unwrap_or(jiff::tz::Offset::UTC);
    offset.to_timestamp(civil).map_err(|e| format!("`{s}`: {e}"))
}

/// The offset written at the end of an instant (`Z`, `+03:30`, `-05`, `+0530`), if any.
fn offset_of(s: &str) -> Option<jiff::tz::Offset> {
    let s = s.trim();
    if s.ends_with('Z') || s.ends_with('z') {
        return Some(jiff::tz::Offset::UTC);
    }
    let pos = s.rfind(['+', '-']).filter(|p| *p > 10)?;
    let sign = if s[pos..].starts_with('-') { -1 } else { 1 };
    let digits: String = s[pos + 1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()
}

/// The id at the end of a reference: `Location/7`, `https://x.example/fhir/Location/7`.
fn reference_id<'a>(reference: &'a str, kind: &str) -> Option<&'a str> {
    let mut parts = reference.trim().rsplitn(3, '/');
    let id = parts.next()?;
    (parts.next()? == kind && !id.is_empty()).then_some(id)
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn coding(v: &Value, value_key: &str) -> Option<Coding> {
    let system = v.get("system").and_then(Value::as_str).unwrap_or_default().to_owned();
    let code = v.get(value_key).and_then(Value::as_str)?.trim().to_owned();
    Some(Coding { system, code, display: text(v, "/display") })
}

/// The import under way: add files in any order, then [`Feed::finish`].
#[derive(Debug, Default)]
pub struct Feed {
    out: Import,
}

impl Feed {
    pub fn new() -> Feed {
        Feed::default()
    }

    /// Reads one NDJSON file that the manifest says holds `kind` resources.
    pub fn add_file(&mut self, file: &str, kind: ResourceKind, body: &str) {
        for (i, raw) in body.lines().enumerate() {
            let line = i + 1;
            let skip = |id: Option<String>, reason: String| Skip { file: file.to_owned(), line, id, reason };
            let raw = raw.trim().trim_start_matches('\u{feff}');
            if raw.is_empty() {
                self.out.skipped.push(skip(None, "blank line".into()));
                continue;
            }
            let v: Value = match serde_json::from_str(raw) {
                Ok(v) => v,
                Err(e) => {
                    self.out.skipped.push(skip(None, format!("not JSON: {e}")));
                    continue;
                }
            };
            let id = text(&v, "/id");
            let rtype = v.get("resourceType").and_then(Value::as_str).unwrap_or_default();
            if rtype != kind.as_str() {
                self.out.skipped.push(skip(id, format!("expected a {}, found `{rtype}`", kind.as_str())));
                continue;
            }
            let Some(id) = id else {
                self.out.skipped.push(skip(None, "no id".into()));
                continue;
            };
            let result = match kind {
                ResourceKind::Location => location(&v, &id).map(|l| self.out.locations.insert(id.clone(), l).is_some()),
                ResourceKind::Schedule => schedule(&v, &id).map(|s| self.out.schedules.insert(id.clone(), s).is_some()),
                ResourceKind::Slot => slot(&v, &id).map(|s| {
                    self.out.slots.push(s);
                    false
                }),
            };
            match result {
                Ok(false) => {}
                Ok(true) => self.out.skipped.push(skip(Some(id), "duplicate id: the later line is used".into())),
                Err(reason) => self.out.skipped.push(skip(Some(id), reason)),
            }
        }
    }

    /// Resolves references: a schedule whose location is unknown is skipped, and so is every
    /// slot whose schedule is unknown or was skipped.
    pub fn finish(mut self) -> Import {
        let locations = &self.out.locations;
        let mut dropped: BTreeMap<String, ()> = BTreeMap::new();
        self.out.schedules.retain(|id, s| {
            let ok = locations.contains_key(&s.location);
            if !ok {
                self.out.skipped.push(Skip {
                    file: String::new(),
                    line: 0,
                    id: Some(id.clone()),
                    reason: format!("location Location/{} not found", s.location),
                });
                dropped.insert(id.clone(), ());
            }
            ok
        });
        let schedules = &self.out.schedules;
        let mut seen = std::collections::BTreeSet::new();
        let mut skipped = Vec::new();
        self.out.slots.retain(|s| {
            let reason = if dropped.contains_key(&s.schedule) {
                Some(format!("schedule {} has no known location", s.schedule))
            } else if !schedules.contains_key(&s.schedule) {
                Some(format!("schedule Schedule/{} not found", s.schedule))
            } else if !seen.insert(s.id.clone()) {
                Some("duplicate id: the first line is used".into())
            } else {
                None
            };
            if let Some(reason) = &reason {
                skipped.push(Skip { file: String::new(), line: 0, id: Some(s.id.clone()), reason: reason.clone() });
            }
            reason.is_none()
        });
        self.out.skipped.extend(skipped);
        self.out
    }
}

fn location(v: &Value, id: &str) -> Result<Location, String> {
    let name = text(v, "/name").unwrap_or_else(|| id.to_owned());
    let telecom = v.get("telecom").and_then(Value::as_array).cloned().unwrap_or_default();
    let of = |system: &str| {
        telecom.iter().find(|t| t.get("system").and_then(Value::as_str) == Some(system)).and_then(|t| text(t, "/value"))
    };
    let a = v.get("address").cloned().unwrap_or(Value::Null);
    let address = Address {
        lines: a
            .get("line")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
        city: text(&a, "/city").unwrap_or_default(),
        state: text(&a, "/state").unwrap_or_default(),
        postal_code: text(&a, "/postalCode").unwrap_or_default(),
        district: text(&a, "/district"),
    };
    let identifiers = v
        .get("identifier")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(|i| coding(i, "value")).filter(|c| !junk_value(&c.code)).collect())
        .unwrap_or_default();
    Ok(Location {
        id: id.to_owned(),
        name,
        phone: of("phone"),
        url: of("url"),
        address,
        identifiers,
        description: text(v, "/description"),
    })
}

fn schedule(v: &Value, id: &str) -> Result<Schedule, String> {
    let actors = v.get("actor").and_then(Value::as_array).cloned().unwrap_or_default();
    let refs: Vec<(String, Option<String>)> =
        actors.iter().filter_map(|a| Some((text(a, "/reference")?, text(a, "/display")))).collect();
    // The Location may be any actor, not only the first (the HL7 draft allows several).
    let location =
        refs.iter().find_map(|(r, _)| reference_id(r, "Location")).ok_or("no actor is a Location")?.to_owned();
    let others: Vec<&(String, Option<String>)> =
        refs.iter().filter(|(r, _)| reference_id(r, "Location").is_none()).collect();
    let service_types = v
        .pointer("/serviceType/0/coding")
        .and_then(Value::as_array)
        .map(|c| c.iter().filter_map(|c| coding(c, "code")).collect())
        .unwrap_or_default();
    Ok(Schedule {
        id: id.to_owned(),
        location,
        display: others.iter().find_map(|(_, d)| d.clone()),
        other_actors: others.into_iter().map(|(r, _)| r.clone()).collect(),
        service_types,
    })
}

fn slot(v: &Value, id: &str) -> Result<Slot, String> {
    let schedule = text(v, "/schedule/reference").ok_or("no schedule reference")?;
    let schedule = reference_id(&schedule, "Schedule").ok_or(format!("`{schedule}` is not a Schedule reference"))?;
    let status = text(v, "/status").ok_or("no status")?;
    let status = SlotStatus::parse(&status).ok_or(format!("unknown status `{status}`"))?;
    let start_s = text(v, "/start").ok_or("no start")?;
    let end_s = text(v, "/end").ok_or("no end")?;
    let start = instant(&start_s, Some(&end_s)).map_err(|e| format!("start: {e}"))?;
    let end = instant(&end_s, Some(&start_s)).map_err(|e| format!("end: {e}"))?;
    if end <= start {
        return Err("end is not after start".into());
    }
    let ext = v.get("extension").and_then(Value::as_array).cloned().unwrap_or_default();
    let url_of = |e: &Value| e.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
    let booking_links: Vec<String> = ext
        .iter()
        .filter(|e| url_of(e) == BOOKING_DEEP_LINK)
        .filter_map(|e| text(e, "/valueUrl").or_else(|| text(e, "/valueString")))
        .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
        .collect();
    let booking_phone = ext.iter().find(|e| url_of(e) == BOOKING_PHONE).and_then(|e| text(e, "/valueString"));
    let capacity = ext
        .iter()
        .find(|e| url_of(e) == SLOT_CAPACITY)
        .and_then(|e| e.get("valueInteger").and_then(Value::as_u64))
        .filter(|c| *c >= 1)
        .map_or(1, |c| u32::try_from(c).unwrap_or(u32::MAX));
    Ok(Slot {
        id: id.to_owned(),
        schedule: schedule.to_owned(),
        status,
        start,
        end,
        booking_links,
        booking_phone,
        capacity,
    })
}
