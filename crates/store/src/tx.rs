//! The write transaction a command runs in, and what it may do besides its own rows: record
//! audit entries and outbox events, both committed with the change.

use crate::audit::{Audit, AuditActor, PendingAudit};
use crate::db::Conn;
use crate::error::StoreResult;
use jiff::Timestamp;
use nobat_core::ClinicId;
use uuid::Uuid;

pub use crate::events::Event;
use crate::events::{EventKind, PendingEvent, Subjects};

/// The open write transaction, handed to one command at a time by the writer.
pub struct WriteTx<'c> {
    pub(crate) conn: &'c mut Conn,
    pub(crate) engine: crate::Engine,
    pub(crate) cache: &'c mut crate::cache::CalendarCache,
    /// The instant the batch started: one clock reading for the whole transaction.
    pub(crate) now: Timestamp,
    /// Events of this command, numbered and written just before COMMIT ([`crate::events::seal`]).
    pub(crate) events: Vec<PendingEvent>,
    /// Audit entries of this command, sealed into their chains just before COMMIT.
    pub(crate) audits: Vec<PendingAudit>,
    /// (chain, subject) whose entries erasure blanks; applied again after sealing, so entries
    /// queued earlier in the same batch are blanked too.
    pub(crate) redactions: Vec<(String, String)>,
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

    /// Records that `kind` happened to `subjects` in `clinic`: on commit it gets the clinic's
    /// next seq, is stored in `events` and broadcast (in process and to other processes); each
    /// consumer whose filter takes `kind` makes its delivery from the log when it next claims,
    /// with the subjects as the message. Nothing is written before the seal, so a command that
    /// fails later leaves no trace. Subjects hold ids only: never put a secret or a contact in them.
    pub(crate) async fn emit(&mut self, clinic: ClinicId, kind: EventKind, subjects: Subjects) -> StoreResult<()> {
        self.push_event(clinic, kind, subjects, None);
        Ok(())
    }

    /// [`Self::emit`], with `message` (which may hold what only a consumer may see, such as
    /// a verification code and the address it goes to) as the outbox payload instead of the
    /// subjects. The message is never broadcast, notified or returned by `events_since`.
    pub(crate) async fn emit_with_message(
        &mut self,
        clinic: ClinicId,
        kind: EventKind,
        subjects: Subjects,
        message: serde_json::Value,
    ) -> StoreResult<()> {
        self.push_event(clinic, kind, subjects, Some(message));
        Ok(())
    }

    fn push_event(
        &mut self,
        clinic: ClinicId,
        kind: EventKind,
        subjects: Subjects,
        message: Option<serde_json::Value>,
    ) {
        let event = Event { clinic, seq: 0, kind, subjects, at: self.now };
        self.events.push(PendingEvent { event, message });
    }

    /// Queues one audit entry on the clinic's chain, sealed just before COMMIT.
    pub(crate) fn audit(&mut self, clinic: ClinicId, actor: &AuditActor, entry: Audit<'_>) {
        self.audit_in(&clinic.to_string(), actor, entry);
    }

    /// [`Self::audit`] on any chain, e.g. [`crate::audit::INSTANCE_CHAIN`] for accounts.
    pub(crate) fn audit_in(&mut self, chain: &str, actor: &AuditActor, entry: Audit<'_>) {
        let subject = entry.subject();
        self.audits.push(PendingAudit {
            chain: chain.to_owned(),
            id: Uuid::now_v7().to_string(),
            at_us: self.now.as_microsecond(),
            actor: actor.clone(),
            action: entry.action.to_owned(),
            entity: entry.entity.to_owned(),
            entity_id: entry.entity_id.to_owned(),
            subject,
            before: entry.before.map(|v| v.to_string()),
            after: entry.after.map(|v| v.to_string()),
            note: entry.note.map(str::to_owned),
        });
    }
}
