//! Reads. They use the read pool and never wait for the writer; on SQLite's WAL a reader sees
//! the last committed state.

mod accounts;
mod appointments;
mod availability;
mod channels;
mod directory;
mod jobs;
mod messages;
mod privacy;
mod sources;

pub use availability::AvailabilityQuery;
pub use channels::{StoredCredentials, WebhookEndpoint};
pub use messages::{AppointmentFacts, MessageView};
pub use privacy::PatientExport;
pub use sources::{SourceStatus, StoredFile};
