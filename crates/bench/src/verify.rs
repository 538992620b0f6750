//! Correctness after the load, read straight from the database: every acknowledged booking is
//! there, and no practitioner is overbooked.

use anyhow::{bail, ensure};
use sqlx::AnyPool;

pub async fn connect(url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    Ok(AnyPool::connect(url).await?)
}

/// Every acknowledged id is stored, the clinic holds exactly that many time-occupying
/// appointments, and no two of them overlap for one practitioner (capacity-1 services).
pub async fn bookings(db: &AnyPool, clinic: &str, acknowledged: &[String]) -> anyhow::Result<String> {
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appointments WHERE clinic_id = $1 AND occupies = 1")
        .bind(clinic)
        .fetch_one(db)
        .await?;
    ensure!(stored as usize == acknowledged.len(), "{} acknowledged but {stored} stored", acknowledged.len());
    for chunk in acknowledged.chunks(500) {
        let list = chunk.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT COUNT(*) FROM appointments WHERE clinic_id = $1 AND id IN ({list})");
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(clinic).fetch_one(db).await?;
        ensure!(n as usize == chunk.len(), "an acknowledged booking is missing");
    }
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT practitioner_id, block_start_us, block_end_us FROM appointments \
         WHERE clinic_id = $1 AND occupies = 1 ORDER BY practitioner_id, block_start_us",
    )
    .bind(clinic)
    .fetch_all(db)
    .await?;
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 && w[1].1 < w[0].2 {
            bail!("overlap: {:?} and {:?}", w[0], w[1]);
        }
    }
    Ok(format!("{stored} stored = acknowledged, no overlap"))
}
