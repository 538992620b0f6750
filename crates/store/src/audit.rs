//! The audit trail: who did what, when, with the state before and after — written in the same
//! transaction as the change and hash-chained per clinic.
//!
//! Commands queue their entries on the write transaction; the writer *seals* them just before
//! COMMIT: it locks each clinic's chain head (the last lock a transaction takes, so it cannot
//! be part of a deadlock cycle and is held only for the commit), numbers the entries, chains
//! their hashes and moves the head. A row's hash covers the previous hash, every field that
//! says who/what/when, and a digest of its body (before, after, note), so erasure can blank a
//! body and the chain still verifies, while any other change, insertion or removal breaks it.

use crate::db::{self, Conn, Value};
use crate::error::{StoreError, StoreResult};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The chain that holds instance-wide events (accounts, operators), which belong to no clinic.
pub const INSTANCE_CHAIN: &str = "instance";

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, as written to the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditActor {
    /// `user:<id>`, `token:<id>`, `guest`, `patient-link`, `system`.
    pub id: String,
    /// Who that was, as shown to people: "Sara Karimi (receptionist)".
    pub label: String,
}

impl AuditActor {
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Self {
        Self { id: id.into(), label: label.into() }
    }
    pub fn system() -> Self {
        Self::new("system", "Nobat")
    }
    /// A patient who booked without an account. Never their name: the trail outlives erasure.
    pub fn guest() -> Self {
        Self::new("guest", "guest")
    }
}

/// What a command says happened, for the trail: an action on an entity, with the state before
/// and after (each serialised as JSON) and a note. Built with
/// `Audit::new("cancel", "appointment", &id).before(&old).after(&new).note(reason)` and queued
/// with [`crate::tx::WriteTx::audit`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Audit<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub note: Option<&'a str>,
}

impl<'a> Audit<'a> {
    pub fn new(action: &'a str, entity: &'a str, entity_id: &'a str) -> Self {
        Self { action, entity, entity_id, ..Self::default() }
    }
    /// The state before the change.
    pub fn before(self, v: &impl Serialize) -> Self {
        self.before_opt(Some(v))
    }
    /// The state before the change, if there was one.
    pub fn before_opt(mut self, v: Option<&impl Serialize>) -> Self {
        self.before = v.and_then(|v| serde_json::to_value(v).ok());
        self
    }
    /// The state after the change.
    pub fn after(self, v: &impl Serialize) -> Self {
        self.after_opt(Some(v))
    }
    /// The state after the change, if there is one.
    pub fn after_opt(mut self, v: Option<&impl Serialize>) -> Self {
        self.after = v.and_then(|v| serde_json::to_value(v).ok());
        self
    }
    pub fn note(mut self, note: Option<&'a str>) -> Self {
        self.note = note;
        self
    }

    /// The person the entry concerns (for the patient's access log and for erasure): the
    /// entity itself for a patient or a user account, else the `patient` field of the state
    /// after or before.
    pub fn subject(&self) -> Option<String> {
        if self.entity == "patient" || self.entity == "user" {
            return Some(self.entity_id.to_owned());
        }
        [&self.after, &self.before]
            .into_iter()
            .flatten()
            .find_map(|v| v.get("patient").and_then(|p| p.as_str()).map(str::to_owned))
    }
}

/// An entry queued by a command, sealed into the chain at commit.
#[derive(Debug, Clone)]
pub(crate) struct PendingAudit {
    pub chain: String,
    pub id: String,
    pub at_us: i64,
    pub actor: AuditActor,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub subject: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub note: Option<String>,
}

/// One sealed row, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub chain: String,
    pub seq: i64,
    pub id: String,
    pub at_us: i64,
    pub actor: String,
    pub actor_label: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub subject: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub note: Option<String>,
    pub redacted: bool,
}

/// Filters for reading a clinic's trail; combined with AND. Newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    /// Continue with rows older than this seq.
    pub before_seq: Option<i64>,
    pub limit: u32,
}

fn field(h: &mut Sha256, v: Option<&str>) {
    match v {
        None => h.update([0xff]),
        Some(s) => {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
}

fn body_hash(before: Option<&str>, after: Option<&str>, note: Option<&str>) -> String {
    let mut h = Sha256::new();
    field(&mut h, before);
    field(&mut h, after);
    field(&mut h, note);
    hex::encode(h.finalize())
}

#[allow(clippy::too_many_arguments)]
fn row_hash(
    prev: &str,
    chain: &str,
    seq: i64,
    id: &str,
    at_us: i64,
    actor: &str,
    actor_label: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    subject: Option<&str>,
    body: &str,
) -> String {
    let mut h = Sha256::new();
    for f in [prev, chain, &seq.to_string(), id, &at_us.to_string(), actor, actor_label, action, entity, entity_id] {
        field(&mut h, Some(f));
    }
    field(&mut h, subject);
    field(&mut h, Some(body));
    hex::encode(h.finalize())
}

/// Seals the queued entries into their chains. Runs inside the write transaction, after every
/// command of the batch and just before COMMIT.
pub(crate) async fn seal(
    conn: &mut Conn,
    entries: Vec<PendingAudit>,
    redactions: &[(String, String)],
    now_us: i64,
) -> StoreResult<()> {
    seal_entries(conn, entries).await?;
    // Erasures in this batch: blank what was just written about them too (the chain covers
    // each body's digest, so it still verifies).
    for (chain, subject) in redactions {
        redact_subject(conn, chain, subject, now_us).await?;
    }
    Ok(())
}

async fn seal_entries(conn: &mut Conn, entries: Vec<PendingAudit>) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // One chain at a time, in a fixed order, so two processes lock heads in the same order.
    let mut chains: BTreeMap<String, Vec<PendingAudit>> = BTreeMap::new();
    for e in entries {
        chains.entry(e.chain.clone()).or_default().push(e);
    }
    for (chain, entries) in chains {
        // Creates the head on first use and locks it (the no-op update takes the row lock on
        // PostgreSQL; SQLite has one writer).
        let head = db::query(
            "INSERT INTO audit_heads (clinic_id, seq, hash) VALUES ($1, 0, $2) \
             ON CONFLICT (clinic_id) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash",
        )
        .bind(&chain)
        .bind(GENESIS)
        .fetch_one(conn)
        .await?;
        let mut seq = head.int("seq")?;
        let mut prev = head.text("hash")?;
        for chunk in entries.chunks(40) {
            let mut sql = String::from(
                "INSERT INTO audit_events (clinic_id, seq, id, at_us, actor, actor_label, action, entity, entity_id, \
                 subject, before, after, note, body_hash, prev_hash, hash) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 16);
            for (i, e) in chunk.iter().enumerate() {
                seq += 1;
                let body = body_hash(e.before.as_deref(), e.after.as_deref(), e.note.as_deref());
                let hash = row_hash(
                    &prev,
                    &chain,
                    seq,
                    &e.id,
                    e.at_us,
                    &e.actor.id,
                    &e.actor.label,
                    &e.action,
                    &e.entity,
                    &e.entity_id,
                    e.subject.as_deref(),
                    &body,
                );
                if i > 0 {
                    sql.push_str(", ");
                }
                let n = values.len();
                sql.push('(');
                for k in 1..=16 {
                    if k > 1 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", n + k));
                }
                sql.push(')');
                values.extend([
                    Value::from(chain.as_str()),
                    Value::from(seq),
                    Value::from(e.id.as_str()),
                    Value::from(e.at_us),
                    Value::from(e.actor.id.as_str()),
                    Value::from(e.actor.label.as_str()),
                    Value::from(e.action.as_str()),
                    Value::from(e.entity.as_str()),
                    Value::from(e.entity_id.as_str()),
                    Value::from(e.subject.as_deref()),
                    Value::from(e.before.as_deref()),
                    Value::from(e.after.as_deref()),
                    Value::from(e.note.as_deref()),
                    Value::from(body.as_str()),
                    Value::from(prev.as_str()),
                    Value::from(hash.as_str()),
                ]);
                prev = hash;
            }
            let mut q = db::query(sql);
            for v in values {
                q = q.bind(v);
            }
            q.execute(conn).await?;
        }
        db::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE clinic_id = $3")
            .bind(seq)
            .bind(&prev)
            .bind(&chain)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Blanks the bodies of every entry about one patient (erasure). The chain still verifies
/// through each row's body hash; the rows say they were redacted.
pub(crate) async fn redact_subject(conn: &mut Conn, chain: &str, subject: &str, now_us: i64) -> StoreResult<u64> {
    db::query(
        "UPDATE audit_events SET before = NULL, after = NULL, note = NULL, redacted_at_us = $1 \
         WHERE clinic_id = $2 AND subject = $3 AND redacted_at_us IS NULL",
    )
    .bind(now_us)
    .bind(chain)
    .bind(subject)
    .execute(conn)
    .await
}

/// What `nobat audit verify` found in one chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub chain: String,
    pub rows: u64,
    pub redacted: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// Empty when the chain is intact; otherwise what broke first, and where.
    pub problems: Vec<String>,
}

/// Recomputes every chain from its first row and compares with the stored hashes and heads.
pub(crate) async fn verify(conn: &mut Conn) -> StoreResult<Vec<ChainReport>> {
    let mut chains: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for row in db::query("SELECT clinic_id, seq, hash FROM audit_heads").fetch_all(conn).await? {
        chains.insert(row.text("clinic_id")?, (row.int("seq")?, row.text("hash")?));
    }
    // Rows of a chain whose head was deleted are a problem too.
    for row in db::query("SELECT DISTINCT clinic_id FROM audit_events").fetch_all(conn).await? {
        chains.entry(row.text("clinic_id")?).or_insert((-1, String::new()));
    }
    let mut reports = Vec::new();
    for (chain, (head_seq, head_hash)) in chains {
        let mut report = ChainReport {
            chain: chain.clone(),
            rows: 0,
            redacted: 0,
            head_seq,
            head_hash: head_hash.clone(),
            problems: vec![],
        };
        if head_seq < 0 {
            report.problems.push("the chain's head is missing".into());
        }
        let mut expected_seq = 1;
        let mut prev = GENESIS.to_owned();
        let mut after = 0i64;
        'pages: loop {
            let rows = db::query(
                "SELECT seq, id, at_us, actor, actor_label, action, entity, entity_id, subject, before, after, note, \
                 body_hash, prev_hash, hash, redacted_at_us FROM audit_events \
                 WHERE clinic_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
            )
            .bind(&chain)
            .bind(after)
            .fetch_all(conn)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let seq = r.int("seq")?;
                after = seq;
                report.rows += 1;
                let redacted = r.opt_int("redacted_at_us")?.is_some();
                if redacted {
                    report.redacted += 1;
                }
                if seq != expected_seq {
                    report.problems.push(format!("row {expected_seq} is missing (next is {seq})"));
                    break 'pages;
                }
                let stored_body = r.text("body_hash")?;
                // Redaction blanks a body about a patient and nothing else: a "redacted" row
                // with a body, or about no one, is a forgery hiding behind the marker.
                if redacted {
                    let blank = r.opt_text("before")?.is_none()
                        && r.opt_text("after")?.is_none()
                        && r.opt_text("note")?.is_none();
                    if !blank || r.opt_text("subject")?.is_none() {
                        report
                            .problems
                            .push(format!("row {seq}: marked redacted but it has a body or concerns no patient"));
                        break 'pages;
                    }
                } else {
                    let body = body_hash(
                        r.opt_text("before")?.as_deref(),
                        r.opt_text("after")?.as_deref(),
                        r.opt_text("note")?.as_deref(),
                    );
                    if body != stored_body {
                        report.problems.push(format!("row {seq}: its before/after/note were changed"));
                        break 'pages;
                    }
                }
                if r.text("prev_hash")? != prev {
                    report.problems.push(format!("row {seq}: does not follow row {}", seq - 1));
                    break 'pages;
                }
                let hash = row_hash(
                    &prev,
                    &chain,
                    seq,
                    &r.text("id")?,
                    r.int("at_us")?,
                    &r.text("actor")?,
                    &r.text("actor_label")?,
                    &r.text("action")?,
                    &r.text("entity")?,
                    &r.text("entity_id")?,
                    r.opt_text("subject")?.as_deref(),
                    &stored_body,
                );
                if hash != r.text("hash")? {
                    report.problems.push(format!("row {seq}: its contents were changed"));
                    break 'pages;
                }
                prev = hash;
                expected_seq += 1;
            }
        }
        if report.problems.is_empty() && head_seq >= 0 && (expected_seq - 1 != head_seq || prev != head_hash) {
            report.problems.push(format!(
                "the chain ends at row {} but its head says {head_seq}: rows were removed from the end",
                expected_seq - 1
            ));
        }
        reports.push(report);
    }
    Ok(reports)
}

/// A clinic's trail (or the instance chain), newest first, filtered.
pub(crate) async fn read(conn: &mut Conn, chain: &str, f: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
    let mut sql = String::from(
        "SELECT clinic_id, seq, id, at_us, actor, actor_label, action, entity, entity_id, subject, before, after, note, \
         redacted_at_us FROM audit_events WHERE clinic_id = $1",
    );
    let mut binds: Vec<Value> = vec![Value::from(chain)];
    let mut add = |sql: &mut String, cond: &str, v: Value| {
        binds.push(v);
        sql.push_str(&format!(" AND {cond} ${}", binds.len()));
    };
    if let Some(v) = &f.entity {
        add(&mut sql, "entity =", Value::from(v.as_str()));
    }
    if let Some(v) = &f.entity_id {
        add(&mut sql, "entity_id =", Value::from(v.as_str()));
    }
    if let Some(v) = &f.actor {
        add(&mut sql, "actor =", Value::from(v.as_str()));
    }
    if let Some(v) = &f.action {
        add(&mut sql, "action =", Value::from(v.as_str()));
    }
    if let Some(v) = &f.subject {
        add(&mut sql, "subject =", Value::from(v.as_str()));
    }
    if let Some(v) = f.from_us {
        add(&mut sql, "at_us >=", Value::from(v));
    }
    if let Some(v) = f.to_us {
        add(&mut sql, "at_us <", Value::from(v));
    }
    if let Some(v) = f.before_seq {
        add(&mut sql, "seq <", Value::from(v));
    }
    sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", f.limit.clamp(1, 500)));
    let mut q = db::query(sql);
    for v in binds {
        q = q.bind(v);
    }
    let json = |s: Option<String>| -> StoreResult<Option<serde_json::Value>> {
        s.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("audit body: {e}")))).transpose()
    };
    let mut out = Vec::new();
    for r in q.fetch_all(conn).await? {
        out.push(AuditRecord {
            chain: r.text("clinic_id")?,
            seq: r.int("seq")?,
            id: r.text("id")?,
            at_us: r.int("at_us")?,
            actor: r.text("actor")?,
            actor_label: r.text("actor_label")?,
            action: r.text("action")?,
            entity: r.text("entity")?,
            entity_id: r.text("entity_id")?,
            subject: r.opt_text("subject")?,
            before: json(r.opt_text("before")?)?,
            after: json(r.opt_text("after")?)?,
            note: r.opt_text("note")?,
            redacted: r.opt_int("redacted_at_us")?.is_some(),
        });
    }
    Ok(out)
}
