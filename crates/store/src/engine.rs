//! The two database engines and how to connect to each. This is one of the few places where
//! SQLite and PostgreSQL are told apart; the queries themselves are shared.

use crate::SessionLimits;
use crate::db::{self, Conn, Readers, SqliteReaders};
use crate::error::{StoreError, StoreResult};
use std::path::Path;

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// Reads the engine from a URL's scheme.
    pub fn from_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(StoreError::Unavailable("the database URL must start with sqlite: or postgres://".into()))
        }
    }

    /// The statement that opens a write transaction. SQLite takes the write lock up front
    /// (`IMMEDIATE`) so a transaction never fails half-way to upgrade a read lock.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }
}

/// The URL of the default SQLite database inside a data directory.
pub fn sqlite_url_in(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("nobat.sqlite3").display())
}

/// Opens a connection for writing (the writer's, or a migration's). The session limits apply
/// to PostgreSQL (see [`SessionLimits`]).
pub(crate) async fn connect_writer(engine: Engine, url: &str, limits: &SessionLimits) -> StoreResult<Conn> {
    match engine {
        Engine::Sqlite => db::sqlite_open_writer(url),
        Engine::Postgres => db::postgres_open_writer(url, limits).await,
    }
}

/// Opens the pool reads use.
pub(crate) async fn connect_readers(
    engine: Engine,
    url: &str,
    size: u32,
    limits: &SessionLimits,
) -> StoreResult<Readers> {
    match engine {
        Engine::Sqlite => Ok(Readers::Sqlite(SqliteReaders::new(url, size)?)),
        Engine::Postgres => Ok(Readers::Postgres(db::postgres_open_readers(url, size, limits).await?)),
    }
}
