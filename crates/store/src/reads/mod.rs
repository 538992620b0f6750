//! Reads. They use the read pool and never wait for the writer; on SQLite's WAL a reader sees
//! the last committed state.

mod accounts;
mod appointments;
mod availability;
mod channels;
pub mod clinical;
mod directory;
mod interop;
mod jobs;
mod message_stats;
mod messages;
mod privacy;
mod queue_messages;
mod reports;
mod sources;
mod telegram_staff;

pub use availability::AvailabilityQuery;
pub use channels::{StoredCredentials, WebhookEndpoint};
pub use interop::{CalendarFeed, NameMatch, NameSearch, PatientSearch};
pub use message_stats::{MessageCount, SmsBudget};
pub use messages::{AppointmentFacts, MessageView};
pub use privacy::PatientExport;
pub use queue_messages::TicketFacts;
pub use sources::{SourceStatus, StoredFile};
pub use telegram_staff::{PendingAlert, StaffChat};
