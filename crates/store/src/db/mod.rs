//! The store's own thin database layer: one query API over two drivers.
//!
//! SQL is written once, in the common dialect (`$1` placeholders, `RETURNING`, INTEGER
//! microsecond instants, TEXT ids), and runs unchanged on both engines:
//!
//! * **SQLite through rusqlite**, called directly: a statement costs a few microseconds. (sqlx's
//!   SQLite driver runs each connection on a worker thread and costs ~50 µs per statement in
//!   thread hand-offs, measured here; with a dozen statements per booking that capped the
//!   writer near 2,000 bookings/s — see docs/performance.md.) The writer owns its connection on
//!   a dedicated thread, and readers run each statement on the blocking pool
//!   ([`Conn::SqliteRead`]), so SQLite's blocking calls never stall the async runtime's workers.
//! * **PostgreSQL through sqlx**, natively async.
//!
//! Values are the four types both engines share (integer, real, text, null); rows come back as
//! [`Row`], read by column name.

mod postgres;
pub(crate) mod sqlite;

pub use sqlite::SqliteReaders;

pub(crate) fn sqlite_open_writer(url: &str) -> StoreResult<Conn> {
    sqlite::open_writer(url)
}

pub(crate) async fn postgres_open_writer(url: &str, limits: &crate::SessionLimits) -> StoreResult<Conn> {
    postgres::open_writer(url, limits).await
}

pub(crate) async fn postgres_open_readers(
    url: &str,
    size: u32,
    limits: &crate::SessionLimits,
) -> StoreResult<sqlx::PgPool> {
    postgres::open_readers(url, size, limits).await
}

use crate::error::{StoreError, StoreResult};
use std::borrow::Cow;
use std::sync::Arc;

/// The type of a NULL, which PostgreSQL needs to know to type a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
}

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null(Kind),
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null(Kind::Int), Value::Int)
    }
}
impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Value::Null(Kind::Real), Value::Real)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        v.map_or(Value::Null(Kind::Text), Value::Text)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Value::Null(Kind::Text), |s| Value::Text(s.to_owned()))
    }
}

/// One result row; columns are looked up by name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

impl Row {
    /// Column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Values, in column order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    fn value(&self, col: &str) -> StoreResult<&Value> {
        self.columns
            .iter()
            .position(|c| c == col)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("no column `{col}` in the result")))
    }

    pub fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        match self.value(col)? {
            Value::Int(v) => Ok(Some(*v)),
            Value::Null(_) => Ok(None),
            other => Err(StoreError::Corrupt(format!("{col}: expected an integer, found {other:?}"))),
        }
    }

    pub fn int(&self, col: &str) -> StoreResult<i64> {
        self.opt_int(col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is NULL")))
    }

    pub fn opt_real(&self, col: &str) -> StoreResult<Option<f64>> {
        match self.value(col)? {
            Value::Real(v) => Ok(Some(*v)),
            // SQLite stores 90.0 in a REAL column as the integer 90 when it can.
            Value::Int(v) => Ok(Some(*v as f64)),
            Value::Null(_) => Ok(None),
            other => Err(StoreError::Corrupt(format!("{col}: expected a number, found {other:?}"))),
        }
    }

    pub fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        match self.value(col)? {
            Value::Text(v) => Ok(Some(v.clone())),
            Value::Null(_) => Ok(None),
            other => Err(StoreError::Corrupt(format!("{col}: expected text, found {other:?}"))),
        }
    }

    pub fn text(&self, col: &str) -> StoreResult<String> {
        self.opt_text(col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is NULL")))
    }
}

/// A statement and its parameters (`$1`, `$2`, … in order).
#[derive(Debug, Clone)]
pub struct Query {
    sql: Cow<'static, str>,
    params: Vec<Value>,
}

/// Starts a query.
pub fn query(sql: impl Into<Cow<'static, str>>) -> Query {
    Query { sql: sql.into(), params: Vec::new() }
}

impl Query {
    pub fn bind(mut self, v: impl Into<Value>) -> Self {
        self.params.push(v.into());
        self
    }

    /// Runs a statement that returns no rows; the number of rows changed.
    pub async fn execute(self, conn: &mut Conn) -> StoreResult<u64> {
        match conn {
            Conn::Sqlite(c) => sqlite::execute(c, &self.sql, &self.params),
            Conn::SqliteRead(slot) => {
                sqlite::off_worker(slot, move |c| sqlite::execute(c, &self.sql, &self.params)).await
            }
            Conn::Postgres(c) => postgres::execute(c, &self.sql, self.params).await,
        }
    }

    pub async fn fetch_all(self, conn: &mut Conn) -> StoreResult<Vec<Row>> {
        match conn {
            Conn::Sqlite(c) => sqlite::fetch_all(c, &self.sql, &self.params),
            Conn::SqliteRead(slot) => {
                sqlite::off_worker(slot, move |c| sqlite::fetch_all(c, &self.sql, &self.params)).await
            }
            Conn::Postgres(c) => postgres::fetch_all(c, &self.sql, self.params).await,
        }
    }

    pub async fn fetch_optional(self, conn: &mut Conn) -> StoreResult<Option<Row>> {
        Ok(self.fetch_all(conn).await?.into_iter().next())
    }

    pub async fn fetch_one(self, conn: &mut Conn) -> StoreResult<Row> {
        self.fetch_optional(conn).await?.ok_or_else(|| StoreError::Corrupt("the query returned no row".into()))
    }
}

/// A connection to either engine.
pub enum Conn {
    /// The writer's (and a migration's): used on a thread of its own, so it may block.
    Sqlite(rusqlite::Connection),
    /// A reader's, used from the async request workers: every statement runs on the blocking
    /// pool (`spawn_blocking`), so a slow query or a disk wait never stalls a worker thread.
    /// `None` only while a statement has it, or after a statement's caller was cancelled.
    SqliteRead(Option<rusqlite::Connection>),
    Postgres(postgres::PgConn),
}

impl Conn {
    /// Runs one or more statements without parameters (transaction control, migrations).
    pub async fn run(&mut self, sql: &str) -> StoreResult<()> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql).map_err(Into::into),
            Conn::SqliteRead(slot) => {
                let sql = sql.to_owned();
                sqlite::off_worker(slot, move |c| c.execute_batch(&sql).map_err(Into::into)).await
            }
            Conn::Postgres(c) => postgres::run(c, sql).await,
        }
    }

    /// Closes politely (PostgreSQL says goodbye; SQLite just drops).
    pub async fn close(self) {
        if let Conn::Postgres(c) = self {
            postgres::close(c).await;
        }
    }

    /// Checks the connection still answers.
    pub async fn ping(&mut self) -> StoreResult<()> {
        query("SELECT 1 AS one").fetch_one(self).await.map(|_| ())
    }
}

/// The read side: a small pool of connections.
#[derive(Clone)]
pub enum Readers {
    Sqlite(Arc<SqliteReaders>),
    Postgres(sqlx::PgPool),
}

impl Readers {
    pub async fn acquire(&self) -> StoreResult<ReadConn> {
        match self {
            Readers::Sqlite(pool) => pool.acquire().await,
            Readers::Postgres(pool) => {
                Ok(ReadConn { conn: Some(Conn::Postgres(postgres::PgConn::Pooled(pool.acquire().await?))), home: None })
            }
        }
    }

    /// Read connections on loan right now, and the pool's size.
    pub fn in_use(&self) -> (usize, usize) {
        match self {
            Readers::Sqlite(pool) => pool.in_use(),
            Readers::Postgres(pool) => {
                let size = pool.size() as usize;
                (size.saturating_sub(pool.num_idle()), pool.options().get_max_connections() as usize)
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Readers::Sqlite(pool) => pool.close(),
            Readers::Postgres(pool) => pool.close().await,
        }
    }
}

/// A read connection on loan from [`Readers`]; goes back on drop.
pub struct ReadConn {
    conn: Option<Conn>,
    home: Option<(Arc<SqliteReaders>, tokio::sync::OwnedSemaphorePermit)>,
}

impl std::ops::Deref for ReadConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("a ReadConn holds its connection until dropped"))
    }
}

impl std::ops::DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("a ReadConn holds its connection until dropped"))
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        if let (Some(Conn::SqliteRead(Some(c))), Some((pool, _permit))) = (self.conn.take(), self.home.take()) {
            pool.give_back(c);
        }
    }
}
