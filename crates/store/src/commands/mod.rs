//! Every state change is a [`Command`]: plain data, applied by the writer inside a savepoint of
//! a batched transaction. Being data (not closures) a command can be retried after a
//! serialization failure, logged, and sorted so concurrent batches lock in the same order.

mod accounts;
mod booking;
mod catalog;
mod changes;
mod holds;
mod idempotency;
pub(crate) mod outbox;
mod privacy;
mod schedule;
mod slot_lock;

pub use accounts::{MemberChange, NewUser, TotpChange, lockout};
pub use booking::BookRequest;
pub use catalog::NewClinic;
pub use changes::{CancelRequest, RescheduleRequest, StatusRequest};
pub use holds::HoldRequest;
pub use idempotency::Idempotency;
pub use outbox::{CONSUMERS, Consumer, OutboxItem, RETENTION as EVENT_RETENTION, backoff};
pub use privacy::{MAX_CODE_ATTEMPTS, RecordAccess};
pub use schedule::NewException;

use crate::audit::AuditActor;
use crate::error::StoreResult;
use crate::identity::{ApiToken, ClinicSecurity, Consent, Session, User, Verification};
use crate::model::{Appointment, Clinic, Hold, Location, Practitioner};
use crate::tx::WriteTx;
use nobat_core::{
    ClinicId, ConsentId, Exception, ExceptionId, HoldId, PatientId, RuleId, Service, TokenId, UserId, VerificationId,
    WeeklyRule,
};

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
    CreateUser(NewUser),
    SetPassword {
        user: UserId,
        hash: String,
        actor: AuditActor,
    },
    /// Erases an account and the patient records linked to it (the holder's request).
    EraseAccount {
        user: UserId,
        actor: AuditActor,
    },
    /// Adds, changes or (role `None`) removes a clinic membership.
    ChangeMember(MemberChange),
    /// A successful sign-in: the session, and the failed-login count reset.
    CreateSession(Session, Box<User>),
    EndSession(String),
    TouchSession {
        id_hash: String,
        expires_at: jiff::Timestamp,
    },
    LoginFailed(UserId),
    ChangeTotp(UserId, TotpChange),
    CreateToken(ApiToken, AuditActor),
    RevokeToken {
        clinic: ClinicId,
        id: TokenId,
        only_of: Option<UserId>,
        actor: AuditActor,
    },
    TouchToken(ClinicId, TokenId),
    SetSecurity(ClinicId, ClinicSecurity, AuditActor),
    /// A one-time code for a guest; the code itself goes only into the outbox message that
    /// delivers it.
    CreateVerification {
        verification: Verification,
        code: String,
        channel: &'static str,
        language: String,
    },
    ConfirmVerification {
        clinic: ClinicId,
        id: VerificationId,
        code_hash: String,
    },
    RecordConsent(Consent, AuditActor),
    WithdrawConsent {
        clinic: ClinicId,
        patient: PatientId,
        id: ConsentId,
        actor: AuditActor,
    },
    RecordAccess(RecordAccess),
    ErasePatient {
        clinic: ClinicId,
        patient: PatientId,
        actor: AuditActor,
        reason: String,
    },
    /// Applies clinics' retention periods and drops expired sessions and codes (background).
    RetentionSweep,
    /// Deletes every expired hold (background job).
    ExpireHolds,
    /// Leases up to `limit` of `consumer`'s pending outbox deliveries for `lease` (see
    /// [`CONSUMERS`]); at most one at a time per appointment.
    ClaimOutbox {
        consumer: String,
        limit: u32,
        lease: jiff::SignedDuration,
    },
    /// Marks claimed outbox rows done (those whose lease is still the claimer's).
    CompleteOutbox(Vec<OutboxItem>),
    /// Gives a claimed row back with the error met, to be tried again after `after` (default:
    /// [`backoff`]), or dead-lettered when it has no attempt left; only its lease holder may.
    RetryOutbox {
        item: OutboxItem,
        after: Option<jiff::SignedDuration>,
        error: String,
    },
    /// Retention of the event log and the outbox: deletes up to `batch` rows of each kind
    /// (finished deliveries, messages nobody waits for, events) older than `keep`, and
    /// dead-letters deliveries too old to send. Run again until it returns 0.
    PruneEvents {
        keep: jiff::SignedDuration,
        batch: u32,
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
    Hold {
        hold: Hold,
        replayed: bool,
    },
    Appointment {
        appointment: Appointment,
        replayed: bool,
    },
    Outbox(Vec<OutboxItem>),
    User(Box<User>),
    /// The contact key a code confirmed, or `None` for a wrong code.
    Verified(Option<String>),
    Consent(Consent),
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
            Command::CreateUser(_) => "create_user",
            Command::SetPassword { .. } => "set_password",
            Command::EraseAccount { .. } => "erase_account",
            Command::ChangeMember(_) => "change_member",
            Command::CreateSession(..) => "create_session",
            Command::EndSession(_) => "end_session",
            Command::TouchSession { .. } => "touch_session",
            Command::LoginFailed(_) => "login_failed",
            Command::ChangeTotp(..) => "change_totp",
            Command::CreateToken(..) => "create_token",
            Command::RevokeToken { .. } => "revoke_token",
            Command::TouchToken(..) => "touch_token",
            Command::SetSecurity(..) => "set_security",
            Command::CreateVerification { .. } => "create_verification",
            Command::ConfirmVerification { .. } => "confirm_verification",
            Command::RecordConsent(..) => "record_consent",
            Command::WithdrawConsent { .. } => "withdraw_consent",
            Command::RecordAccess(_) => "record_access",
            Command::ErasePatient { .. } => "erase_patient",
            Command::RetentionSweep => "retention_sweep",
            Command::ExpireHolds => "expire_holds",
            Command::ClaimOutbox { .. } => "claim_outbox",
            Command::CompleteOutbox(_) => "complete_outbox",
            Command::RetryOutbox { .. } => "retry_outbox",
            Command::PruneEvents { .. } => "prune_events",
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
        Command::Hold(r) => holds::hold(tx, r).await,
        Command::ReleaseHold(clinic, id) => holds::release_hold(tx, *clinic, *id).await,
        Command::Book(r) => booking::book(tx, r).await,
        Command::Cancel(r) => changes::cancel(tx, r).await,
        Command::Reschedule(r) => changes::reschedule(tx, r).await,
        Command::SetStatus(r) => changes::set_status(tx, r).await,
        Command::CreateUser(n) => accounts::create_user(tx, n).await,
        Command::SetPassword { user, hash, actor } => accounts::set_password(tx, *user, hash, actor).await,
        Command::EraseAccount { user, actor } => accounts::erase_account(tx, *user, actor).await,
        Command::ChangeMember(m) => accounts::change_member(tx, m).await,
        Command::CreateSession(s, user) => accounts::create_session(tx, s, user).await,
        Command::EndSession(id_hash) => accounts::end_session(tx, id_hash).await,
        Command::TouchSession { id_hash, expires_at } => accounts::touch_session(tx, id_hash, *expires_at).await,
        Command::LoginFailed(user) => accounts::login_failed(tx, *user).await,
        Command::ChangeTotp(user, change) => accounts::change_totp(tx, *user, change).await,
        Command::CreateToken(t, actor) => accounts::create_token(tx, t, actor).await,
        Command::RevokeToken { clinic, id, only_of, actor } => {
            accounts::revoke_token(tx, *clinic, *id, *only_of, actor).await
        }
        Command::TouchToken(clinic, id) => accounts::touch_token(tx, *clinic, *id).await,
        Command::SetSecurity(clinic, s, actor) => accounts::set_security(tx, *clinic, s, actor).await,
        Command::CreateVerification { verification, code, channel, language } => {
            privacy::create_verification(tx, verification, code, channel, language).await
        }
        Command::ConfirmVerification { clinic, id, code_hash } => {
            privacy::confirm_verification(tx, *clinic, *id, code_hash).await
        }
        Command::RecordConsent(c, actor) => privacy::record_consent(tx, c, actor).await,
        Command::WithdrawConsent { clinic, patient, id, actor } => {
            privacy::withdraw_consent(tx, *clinic, *patient, *id, actor).await
        }
        Command::RecordAccess(r) => privacy::record_access(tx, r).await,
        Command::ErasePatient { clinic, patient, actor, reason } => {
            privacy::erase_patient(tx, *clinic, *patient, actor, reason).await
        }
        Command::RetentionSweep => privacy::retention_sweep(tx).await,
        Command::ExpireHolds => holds::expire_holds(tx).await,
        Command::ClaimOutbox { consumer, limit, lease } => outbox::claim(tx, consumer, *limit, *lease).await,
        Command::CompleteOutbox(items) => outbox::complete(tx, items).await,
        Command::RetryOutbox { item, after, error } => outbox::retry_later(tx, item, *after, error).await,
        Command::PruneEvents { keep, batch } => outbox::prune(tx, *keep, *batch).await,
    }
}
