//! The write transaction a command runs in, and what it may do besides its own rows: record
//! an audit event and an outbox event, both committed with the change.

use crate::db::Conn;
use crate::error::StoreResult;
use jiff::Timestamp;
use nobat_core::ClinicId;
use serde::Serialize;
use uuid::Uuid;

/// A committed change, published in commit order to in-process listeners (live streams, the
/// watch matcher, caches) after the transaction that wrote it commits.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Event {
    pub clinic: ClinicId,
    /// E.g. `appointment.booked`, `appointment.cancelled`, `hold.expired`.
    pub topic: String,
    pub payload: serde_json::Value,
}

/// Who made a change, as written to the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditActor(pub String);

impl AuditActor {
    pub fn system() -> Self {
        Self("system".into())
    }
}

/// The open write transaction, handed to one command at a time by the writer.
pub struct WriteTx<'c> {
    pub(crate) conn: &'c mut Conn,
    pub(crate) engine: crate::Engine,
    pub(crate) cache: &'c mut crate::cache::CalendarCache,
    /// The instant the batch started: one clock reading for the whole transaction.
    pub(crate) now: Timestamp,
    pub(crate) events: Vec<Event>,
}

impl WriteTx<'_> {
    /// `FOR UPDATE SKIP LOCKED` where the engine has it: on PostgreSQL, several processes
    /// claiming work skip each other's rows instead of queueing on them. SQLite has one writer
    /// and no such clause.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.engine {
            crate::Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::Engine::Sqlite => "",
        }
    }

    /// Writes an outbox row and queues the event for publication after commit.
    pub(crate) async fn emit(
        &mut self,
        clinic: ClinicId,
        topic: &'static str,
        payload: serde_json::Value,
    ) -> StoreResult<()> {
        let now = self.now.as_microsecond();
        crate::db::query(
            "INSERT INTO outbox (clinic_id, id, topic, payload, created_at_us, available_at_us, attempts) \
             VALUES ($1, $2, $3, $4, $5, $5, 0)",
        )
        .bind(clinic.to_string())
        .bind(Uuid::now_v7().to_string())
        .bind(topic)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut *self.conn)
        .await?;
        self.events.push(Event { clinic, topic: topic.to_owned(), payload });
        Ok(())
    }

    /// Writes one audit row: who did what to which entity, with the state before and after.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &mut self,
        clinic: ClinicId,
        actor: &AuditActor,
        action: &str,
        entity: &str,
        entity_id: &str,
        before: Option<&impl Serialize>,
        after: Option<&impl Serialize>,
        note: Option<&str>,
    ) -> StoreResult<()> {
        crate::db::query(
            "INSERT INTO audit_events (clinic_id, id, at_us, actor, action, entity, entity_id, before, after, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(clinic.to_string())
        .bind(Uuid::now_v7().to_string())
        .bind(self.now.as_microsecond())
        .bind(&actor.0)
        .bind(action)
        .bind(entity)
        .bind(entity_id)
        .bind(to_json(before))
        .bind(to_json(after))
        .bind(note)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }
}

fn to_json<T: Serialize>(v: Option<&T>) -> Option<String> {
    v.and_then(|v| serde_json::to_string(v).ok())
}
