//! Store errors. The web layer maps each variant to one HTTP status in one place.

use nobat_core::DomainError;
use std::fmt;
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
    /// The writer's queue is full: the command was refused before it was queued, so nothing
    /// was changed. Try again shortly.
    #[error("the server is busy; nothing was changed")]
    Busy,
    /// The command was handed to the writer but no answer came in time (or the connection
    /// failed at COMMIT): it may or may not have been committed. A retry with the same
    /// Idempotency-Key is safe; without one, check before retrying.
    #[error("the outcome of the change is unknown")]
    OutcomeUnknown,
    /// The database schema is not the one this binary was built for.
    #[error("{0}")]
    SchemaMismatch(String),
    /// A database error we did not expect. Logged with its cause; shown as a 500.
    #[error("database error: {0}")]
    Database(DbError),
    /// A claimed job (or outbox row) whose lease was lost: it ran out and someone else claimed
    /// it, or it was rescheduled. Nothing was changed.
    #[error("the lease was lost")]
    LeaseLost,
    /// A stored value we could not read back (corrupt row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A database error from either engine: its code (SQLSTATE on PostgreSQL, the primary result
/// code on SQLite) and message.
#[derive(Debug)]
pub struct DbError {
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "[{code}] {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned());
                // PostgreSQL's exclusion constraint is the second line of defence against
                // overlap: if it ever fires, the answer is the same as the first line's.
                if code.as_deref() == Some("23P01") {
                    return StoreError::Domain(DomainError::SlotTaken);
                }
                StoreError::Database(DbError { code, message: db.message().to_owned() })
            }
            e @ (sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_)) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Database(DbError { code: None, message: other.to_string() }),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, msg) => {
                let primary = f.extended_code & 0xff;
                let message = msg.clone().unwrap_or_else(|| f.to_string());
                // SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL: the disk, not the query.
                if matches!(primary, 10 | 13 | 14) {
                    return StoreError::Unavailable(message);
                }
                StoreError::Database(DbError { code: Some(primary.to_string()), message })
            }
            _ => StoreError::Database(DbError { code: None, message: e.to_string() }),
        }
    }
}

impl StoreError {
    /// Whether retrying the same command may succeed: PostgreSQL serialization failures,
    /// deadlocks and unique-key races between processes; SQLite busy or locked.
    pub(crate) fn is_retriable(&self) -> bool {
        let StoreError::Database(db) = self else {
            return false;
        };
        // 55P03: lock_timeout expired waiting for another transaction's lock (one that may be
        // stuck until the server ends it; see `SessionLimits`).
        matches!(db.code.as_deref(), Some("40001" | "40P01" | "23505" | "55P03" | "5" | "6"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
