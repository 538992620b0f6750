//! PostgreSQL through sqlx, natively async. Parameters are bound with their types (a NULL
//! included), rows converted by column type into [`Row`].

use super::{Kind, Row, Value};
use crate::SessionLimits;
use crate::error::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::{Column, Connection, Executor, Postgres, Row as _, TypeInfo};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A connection of our own (the writer's) or one on loan from the pool (a reader's).
pub enum PgConn {
    Owned(PgConnection),
    Pooled(PoolConnection<Postgres>),
}

impl PgConn {
    fn get(&mut self) -> &mut PgConnection {
        match self {
            PgConn::Owned(c) => c,
            PgConn::Pooled(c) => c,
        }
    }
}

/// The URL's options plus the session settings Nobat relies on (see [`SessionLimits`]), sent
/// as startup options so they hold from the first statement.
fn options(url: &str, limits: &SessionLimits) -> StoreResult<PgConnectOptions> {
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    let keepalive = limits.keepalive_idle.as_secs().max(1);
    let base =
        PgConnectOptions::from_str(url).map_err(|e| StoreError::Unavailable(format!("bad database URL: {e}")))?;
    Ok(base.options([
        ("synchronous_commit", "on".to_owned()),
        ("lock_timeout", ms(limits.lock_timeout)),
        ("statement_timeout", ms(limits.statement_timeout)),
        ("idle_in_transaction_session_timeout", ms(limits.idle_in_transaction_timeout)),
        ("tcp_keepalives_idle", keepalive.to_string()),
        ("tcp_keepalives_interval", keepalive.div_ceil(6).max(1).to_string()),
        ("tcp_keepalives_count", "6".to_owned()),
    ]))
}

pub async fn open_writer(url: &str, limits: &SessionLimits) -> StoreResult<super::Conn> {
    Ok(super::Conn::Postgres(PgConn::Owned(PgConnection::connect_with(&options(url, limits)?).await?)))
}

pub async fn open_readers(url: &str, size: u32, limits: &SessionLimits) -> StoreResult<sqlx::PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(size)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options(url, limits)?)
        .await?)
}

fn prepared(sql: &str, params: Vec<Value>) -> sqlx::query::Query<'static, Postgres, sqlx::postgres::PgArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for v in params {
        q = match v {
            Value::Null(Kind::Int) => q.bind(None::<i64>),
            Value::Null(Kind::Real) => q.bind(None::<f64>),
            Value::Null(Kind::Text) => q.bind(None::<String>),
            Value::Int(x) => q.bind(x),
            Value::Real(x) => q.bind(x),
            Value::Text(x) => q.bind(x),
        };
    }
    q
}

pub async fn execute(c: &mut PgConn, sql: &str, params: Vec<Value>) -> StoreResult<u64> {
    Ok(prepared(sql, params).execute(c.get()).await?.rows_affected())
}

pub async fn fetch_all(c: &mut PgConn, sql: &str, params: Vec<Value>) -> StoreResult<Vec<Row>> {
    let rows = prepared(sql, params).fetch_all(c.get()).await?;
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let columns: Arc<[String]> = first.columns().iter().map(|c| c.name().to_owned()).collect();
    let kinds: Vec<&str> = first.columns().iter().map(|c| c.type_info().name()).collect();
    rows.iter().map(|r| convert(r, &columns, &kinds)).collect()
}

fn convert(r: &PgRow, columns: &Arc<[String]>, kinds: &[&str]) -> StoreResult<Row> {
    let mut values = Vec::with_capacity(kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let v = match *kind {
            "INT8" => r.try_get::<Option<i64>, _>(i)?.map_or(Value::Null(Kind::Int), Value::Int),
            "INT4" => r.try_get::<Option<i32>, _>(i)?.map_or(Value::Null(Kind::Int), |x| Value::Int(i64::from(x))),
            "INT2" => r.try_get::<Option<i16>, _>(i)?.map_or(Value::Null(Kind::Int), |x| Value::Int(i64::from(x))),
            "BOOL" => r.try_get::<Option<bool>, _>(i)?.map_or(Value::Null(Kind::Int), |x| Value::Int(i64::from(x))),
            "FLOAT8" => r.try_get::<Option<f64>, _>(i)?.map_or(Value::Null(Kind::Real), Value::Real),
            "FLOAT4" => r.try_get::<Option<f32>, _>(i)?.map_or(Value::Null(Kind::Real), |x| Value::Real(f64::from(x))),
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => {
                r.try_get::<Option<String>, _>(i)?.map_or(Value::Null(Kind::Text), Value::Text)
            }
            other => return Err(StoreError::Corrupt(format!("column {} has unsupported type {other}", columns[i]))),
        };
        values.push(v);
    }
    Ok(Row { columns: columns.clone(), values })
}

pub async fn run(c: &mut PgConn, sql: &str) -> StoreResult<()> {
    c.get().execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))).await?;
    Ok(())
}

pub async fn close(c: PgConn) {
    if let PgConn::Owned(c) = c {
        let _ = c.close().await;
    }
}
