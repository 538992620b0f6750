//! Nobat's scheduling domain.
//!
//! Everything here is pure: no I/O, no async, no clock. Callers pass `now` in, so every rule can
//! be tested exhaustively and deterministically. The store applies these decisions inside its
//! write transaction; the web layer only translates.
//!
//! * [`ids`] — typed identifiers (UUIDv7).
//! * [`service`] — appointment types and their booking policy.
//! * [`schedule`] — weekly rules, breaks and dated exceptions, turned into open intervals.
//! * [`availability`] — slots = open intervals − busy intervals, on a local wall-clock grid.
//! * [`booking`] — the decision to hold, book, cancel or reschedule one slot.
//! * [`hold`] — who owns a hold, who may use it, how many one may keep.
//! * [`jobs`] — the retry policy of scheduled jobs.
//! * [`access`] — roles and the capabilities each grants.
//! * [`status`] — appointment statuses and their transition table (FHIR R4).
//! * [`queue`] — the day-of queue: ticket states, their transition table, the call order.
//! * [`zones`] — the time-zone database bundled in the binary, the only one used.
//! * [`phone`] — phone numbers in E.164, read in the clinic's country.
//! * [`transfer`] — the columns of the CSV exports and the rules for one imported row.
//! * [`smart`] — SMART Scheduling Links: the model, a strict writer and a forgiving reader.
//! * [`watch_criteria`] — when a freed slot suits a watcher (date window, weekdays, times).
//! * [`watch`] — watch modes and states, who gets a freed slot first, rate limits.

pub mod access;
pub mod availability;
pub mod booking;
pub mod clinical;
pub mod error;
pub mod hold;
pub mod ids;
pub mod intake;
pub mod jobs;
pub mod minutes;
pub mod net;
pub mod patient;
pub mod phone;
pub mod queue;
pub mod reminders;
pub mod reports;
pub mod schedule;
pub mod service;
pub mod smart;
pub mod status;
pub mod transfer;
pub mod wait_estimate;
pub mod watch;
pub mod watch_criteria;
pub mod zones;

pub use availability::{Busy, BusyKind, Slot, SlotQuery, slots};
pub use error::{DomainError, Reason, ReasonArg};
pub use ids::*;
pub use minutes::DayMinutes;
pub use patient::PatientContact;
pub use phone::Country;
pub use schedule::{Exception, ExceptionKind, LocationZone, Weekdays, WeeklyRule};
pub use service::{Service, ServicePatch};
pub use status::AppointmentStatus;
