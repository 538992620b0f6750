//! Every state change is a [`Command`]: plain data, applied by the writer inside a savepoint of
//! a batched transaction. Being data (not closures) a command can be retried after a
//! serialization failure, logged, and sorted so concurrent batches lock in the same order.

mod booking;
mod catalog;
mod idempotency;
mod outbox;
mod schedule;

pub use booking::{BookRequest, CancelRequest, HoldRequest, RescheduleRequest, StatusRequest};
pub use catalog::NewClinic;
pub use idempotency::Idempotency;
pub use outbox::OutboxItem;
pub use schedule::NewException;

use crate::error::StoreResult;
use crate::model::{Appointment, Clinic, Hold, Location, Practitioner};
use crate::tx::{AuditActor, WriteTx};
use nobat_core::{ClinicId, Exception, ExceptionId, HoldId, RuleId, Service, WeeklyRule};

/// A state change, applied atomically by the writer.
#[derive(Debug, Clone)]
pub enum Command {
    CreateClinic(NewClinic),
    UpdateClinic(Clinic, AuditActor),
    CreateLocation(Location, AuditActor),
    UpdateLocation(Location, AuditActor),
    CreatePractitioner(Practitioner, AuditActor),
    UpdatePractitioner(Practitioner, AuditActor),
    CreateService(Service, AuditActor),
    UpdateService(Service, AuditActor),
    CreateRule(ClinicId, WeeklyRule, AuditActor),
    DeleteRule(ClinicId, RuleId, AuditActor),
    CreateException(NewException),
    DeleteException(ClinicId, ExceptionId, AuditActor),
    Hold(HoldRequest),
    ReleaseHold(ClinicId, HoldId),
    Book(BookRequest),
    Cancel(CancelRequest),
    Reschedule(RescheduleRequest),
    SetStatus(StatusRequest),
    /// Deletes every expired hold (background job).
    ExpireHolds,
    /// Leases up to `limit` pending outbox rows for `lease`.
    ClaimOutbox {
        limit: u32,
        lease: jiff::SignedDuration,
    },
    /// Marks claimed outbox rows done (those whose lease is still the claimer's).
    CompleteOutbox(Vec<OutboxItem>),
    /// Gives a claimed row back, to be tried again after a pause; only its lease holder may.
    RetryOutbox {
        item: OutboxItem,
        after: jiff::SignedDuration,
    },
}

/// What a command produced. `replayed` is true when an Idempotency-Key matched an earlier
/// request and the stored answer is returned instead of acting again.
#[derive(Debug, Clone)]
pub enum Output {
    Clinic(Clinic),
    Location(Location),
    Practitioner(Practitioner),
    Service(Service),
    Rule(WeeklyRule),
    Exception(Exception),
    Hold { hold: Hold, replayed: bool },
    Appointment { appointment: Appointment, replayed: bool },
    Outbox(Vec<OutboxItem>),
    Done,
    Count(u64),
}

impl Command {
    /// The lock this command will take first, if any. The writer applies a batch in this
    /// order, so two processes' batches take row locks in the same order and do not deadlock.
    pub(crate) fn lock_key(&self) -> String {
        match self {
            Command::Hold(r) => r.practitioner.to_string(),
            Command::Book(r) => r.practitioner.to_string(),
            Command::Reschedule(r) => r.practitioner.map(|p| p.to_string()).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// A short name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Command::CreateClinic(_) => "create_clinic",
            Command::UpdateClinic(..) => "update_clinic",
            Command::CreateLocation(..) => "create_location",
            Command::UpdateLocation(..) => "update_location",
            Command::CreatePractitioner(..) => "create_practitioner",
            Command::UpdatePractitioner(..) => "update_practitioner",
            Command::CreateService(..) => "create_service",
            Command::UpdateService(..) => "update_service",
            Command::CreateRule(..) => "create_rule",
            Command::DeleteRule(..) => "delete_rule",
            Command::CreateException(_) => "create_exception",
            Command::DeleteException(..) => "delete_exception",
            Command::Hold(_) => "hold",
            Command::ReleaseHold(..) => "release_hold",
            Command::Book(_) => "book",
            Command::Cancel(_) => "cancel",
            Command::Reschedule(_) => "reschedule",
            Command::SetStatus(_) => "set_status",
            Command::ExpireHolds => "expire_holds",
            Command::ClaimOutbox { .. } => "claim_outbox",
            Command::CompleteOutbox(_) => "complete_outbox",
            Command::RetryOutbox { .. } => "retry_outbox",
        }
    }
}

/// Applies one command inside the open transaction.
pub(crate) async fn apply(tx: &mut WriteTx<'_>, cmd: &Command) -> StoreResult<Output> {
    match cmd {
        Command::CreateClinic(c) => catalog::create_clinic(tx, c).await,
        Command::UpdateClinic(c, actor) => catalog::update_clinic(tx, c, actor).await,
        Command::CreateLocation(l, actor) => catalog::create_location(tx, l, actor).await,
        Command::UpdateLocation(l, actor) => catalog::update_location(tx, l, actor).await,
        Command::CreatePractitioner(p, actor) => catalog::create_practitioner(tx, p, actor).await,
        Command::UpdatePractitioner(p, actor) => catalog::update_practitioner(tx, p, actor).await,
        Command::CreateService(s, actor) => catalog::create_service(tx, s, actor).await,
        Command::UpdateService(s, actor) => catalog::update_service(tx, s, actor).await,
        Command::CreateRule(clinic, r, actor) => schedule::create_rule(tx, *clinic, r, actor).await,
        Command::DeleteRule(clinic, id, actor) => schedule::delete_rule(tx, *clinic, *id, actor).await,
        Command::CreateException(e) => schedule::create_exception(tx, e).await,
        Command::DeleteException(clinic, id, actor) => schedule::delete_exception(tx, *clinic, *id, actor).await,
        Command::Hold(r) => booking::hold(tx, r).await,
        Command::ReleaseHold(clinic, id) => booking::release_hold(tx, *clinic, *id).await,
        Command::Book(r) => booking::book(tx, r).await,
        Command::Cancel(r) => booking::cancel(tx, r).await,
        Command::Reschedule(r) => booking::reschedule(tx, r).await,
        Command::SetStatus(r) => booking::set_status(tx, r).await,
        Command::ExpireHolds => booking::expire_holds(tx).await,
        Command::ClaimOutbox { limit, lease } => outbox::claim(tx, *limit, *lease).await,
        Command::CompleteOutbox(items) => outbox::complete(tx, items).await,
        Command::RetryOutbox { item, after } => outbox::retry_later(tx, item, *after).await,
    }
}
