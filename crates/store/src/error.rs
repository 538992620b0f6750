//! Store errors. The web layer maps each variant to one HTTP status in one place.

use nobat_core::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The domain refused the change (bad input, slot taken, cut-off passed, …).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The named thing does not exist in this clinic.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique name is already used (e.g. a clinic slug).
    #[error("{0}")]
    AlreadyExists(String),
    /// An Idempotency-Key was reused with a different request.
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyMismatch,
    /// The database is unreachable or the writer stopped; nothing was changed.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database schema is not the one this binary was built for.
    #[error("{0}")]
    SchemaMismatch(String),
    /// A database error we did not expect. Logged with its cause; shown as a 500.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// A stored value we could not read back (corrupt row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // PostgreSQL's exclusion constraint is the second line of defence against overlap: if
        // it ever fires, the answer is the same as the first line's.
        if let sqlx::Error::Database(db) = &e
            && db.code().as_deref() == Some("23P01")
        {
            return StoreError::Domain(DomainError::SlotTaken);
        }
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// Whether retrying the same command may succeed: PostgreSQL serialization failures,
    /// deadlocks and unique-key races between processes, SQLite busy.
    pub(crate) fn is_retriable(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(db)) = self else {
            return false;
        };
        matches!(db.code().as_deref(), Some("40001" | "40P01" | "23505" | "5" | "6" | "517"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
