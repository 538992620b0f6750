//! The two database engines and how to connect to each. This is one of the few places where
//! SQLite and PostgreSQL are told apart; the queries themselves are shared.

use crate::error::{StoreError, StoreResult};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

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

/// Settings applied to every SQLite connection.
///
/// * WAL lets readers run beside the single writer.
/// * `synchronous=FULL` makes every commit durable before we answer: in WAL mode, NORMAL
///   would survive a process crash but can lose the last transactions on power loss or an OS
///   crash, and "booked" must mean booked. Group commit pays for this (one fsync per batch).
/// * `foreign_keys=ON` because SQLite does not enforce them by default.
/// * `busy_timeout` covers the rare other writer (a CLI command while the server runs).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

fn options(url: &str) -> StoreResult<AnyConnectOptions> {
    let opts =
        AnyConnectOptions::from_str(url).map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?;
    Ok(opts)
}

/// Opens the one connection the writer owns.
pub(crate) async fn connect_writer(engine: Engine, url: &str) -> StoreResult<AnyConnection> {
    let mut conn = AnyConnection::connect_with(&options(url)?).await?;
    if engine == Engine::Sqlite {
        conn.execute(SQLITE_PRAGMAS).await?;
    }
    Ok(conn)
}

/// Opens the pool reads use. On SQLite, reader connections are `query_only` so a bug can
/// never write around the writer.
pub(crate) async fn connect_readers(engine: Engine, url: &str, size: u32) -> StoreResult<AnyPool> {
    let pool = AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if engine == Engine::Sqlite {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    conn.execute("PRAGMA query_only = ON").await?;
                }
                Ok(())
            })
        })
        .connect_with(options(url)?)
        .await?;
    Ok(pool)
}

/// Makes sure the `Any` driver knows both engines. Idempotent.
pub(crate) fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// Closes a connection politely, ignoring errors (used at shutdown).
pub(crate) async fn close(conn: AnyConnection) {
    let _ = conn.close().await;
}
