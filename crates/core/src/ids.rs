//! Typed identifiers. Every entity has its own newtype so a practitioner id can never be passed
//! where a service id is expected. All are UUIDv7: time-ordered, so they index well.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A clinic: the tenant.
    ClinicId
);
id_type!(
    /// A site of a clinic, with its own time zone.
    LocationId
);
id_type!(
    /// A person who sees patients.
    PractitionerId
);
id_type!(
    /// An appointment type.
    ServiceId
);
id_type!(
    /// A weekly availability rule.
    RuleId
);
id_type!(
    /// A dated exception to the weekly rules (closed or extra hours).
    ExceptionId
);
id_type!(
    /// A patient record within one clinic.
    PatientId
);
id_type!(
    /// An appointment.
    AppointmentId
);
id_type!(
    /// A short reservation of a slot.
    HoldId
);
id_type!(
    /// A user account: staff, an operator, or a registered patient.
    UserId
);
id_type!(
    /// An API token (the id, not the secret).
    TokenId
);
id_type!(
    /// A one-time-code verification of a guest's phone or email.
    VerificationId
);
id_type!(
    /// A recorded consent.
    ConsentId
);
id_type!(
    /// A day's queue at one location (per practitioner or per service).
    QueueId
);
id_type!(
    /// A place in a queue.
    TicketId
);
id_type!(
    /// A link (and QR code) patients join a queue from.
    JoinLinkId
);
id_type!(
    /// A visit note (its versions share the id).
    NoteId
);
id_type!(
    /// A merge of a duplicate patient record into another.
    MergeId
);
