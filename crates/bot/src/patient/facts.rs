//! What the patient flows ask the shell for ([`Need`]) and what it answers ([`Facts`]).
//!
//! The core never reads the database: when a step needs clinics, services or free slots (or a
//! booking made), it returns `Reply::Need(need)`; the poller answers that need with the store's
//! own reads and commands, puts the answer in [`Facts`] and calls the core again with the same
//! update. Facts live for one update only; nothing here is stored.

use serde::{Deserialize, Serialize};

/// A thing with an id and a name to show on a button (a clinic, a service, a practitioner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub name: String,
}

impl Item {
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Item {
        Item { id: id.into(), name: name.into() }
    }
}

/// One text-search hit: a clinic, or a service of a clinic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub clinic: Item,
    pub service: Option<Item>,
}

/// One free slot, as the patient will see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotFact {
    /// UTC microseconds.
    pub start_us: i64,
    /// The location's UTC offset at that instant, so the core shows wall-clock time without a
    /// time-zone database.
    pub offset_secs: i32,
    pub practitioner: Item,
    pub location: String,
}

/// A booking to make through the ordinary booking command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub clinic: String,
    pub service: String,
    pub slot: SlotFact,
    pub name: String,
    /// As Telegram shared it (the user's own number).
    pub phone: String,
    pub lang: String,
}

/// What the booking command answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booked {
    /// Booked; the private link to cancel or change it.
    Done { manage_url: String },
    /// Someone else took the time meanwhile (the command's 409).
    Taken,
    /// Refused for another reason (the clinic's rules, a number it cannot read).
    Refused,
}

/// Data the core asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    Clinics,
    Search(String),
    Services {
        clinic: String,
    },
    Practitioners {
        clinic: String,
    },
    /// The next free slots (two weeks at most), of one practitioner or of anyone.
    Slots {
        clinic: String,
        service: String,
        practitioner: Option<String>,
    },
    /// Boxed: an order is much larger than the other needs.
    Book(Box<Order>),
}

/// The shell's answers, for the update being handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub clinics: Option<Vec<Item>>,
    pub search: Option<Vec<Found>>,
    pub services: Option<Vec<Item>>,
    pub practitioners: Option<Vec<Item>>,
    pub slots: Option<Vec<SlotFact>>,
    pub booked: Option<Booked>,
}
