//! Every state change is a [`Command`]: plain data, applied by the writer inside a savepoint of
//! a batched transaction. Being data (not closures) a command can be retried after a
//! serialization failure, logged, and sorted so concurrent batches lock in the same order.

mod accounts;
mod booking;
mod calendar_feeds;
mod catalog;
mod catalog_updates;
mod changes;
mod channels;
pub mod clinical;
mod holds;
mod idempotency;
pub mod intake;
mod jobs;
pub mod merge;
mod message_templates;
mod messages;
mod messages_ops;
pub(crate) mod outbox;
pub mod patients;
mod privacy;
mod queue;
mod queue_day;
mod queue_issue;
mod queue_join;
mod queue_tickets;
mod reminders;
mod schedule;
mod secure_messages;
mod slot_lock;
mod sources;
mod telegram;
mod telegram_staff;
mod transfer;
mod watch_match;
mod watches;

pub use accounts::{
    ACCOUNT_CEILING, ACCOUNT_WIDE, Invitee, MemberChange, NewUser, TotpChange, account_lockout, lockout,
};
pub use booking::BookRequest;
pub use calendar_feeds::FeedCommand;
pub use catalog::NewClinic;
pub use catalog_updates::{ClinicPatch, LocationPatch, PractitionerPatch};
pub use changes::{CancelRequest, RescheduleRequest, StatusRequest};
pub use channels::{ChannelCommand, MAX_WEBHOOKS, NewWebhook};
pub use holds::HoldRequest;
pub use idempotency::Idempotency;
pub use intake::{IntakeOp, IntakeOutput, NewAnswers, NewMessage as NewSecureMessage};
pub use jobs::{ClaimedJob, HOLD_EXPIRE, INSTANCE, IfScheduled, NewJob, PROBE, RETENTION, RETENTION_KEY};
pub use message_templates::{ReminderChange, ServiceReminderChange, TemplateChange};
pub use messages::{Attempt, ClaimedMessage, DEFAULT_SMS_BUDGET, INSTANCE as INSTANCE_CLINIC, NewMessage};
pub use messages_ops::MessageCommand;
pub use outbox::{CONSUMERS, Consumer, OutboxItem, RETENTION as EVENT_RETENTION, backoff};
pub use privacy::{MAX_CODE_ATTEMPTS, RecordAccess};
pub use queue::{DEBOUNCE, QUEUE_CLOSE, QUEUE_GRACE, QueueOp, QueueRequest};
pub use reminders::REMINDER;
pub use schedule::NewException;
pub use secure_messages::MAX_BODY as MAX_SECURE_MESSAGE;
pub use sources::{ClaimedSource, FetchedFile, ImportedSlot, PollOutcome, SOURCES_CLINIC, SourceCommand, SourceWatch};
pub use telegram::{TelegramOp, TelegramOutput};
pub use telegram_staff::{LINK_TTL as TELEGRAM_LINK_TTL, TelegramStaffOp, TelegramStaffOutput};
pub use transfer::{ImportBatch, ImportData, ImportOutcome, ImportRow};
pub use watch_match::SWEEP_DAYS as WATCH_SWEEP_DAYS;
pub use watches::{NewWatch, WATCH_EXPIRE, WatchOp};

use crate::audit::AuditActor;
use crate::error::StoreResult;
use crate::identity::{ApiToken, ClinicSecurity, Consent, Invitation, LoginKey, Session, User, Verification};
use crate::model::{Appointment, Clinic, Hold, Location, Practitioner};
use crate::tx::WriteTx;
use nobat_core::{
    ClinicId, ConsentId, Exception, ExceptionId, HoldId, LocationId, PatientId, PractitionerId, RuleId, Service,
    ServiceId, ServicePatch, TokenId, UserId, VerificationId, WeeklyRule,
};

/// A state change, applied atomically by the writer.
#[derive(Debug, Clone)]
pub enum Command {
    CreateClinic(NewClinic),
    /// Patches apply only the fields given, to the row as read inside the transaction.
    UpdateClinic(ClinicId, ClinicPatch, AuditActor),
    CreateLocation(Location, AuditActor),
    UpdateLocation(ClinicId, LocationId, LocationPatch, AuditActor),
    CreatePractitioner(Practitioner, AuditActor),
    UpdatePractitioner(ClinicId, PractitionerId, PractitionerPatch, AuditActor),
    CreateService(Service, AuditActor),
    UpdateService(ClinicId, ServiceId, ServicePatch, AuditActor),
    CreateRule(ClinicId, WeeklyRule, AuditActor),
    DeleteRule(ClinicId, RuleId, AuditActor),
    CreateException(NewException),
    DeleteException(ClinicId, ExceptionId, AuditActor),
    Hold(HoldRequest),
    /// Gives a hold back; only its owner, or staff (`claim.staff`), may.
    ReleaseHold {
        clinic: ClinicId,
        id: HoldId,
        claim: nobat_core::hold::HoldClaim,
    },
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
    /// Invites someone to work for a clinic; `token` goes only into the outbox message.
    Invite {
        invitation: Invitation,
        token: String,
        actor: AuditActor,
    },
    /// The invitee accepts: the membership is made and the invitation spent.
    AcceptInvitation {
        token_hash: String,
        invitee: Invitee,
    },
    /// Adds, changes or (role `None`) removes a clinic membership.
    ChangeMember(MemberChange),
    /// A successful sign-in: the session, and the failed-login counts of the network it came
    /// from (and the account-wide one) reset.
    CreateSession(Session, Box<User>, Option<LoginKey>),
    EndSession(String),
    TouchSession {
        id_hash: String,
        expires_at: jiff::Timestamp,
    },
    /// A failed sign-in (or wrong password on an account page); `user` when the account exists.
    LoginFailed {
        key: LoginKey,
        user: Option<UserId>,
    },
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
    /// Schedules a durable timer (idempotent by clinic, kind and key).
    ScheduleJob(NewJob),
    /// Unschedules one (nothing if it is not scheduled).
    CancelJob {
        clinic: Option<ClinicId>,
        kind: String,
        key: String,
    },
    /// Leases up to `limit` due jobs for `lease`.
    ClaimDueJobs {
        limit: u32,
        lease: jiff::SignedDuration,
    },
    /// Runs a claimed job's handler and finishes the job, in one transaction, if the lease is
    /// still the claimer's (else `StoreError::LeaseLost` and nothing changes).
    RunJob(ClaimedJob),
    /// Finishes a claimed job whose work was done outside the database.
    CompleteJob(ClaimedJob),
    /// Gives a claimed job back after a failure: retried later, or dead after too many tries.
    FailJob {
        job: ClaimedJob,
        error: String,
    },
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
    /// A clinic's wording of a message template (set, or `text: None` to revert).
    SetMessageTemplate(TemplateChange),
    SetReminderSettings(ReminderChange),
    SetServiceReminders(ServiceReminderChange),
    /// Writes the messages planned from a claimed `dispatcher` outbox delivery and completes
    /// the delivery, together (a source planned before is skipped).
    PlanMessages {
        delivery: OutboxItem,
        messages: Vec<NewMessage>,
    },
    /// Leases up to `limit` due messages for `lease`.
    ClaimMessages {
        limit: u32,
        lease: jiff::SignedDuration,
    },
    /// Records one attempt's outcome (only the lease holder may); a dead message alerts the
    /// clinic's admins.
    RecordMessage {
        message: ClaimedMessage,
        attempt: Attempt,
    },
    /// A background worker keeps failing: durable alerts to the instance's operators (once
    /// per worker per hour).
    AlertOperators {
        worker: String,
    },
    /// A clinic's channel credentials and webhook endpoints (`channels.rs`).
    Channels(ChannelCommand),
    /// The day-of queue: open a queue, issue, call and move tickets, close the day.
    Queue(QueueRequest),
    /// Corrects a patient's name, phone, email or language (staff at the desk).
    UpdatePatient {
        clinic: ClinicId,
        patient: PatientId,
        patch: patients::PatientPatch,
        actor: AuditActor,
    },
    /// One batch of a CSV import: rows added, found already imported, or refused by line.
    Import(ImportBatch),
    /// A CSV export was handed to someone: written to the audit trail (what, which dates,
    /// how many bytes), since patients' personal data left the system.
    RecordExport {
        clinic: ClinicId,
        what: String,
        bytes: u64,
        actor: AuditActor,
    },
    /// The sending mark, a clinic's SMS budget (`messages_ops.rs`).
    Messages(MessageCommand),
    /// Other publishers' slots (issue 13): register, lease, record a poll.
    Sources(SourceCommand),
    /// Watches: create, stop, settings, accept an offer, match freed time (`watches.rs`).
    Watch(WatchOp),
    /// Private iCalendar feeds: create, revoke (`calendar_feeds.rs`).
    CalendarFeeds(FeedCommand),
    /// Telegram bots: polling lease, offset, conversations, taken updates (`telegram.rs`).
    Telegram(TelegramOp),
    /// Staff on Telegram: link tokens, linked chats, alerts (`telegram_staff.rs`).
    TelegramStaff(TelegramStaffOp),
    /// Several records looked at together (a FHIR Patient search's page): one audit entry per
    /// patient, in one transaction.
    RecordAccesses(Vec<RecordAccess>),
    /// Re-seal up to `batch` values sealed under an older data key (`sealed_columns.rs`).
    Reseal {
        keys: std::sync::Arc<crate::at_rest::DataKeys>,
        batch: u32,
    },
    /// Visit notes, note templates, merges of patient records (`clinical.rs`).
    Clinical(clinical::ClinicalOp),
    /// Intake forms and secure messages (`intake.rs`, `secure_messages.rs`).
    Intake(IntakeOp),
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
    Jobs(Vec<ClaimedJob>),
    User(Box<User>),
    /// The contact key a code confirmed, or `None` for a wrong code.
    Verified(Option<String>),
    Consent(Consent),
    Done,
    Count(u64),
    Messages(Vec<ClaimedMessage>),
    Queue(Box<crate::queues::Queue>),
    Ticket(Box<crate::queues::Ticket>),
    Patient(crate::model::Patient),
    Imported(ImportOutcome),
    JoinLink(crate::queues::JoinLink),
    SourceId(String),
    SourceClaim(Option<ClaimedSource>),
    Watch(Box<crate::watches::Watch>),
    Telegram(TelegramOutput),
    TelegramStaff(TelegramStaffOutput),
    Clinical(Box<clinical::ClinicalOutput>),
    Intake(IntakeOutput),
}

impl Command {
    /// The lock this command will take first, if any. The writer applies a batch in this
    /// order, so two processes' batches take row locks in the same order and do not deadlock.
    pub(crate) fn lock_key(&self) -> String {
        match self {
            Command::Hold(r) => r.practitioner.to_string(),
            Command::Book(r) => r.practitioner.to_string(),
            Command::Reschedule(r) => r.practitioner.map(|p| p.to_string()).unwrap_or_default(),
            // Two processes' batches lock the queues they change in the same order.
            Command::Queue(r) => r.op.queue().map(|q| q.to_string()).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// When the command may have scheduled a job sooner than the runner expects (in-process
    /// wake-up, so a short hold expires on time without polling).
    pub(crate) fn schedules_jobs(&self) -> bool {
        matches!(
            self,
            Command::Hold(_) | Command::ScheduleJob(_) | Command::RunJob(_) | Command::Queue(_) | Command::Watch(_)
        )
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
            Command::ReleaseHold { .. } => "release_hold",
            Command::Book(_) => "book",
            Command::Cancel(_) => "cancel",
            Command::Reschedule(_) => "reschedule",
            Command::SetStatus(_) => "set_status",
            Command::CreateUser(_) => "create_user",
            Command::SetPassword { .. } => "set_password",
            Command::EraseAccount { .. } => "erase_account",
            Command::ChangeMember(_) => "change_member",
            Command::Invite { .. } => "invite",
            Command::AcceptInvitation { .. } => "accept_invitation",
            Command::CreateSession(..) => "create_session",
            Command::EndSession(_) => "end_session",
            Command::TouchSession { .. } => "touch_session",
            Command::LoginFailed { .. } => "login_failed",
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
            Command::ScheduleJob(_) => "schedule_job",
            Command::CancelJob { .. } => "cancel_job",
            Command::ClaimDueJobs { .. } => "claim_due_jobs",
            Command::RunJob(_) => "run_job",
            Command::CompleteJob(_) => "complete_job",
            Command::FailJob { .. } => "fail_job",
            Command::ClaimOutbox { .. } => "claim_outbox",
            Command::CompleteOutbox(_) => "complete_outbox",
            Command::RetryOutbox { .. } => "retry_outbox",
            Command::PruneEvents { .. } => "prune_events",
            Command::SetMessageTemplate(_) => "set_message_template",
            Command::SetReminderSettings(_) => "set_reminder_settings",
            Command::SetServiceReminders(_) => "set_service_reminders",
            Command::PlanMessages { .. } => "plan_messages",
            Command::ClaimMessages { .. } => "claim_messages",
            Command::RecordMessage { .. } => "record_message",
            Command::AlertOperators { .. } => "alert_operators",
            Command::Channels(_) => "channels",
            Command::Queue(_) => "queue",
            Command::UpdatePatient { .. } => "update_patient",
            Command::Import(_) => "import",
            Command::RecordExport { .. } => "record_export",
            Command::Messages(_) => "messages",
            Command::Sources(_) => "sources",
            Command::Watch(_) => "watch",
            Command::CalendarFeeds(_) => "calendar_feeds",
            Command::Telegram(_) => "telegram",
            Command::TelegramStaff(_) => "telegram_staff",
            Command::RecordAccesses(_) => "record_accesses",
            Command::Reseal { .. } => "reseal",
            Command::Clinical(_) => "clinical",
            Command::Intake(_) => "intake",
        }
    }
}

/// Applies one command inside the open transaction.
pub(crate) async fn apply(tx: &mut WriteTx<'_>, cmd: &Command) -> StoreResult<Output> {
    match cmd {
        Command::CreateClinic(c) => catalog::create_clinic(tx, c).await,
        Command::UpdateClinic(c, patch, actor) => catalog_updates::update_clinic(tx, *c, patch, actor).await,
        Command::CreateLocation(l, actor) => catalog::create_location(tx, l, actor).await,
        Command::UpdateLocation(c, id, patch, actor) => {
            catalog_updates::update_location(tx, *c, *id, patch, actor).await
        }
        Command::CreatePractitioner(p, actor) => catalog::create_practitioner(tx, p, actor).await,
        Command::UpdatePractitioner(c, id, patch, actor) => {
            catalog_updates::update_practitioner(tx, *c, *id, patch, actor).await
        }
        Command::CreateService(s, actor) => catalog::create_service(tx, s, actor).await,
        Command::UpdateService(c, id, patch, actor) => catalog_updates::update_service(tx, *c, *id, patch, actor).await,
        Command::CreateRule(clinic, r, actor) => schedule::create_rule(tx, *clinic, r, actor).await,
        Command::DeleteRule(clinic, id, actor) => schedule::delete_rule(tx, *clinic, *id, actor).await,
        Command::CreateException(e) => schedule::create_exception(tx, e).await,
        Command::DeleteException(clinic, id, actor) => schedule::delete_exception(tx, *clinic, *id, actor).await,
        Command::Hold(r) => holds::hold(tx, r).await,
        Command::ReleaseHold { clinic, id, claim } => holds::release_hold(tx, *clinic, *id, claim).await,
        Command::Book(r) => booking::book(tx, r).await,
        Command::Cancel(r) => changes::cancel(tx, r).await,
        Command::Reschedule(r) => changes::reschedule(tx, r).await,
        Command::SetStatus(r) => changes::set_status(tx, r).await,
        Command::CreateUser(n) => accounts::create_user(tx, n).await,
        Command::SetPassword { user, hash, actor } => accounts::set_password(tx, *user, hash, actor).await,
        Command::EraseAccount { user, actor } => accounts::erase_account(tx, *user, actor).await,
        Command::ChangeMember(m) => accounts::change_member(tx, m).await,
        Command::Invite { invitation, token, actor } => accounts::invite(tx, invitation, token, actor).await,
        Command::AcceptInvitation { token_hash, invitee } => accounts::accept_invitation(tx, token_hash, invitee).await,
        Command::CreateSession(s, user, key) => accounts::create_session(tx, s, user, key.as_ref()).await,
        Command::EndSession(id_hash) => accounts::end_session(tx, id_hash).await,
        Command::TouchSession { id_hash, expires_at } => accounts::touch_session(tx, id_hash, *expires_at).await,
        Command::LoginFailed { key, user } => accounts::login_failed(tx, key, *user).await,
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
        Command::ScheduleJob(j) => jobs::schedule(tx, j).await,
        Command::CancelJob { clinic, kind, key } => jobs::cancel(tx, *clinic, kind, key).await,
        Command::ClaimDueJobs { limit, lease } => jobs::claim(tx, *limit, *lease).await,
        Command::RunJob(job) => jobs::run(tx, job).await,
        Command::CompleteJob(job) => jobs::complete(tx, job).await,
        Command::FailJob { job, error } => jobs::fail(tx, job, error).await,
        Command::ClaimOutbox { consumer, limit, lease } => outbox::claim(tx, consumer, *limit, *lease).await,
        Command::CompleteOutbox(items) => outbox::complete(tx, items).await,
        Command::RetryOutbox { item, after, error } => outbox::retry_later(tx, item, *after, error).await,
        Command::PruneEvents { keep, batch } => outbox::prune(tx, *keep, *batch).await,
        Command::SetMessageTemplate(c) => message_templates::set_template(tx, c).await,
        Command::SetReminderSettings(c) => message_templates::set_reminders(tx, c).await,
        Command::SetServiceReminders(c) => message_templates::set_service_reminders(tx, c).await,
        Command::PlanMessages { delivery, messages } => messages::plan(tx, delivery, messages).await,
        Command::ClaimMessages { limit, lease } => messages::claim(tx, *limit, *lease).await,
        Command::RecordMessage { message, attempt } => messages::record(tx, message, attempt).await,
        Command::AlertOperators { worker } => messages::alert_operators(tx, worker).await,
        Command::Channels(c) => channels::apply(tx, c).await,
        Command::Queue(r) => queue::apply(tx, r).await,
        Command::UpdatePatient { clinic, patient, patch, actor } => {
            patients::update_patient(tx, *clinic, *patient, patch, actor).await
        }
        Command::Import(b) => transfer::import(tx, b).await,
        Command::RecordExport { clinic, what, bytes, actor } => {
            transfer::record_export(tx, *clinic, what, *bytes, actor).await
        }
        Command::Messages(c) => messages_ops::apply(tx, c).await,
        Command::Sources(c) => sources::apply(tx, c).await,
        Command::Watch(op) => watches::apply(tx, op).await,
        Command::CalendarFeeds(c) => calendar_feeds::apply(tx, c).await,
        Command::Telegram(op) => telegram::apply(tx, op).await,
        Command::TelegramStaff(op) => telegram_staff::apply(tx, op).await,
        Command::RecordAccesses(all) => {
            for r in all {
                privacy::record_access(tx, r).await?;
            }
            Ok(Output::Done)
        }
        Command::Reseal { keys, batch } => {
            Ok(Output::Count(crate::sealed_columns::reseal_batch(tx, keys, *batch).await?))
        }
        Command::Clinical(op) => clinical::apply(tx, op).await,
        Command::Intake(op) => intake::apply(tx, op).await,
    }
}
