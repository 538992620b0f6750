//! SQLite through rusqlite: statements prepared once and cached per connection, `$N`
//! parameters bound by name, values read straight from SQLite's column types.

use super::{Conn, ReadConn, Row, Value};
use crate::error::{StoreError, StoreResult};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Settings for every connection.
///
/// * WAL lets readers run beside the single writer.
/// * `synchronous=FULL` makes every commit durable before we answer: in WAL mode, NORMAL would
///   survive a process crash but can lose the last transactions on power loss or an OS crash,
///   and "booked" must mean booked. Group commit pays for this (one fsync per batch).
/// * `foreign_keys=ON` because SQLite does not enforce them by default.
/// * `busy_timeout` covers the rare other writer (a CLI command while the server runs).
/// * A 64 MiB page cache and memory-mapped reads: profiling showed the writer spending most of
///   its time copying pages out of the OS cache with `pread`; with its own large cache (valid
///   across its transactions, as it is the only writer) it rarely reads at all.
fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.busy_timeout(Duration::from_secs(5))?;
    c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    c.query_row("PRAGMA mmap_size = 268435456", [], |_| Ok(()))?;
    c.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
    )?;
    c.set_prepared_statement_cache_capacity(256);
    Ok(())
}

/// The file path inside a `sqlite:` URL (`sqlite:///var/lib/nobat/db.sqlite3?mode=rwc`).
pub fn path_of(url: &str) -> StoreResult<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::Unavailable("a SQLite URL starts with sqlite:".into()))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Unavailable(
            "give the SQLite database a file path (in-memory databases cannot be shared)".into(),
        ));
    }
    Ok(path.to_owned())
}

/// Opens the writer's connection, creating the file if needed.
pub fn open_writer(url: &str) -> StoreResult<Conn> {
    let c = Connection::open(path_of(url)?)?;
    configure(&c)?;
    Ok(Conn::Sqlite(c))
}

fn open_reader(path: &str) -> StoreResult<Connection> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    configure(&c)?;
    // A reader can never write around the writer, even by mistake.
    c.execute_batch("PRAGMA query_only = ON")?;
    Ok(c)
}

/// A pool of read connections, opened lazily, at most `size` at a time.
pub struct SqliteReaders {
    path: String,
    max: usize,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl SqliteReaders {
    pub fn new(url: &str, size: u32) -> StoreResult<Arc<Self>> {
        Ok(Arc::new(Self {
            path: path_of(url)?,
            max: size.max(1) as usize,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size.max(1) as usize)),
        }))
    }

    pub(super) async fn acquire(self: &Arc<Self>) -> StoreResult<ReadConn> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("the database is closing".into()))?;
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) => c,
            None => {
                // Opening reads the file and sets pragmas: blocking work, off the workers too.
                let path = self.path.clone();
                tokio::task::spawn_blocking(move || open_reader(&path))
                    .await
                    .map_err(|e| StoreError::Unavailable(format!("opening a read connection: {e}")))??
            }
        };
        Ok(ReadConn { conn: Some(Conn::SqliteRead(Some(conn))), home: Some((self.clone(), permit)) })
    }

    /// Connections on loan right now, and the most there may be.
    pub(super) fn in_use(&self) -> (usize, usize) {
        let max = self.max;
        (max - self.permits.available_permits().min(max), max)
    }

    pub(super) fn give_back(&self, c: Connection) {
        if self.permits.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(c);
        }
    }

    pub(super) fn close(&self) {
        self.permits.close();
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// Runs `work` with a reader's connection on the blocking pool and puts the connection back.
/// If the caller is cancelled meanwhile, the connection is dropped with the finished work (the
/// pool opens another when needed) rather than returned half-used.
pub(super) async fn off_worker<T: Send + 'static>(
    slot: &mut Option<Connection>,
    work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    let c = slot.take().ok_or_else(|| StoreError::Unavailable("the read connection was lost".into()))?;
    let (c, result) = tokio::task::spawn_blocking(move || {
        let result = work(&c);
        (c, result)
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("a read failed to run: {e}")))?;
    *slot = Some(c);
    result
}

/// `$1` … `$32`, so binding the usual few does not format strings on every call.
const NAMES: [&str; 32] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$16", "$17",
    "$18", "$19", "$20", "$21", "$22", "$23", "$24", "$25", "$26", "$27", "$28", "$29", "$30", "$31", "$32",
];

fn bind(stmt: &mut rusqlite::CachedStatement<'_>, params: &[Value]) -> StoreResult<()> {
    for (i, v) in params.iter().enumerate() {
        let idx = match NAMES.get(i) {
            Some(name) => stmt.parameter_index(name)?,
            None => stmt.parameter_index(&format!("${}", i + 1))?,
        };
        // A parameter the SQL does not use is simply not bound.
        let Some(idx) = idx else { continue };
        match v {
            Value::Null(_) => stmt.raw_bind_parameter(idx, rusqlite::types::Null)?,
            Value::Int(x) => stmt.raw_bind_parameter(idx, x)?,
            Value::Real(x) => stmt.raw_bind_parameter(idx, x)?,
            Value::Text(x) => stmt.raw_bind_parameter(idx, x.as_str())?,
        }
    }
    Ok(())
}

pub fn execute(c: &Connection, sql: &str, params: &[Value]) -> StoreResult<u64> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    Ok(stmt.raw_execute()? as u64)
}

pub fn fetch_all(c: &Connection, sql: &str, params: &[Value]) -> StoreResult<Vec<Row>> {
    let mut stmt = c.prepare_cached(sql)?;
    bind(&mut stmt, params)?;
    let columns: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let n = columns.len();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut values = Vec::with_capacity(n);
        for i in 0..n {
            values.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null(super::Kind::Text),
                ValueRef::Integer(x) => Value::Int(x),
                ValueRef::Real(x) => Value::Real(x),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => return Err(StoreError::Corrupt("unexpected BLOB".into())),
            });
        }
        out.push(Row { columns: columns.clone(), values });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A read that keeps SQLite busy for a while (about a second in a debug build).
    const SLOW: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
                        SELECT COUNT(*) AS n FROM c";

    /// On a runtime with a single worker thread (as in every `#[tokio::test]`), a read that
    /// ran on the worker would stop every other task until it finished.
    #[tokio::test]
    async fn a_slow_read_does_not_stall_the_async_worker() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::sqlite_url_in(dir.path());
        drop(open_writer(&url).unwrap());
        let readers = SqliteReaders::new(&url, 2).unwrap();
        let mut conn = readers.acquire().await.unwrap();
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        tokio::task::yield_now().await;
        let started = std::time::Instant::now();
        let row = crate::db::query(SLOW).fetch_one(&mut conn).await.unwrap();
        let took = started.elapsed();
        let during = ticks.load(Ordering::Relaxed);
        ticker.abort();
        assert_eq!(row.int("n").unwrap(), 3_000_000);
        assert!(took > Duration::from_millis(100), "the read was slow enough to tell: {took:?}");
        let expected = (took.as_millis() / 5) as usize;
        assert!(during * 4 >= expected, "the worker ran {during} ticks of {expected} during a {took:?} read");
        // The connection came back from the blocking pool and still works.
        drop(conn);
        let mut again = readers.acquire().await.unwrap();
        assert_eq!(crate::db::query("SELECT 1 AS one").fetch_one(&mut again).await.unwrap().int("one").unwrap(), 1);
    }
}
