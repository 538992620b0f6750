//! Every database column that holds a value sealed with the data key ring ([`crate::at_rest`]),
//! and the re-seal a key rotation runs over them.
//!
//! ONE list, so a rotation cannot forget a column: whoever adds a sealed column appends it to
//! [`SEALED_COLUMNS`] (with the same `aad` its writer uses), and `nobat keys rotate` re-seals
//! it. A value is stale when its `nb1.{id}.` prefix names a key other than the current one;
//! the re-seal takes stale values in batches, each one compare-and-set on the old ciphertext,
//! so an interrupted rotation resumes by running again and a value written meanwhile (already
//! under the current key) is left alone.

use crate::at_rest::DataKeys;
use crate::error::StoreResult;
use crate::tx::WriteTx;

/// One sealed column: the rows are found by `keys` (SQL expressions, read as text, e.g.
/// `CAST(version AS TEXT)`), and `aad` rebuilds, from those key values in order, the
/// associated data the writer sealed the value with.
pub struct SealedColumn {
    pub table: &'static str,
    pub keys: &'static [&'static str],
    pub column: &'static str,
    pub aad: fn(&[String]) -> String,
}

/// The `aad` of a visit note's version: binds the ciphertext to its clinic, note and version,
/// so a body copied to another note, version or clinic does not open there.
pub fn note_aad(clinic: &str, note: &str, version: i64) -> String {
    format!("clinic/{clinic}/note/{note}/v{version}")
}

fn note_version_aad(k: &[String]) -> String {
    let part = |i: usize| k.get(i).map_or("", String::as_str);
    format!("clinic/{}/note/{}/v{}", part(0), part(1), part(2))
}

/// Every sealed column. Append, never reorder (the list is also the rotation's order).
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn {
        table: "clinical_note_versions",
        keys: &["clinic_id", "note_id", "CAST(version AS TEXT)"],
        column: "body",
        aad: note_version_aad,
    },
    SealedColumn {
        table: "form_answers",
        keys: &["clinic_id", "id"],
        column: "answers_sealed",
        aad: |k| format!("clinic/{}/form_answer/{}/answers", part(k, 0), part(k, 1)),
    },
    SealedColumn {
        table: "secure_messages",
        keys: &["clinic_id", "id"],
        column: "body_sealed",
        aad: |k| format!("clinic/{}/secure_message/{}/body", part(k, 0), part(k, 1)),
    },
    SealedColumn {
        table: "message_attachments",
        keys: &["clinic_id", "id"],
        column: "name_sealed",
        aad: |k| format!("clinic/{}/attachment/{}/name", part(k, 0), part(k, 1)),
    },
];

/// The `i`th key value ("" when missing, so a malformed row fails to open instead of panicking).
fn part(k: &[String], i: usize) -> &str {
    k.get(i).map_or("", String::as_str)
}

fn stale_filter(col: &SealedColumn, current: u32) -> String {
    // `nb1.1.%` does not match `nb1.12.…`: the id is followed by its dot.
    format!("{c} LIKE 'nb1.%' AND {c} NOT LIKE 'nb1.{current}.%'", c = col.column)
}

/// Re-seals up to `batch` stale values (over all columns, in list order) under the ring's
/// current key; returns how many it re-sealed, and fails on a value the ring cannot open (its
/// key is missing, or it was tampered with): a rotation must not lose data silently.
pub(crate) async fn reseal_batch(tx: &mut WriteTx<'_>, keys: &DataKeys, batch: u32) -> StoreResult<u64> {
    let mut done = 0u64;
    for col in SEALED_COLUMNS {
        let left = i64::from(batch) - done as i64;
        if left <= 0 {
            break;
        }
        let select_keys = col.keys.iter().enumerate().map(|(i, k)| format!("{k} AS k{i}")).collect::<Vec<_>>();
        let sql = format!(
            "SELECT {}, {} AS sealed FROM {} WHERE {} LIMIT {left}",
            select_keys.join(", "),
            col.column,
            col.table,
            stale_filter(col, keys.current_id())
        );
        let rows = crate::db::query(sql).fetch_all(&mut *tx.conn).await?;
        for row in rows {
            let key_values =
                (0..col.keys.len()).map(|i| row.text(&format!("k{i}"))).collect::<StoreResult<Vec<String>>>()?;
            let sealed = row.text("sealed")?;
            let aad = (col.aad)(&key_values);
            let plain = keys.open(&aad, &sealed).ok_or_else(|| {
                crate::StoreError::Corrupt(format!(
                    "{}.{} at ({}) does not open with the key ring (its key is missing or it was altered)",
                    col.table,
                    col.column,
                    key_values.join(", ")
                ))
            })?;
            let fresh = keys.seal(&aad, &plain);
            let wheres =
                col.keys.iter().enumerate().map(|(i, k)| format!("{k} = ${}", i + 3)).collect::<Vec<_>>().join(" AND ");
            let sql = format!("UPDATE {} SET {c} = $1 WHERE {c} = $2 AND {wheres}", col.table, c = col.column);
            let mut q = crate::db::query(sql).bind(fresh).bind(sealed);
            for v in key_values {
                q = q.bind(v);
            }
            done += q.execute(&mut *tx.conn).await?;
        }
    }
    Ok(done)
}

impl crate::Store {
    /// How many sealed values in the whole database are not under `current` (what a finished
    /// rotation leaves: zero).
    pub async fn stale_sealed_values(&self, current: u32) -> StoreResult<u64> {
        let mut conn = self.reader().await?;
        let mut n = 0u64;
        for col in SEALED_COLUMNS {
            let sql = format!("SELECT COUNT(*) AS n FROM {} WHERE {}", col.table, stale_filter(col, current));
            n += crate::db::query(sql).fetch_one(&mut conn).await?.int("n")? as u64;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod aad_tests {
    use super::*;
    use nobat_core::ClinicId;

    /// The rotation must rebuild exactly the `aad` each writer sealed with, or it fails on
    /// every row of that column.
    #[test]
    fn each_columns_aad_is_its_writers() {
        let clinic = ClinicId::new();
        let c = clinic.to_string();
        let by_table = |t: &str| SEALED_COLUMNS.iter().find(|col| col.table == t).map(|col| col.aad);
        let keys = vec![c.clone(), "row-1".to_owned()];
        let aad = |t: &str| by_table(t).map(|f| f(&keys));
        assert_eq!(aad("form_answers"), Some(crate::commands::intake::answers_aad(clinic, "row-1")));
        assert_eq!(aad("secure_messages"), Some(crate::commands::intake::message_aad(clinic, "row-1")));
        assert_eq!(aad("message_attachments"), Some(crate::intake::attachment_name_aad(clinic, "row-1")));
        let note = by_table("clinical_note_versions").map(|f| f(&[c.clone(), "n".into(), "2".into()]));
        assert_eq!(note, Some(note_aad(&c, "n", 2)));
    }
}
