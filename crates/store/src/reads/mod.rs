//! Reads. They use the read pool and never wait for the writer; on SQLite's WAL a reader sees
//! the last committed state.

mod appointments;
mod availability;
mod directory;

pub use availability::AvailabilityQuery;
