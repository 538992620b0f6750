//! Staff on Telegram (issue 14): a chat bound to a staff account (one-time link minted by
//! `POST /api/v1/me/telegram-link`) runs the day from the phone — today's queues with call next /
//! absent / return / walk-in buttons, today's appointments and figures, alerts on or off.
//!
//! The bot is one more front end: every action builds the member's grant with
//! `nobat_web::auth::grant::grant` (the same role → capability table, 2FA rule and clinic
//! scoping as a REST request), checks `check_runs` like the queue routes, and runs the same
//! store commands — which write the same audit rows, naming the member "(role, Telegram)".
//! A queue or ticket of a clinic the member does not work for is simply not found.

pub mod alerts;
mod views;

use nobat_bot::staff::{self, StaffInput};
use nobat_bot::{Conversation, Incoming, Input, Reply};
use nobat_core::access::{RunQueues, ViewAppointments};
use nobat_core::{QueueId, TicketId};
use nobat_i18n::catalog::Args;
use nobat_i18n::{Lang, Messages};
use nobat_store::commands::{QueueOp, QueueRequest};
use nobat_store::queues::Queue;
use nobat_store::reads::StaffChat;
use nobat_store::{Command, Output, TelegramStaffOp, TelegramStaffOutput};
use nobat_web::AppState;
use nobat_web::auth::grant::{Staff, grant};
use nobat_web::auth::principal::{Principal, Via};
use nobat_web::context::ClinicCtx;

/// The staff desk of one bot.
#[derive(Clone)]
pub struct StaffDesk {
    pub state: AppState,
    pub messages: &'static Messages,
}

/// Why an action was not done, as the member is told.
enum Refusal {
    /// Not allowed (another clinic's queue, a colleague's queue, a role without the right, 2FA
    /// required): one polite sentence, never the reason's internals.
    Forbidden,
    /// The queue had nobody waiting.
    Empty,
    /// The ticket or queue changed meanwhile (state conflict, closed day…).
    Failed,
}

pub(crate) fn t(messages: &Messages, lang: Lang, key: &str, args: &Args) -> String {
    messages.render(lang, key, args).unwrap_or_else(|_| key.to_owned())
}

impl StaffDesk {
    /// Answers `incoming` if it is a staff matter; `None` leaves it to the patients' flows.
    pub async fn handle(
        &self,
        bot: &str,
        conversation: &Conversation,
        incoming: &Incoming,
    ) -> anyhow::Result<Option<Vec<Reply>>> {
        let store = &self.state.store;
        let linked = store.telegram_staff_chat(bot, incoming.chat_id).await?;
        let lang = conversation.lang(incoming.language_code.as_deref());
        let request = match staff::parse(&incoming.input) {
            Some(r) => r,
            None => match (&incoming.input, linked.as_ref().and_then(|l| l.awaiting.clone())) {
                // The walk-in's name, asked for by the walk-in button.
                (Input::Text(name), Some(queue)) => {
                    let Some(chat) = linked else { return Ok(None) };
                    let replies = self.walk_in_named(bot, incoming, lang, &chat, &queue, name).await?;
                    return Ok(Some(replies));
                }
                _ => return Ok(None),
            },
        };
        let none = Args::new();
        let (callback, message_id) = match &incoming.input {
            Input::Callback { id, message_id, .. } => (Some(id.clone()), *message_id),
            _ => (None, None),
        };
        if let StaffInput::Link(token) = &request {
            return self.link(bot, incoming, lang, token).await.map(Some);
        }
        let member = match &linked {
            Some(chat) => self.principal(bot, incoming.chat_id, chat).await?,
            None => None,
        };
        let (Some(chat), Some(principal)) = (linked, member) else {
            let text = t(self.messages, lang, "bot-staff-not-linked", &none);
            return Ok(Some(answer(callback, message_id, text, None, true)));
        };
        let notice = match request {
            // Answered above; kept total without a panic.
            StaffInput::Link(_) => None,
            StaffInput::Logout => {
                let op = TelegramStaffOp::UnlinkChat { bot: bot.to_owned(), chat: incoming.chat_id };
                store.execute(Command::TelegramStaff(op)).await?;
                let text = t(self.messages, lang, "bot-staff-logged-out", &none);
                return Ok(Some(answer(callback, message_id, text, None, true)));
            }
            StaffInput::Help => {
                let args = Args::new().str("name", principal.user.name.clone());
                let text = t(self.messages, lang, "bot-staff-linked", &args);
                return Ok(Some(answer(callback, message_id, text, None, true)));
            }
            StaffInput::Appointments => {
                let text = views::appointments(self, &principal, lang).await?;
                return Ok(Some(answer(callback, message_id, text, None, true)));
            }
            StaffInput::Figures => {
                let text = views::figures(self, &principal, lang).await?;
                return Ok(Some(answer(callback, message_id, text, None, true)));
            }
            StaffInput::ToggleAlerts => {
                let on = !chat.alerts;
                let op = TelegramStaffOp::SetAlerts { bot: bot.to_owned(), chat: incoming.chat_id, on };
                store.execute(Command::TelegramStaff(op)).await?;
                let key = if on { "bot-staff-alerts-on" } else { "bot-staff-alerts-off" };
                return Ok(Some(answer(callback, message_id, t(self.messages, lang, key, &none), None, true)));
            }
            StaffInput::Queues => None,
            StaffInput::CallNext(q) => Some(self.call_next(&principal, &q).await),
            StaffInput::Absent(ticket) => Some(self.ticket_action(&principal, &ticket, Action::Absent).await),
            StaffInput::Return(ticket) => Some(self.ticket_action(&principal, &ticket, Action::Return).await),
            StaffInput::WalkIn(q) => match self.runnable_queue(&principal, &q).await? {
                Ok(_) => {
                    let op =
                        TelegramStaffOp::SetAwaiting { bot: bot.to_owned(), chat: incoming.chat_id, awaiting: Some(q) };
                    store.execute(Command::TelegramStaff(op)).await?;
                    let text = t(self.messages, lang, "bot-staff-walk-in-name", &none);
                    // A new message, so the question is the last thing in the chat.
                    let mut replies = Vec::new();
                    if let Some(id) = callback {
                        replies.push(Reply::AnswerCallback { id, text: None });
                    }
                    replies.push(Reply::Send { text, keyboard: None });
                    return Ok(Some(replies));
                }
                Err(r) => Some(Err(r)),
            },
        };
        let notice = match notice.map(|n| n.map_err(|r| self.refusal(lang, r))) {
            None => None,
            Some(Ok(done)) => Some(self.done_text(lang, &done)),
            Some(Err(refused)) => Some(refused),
        };
        let (view, keyboard) = views::queues(self, &principal, lang).await?;
        let text = match &notice {
            Some(n) => format!("{n}\n\n{view}"),
            None => view,
        };
        let mut replies = Vec::new();
        if let Some(id) = callback {
            replies.push(Reply::AnswerCallback { id, text: notice.clone() });
        }
        match message_id {
            // A button under the queue message: that message is updated in place.
            Some(m) => replies.push(Reply::Edit { message_id: m, text, keyboard: Some(keyboard) }),
            None => replies.push(Reply::Send { text, keyboard: Some(keyboard) }),
        }
        Ok(Some(replies))
    }

    /// The member behind a linked chat; `None` if the account was disabled since.
    async fn principal(&self, bot: &str, chat_id: i64, chat: &StaffChat) -> anyhow::Result<Option<Principal>> {
        let user = self.state.store.user(chat.user).await?;
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Principal { user, via: Via::Telegram { bot: bot.to_owned(), chat: chat_id } }))
    }

    async fn link(&self, bot: &str, incoming: &Incoming, lang: Lang, token: &str) -> anyhow::Result<Vec<Reply>> {
        let token_hash = self.state.auth.keys.token_hash(token);
        let op = TelegramStaffOp::Redeem { bot: bot.to_owned(), chat: incoming.chat_id, token_hash };
        let linked = match self.state.store.execute(Command::TelegramStaff(op)).await? {
            Output::TelegramStaff(TelegramStaffOutput::Linked(user)) => user,
            other => anyhow::bail!("unexpected output {other:?}"),
        };
        let text = match linked {
            Some(user) => {
                let user = self.state.store.user(user).await?;
                t(self.messages, lang, "bot-staff-linked", &Args::new().str("name", user.name))
            }
            None => t(self.messages, lang, "bot-staff-link-invalid", &Args::new()),
        };
        Ok(vec![Reply::Send { text, keyboard: None }])
    }

    /// The member's clinics, as grants for `C` (clinics where they lack it are left out).
    pub(crate) async fn grants<C: nobat_core::access::Capability>(
        &self,
        principal: &Principal,
    ) -> anyhow::Result<Vec<Staff<C>>> {
        let mut out = Vec::new();
        for m in self.state.store.memberships_of(principal.user.id).await? {
            let ctx = match ClinicCtx::load(&self.state, &m.membership.clinic.to_string()).await {
                Ok(c) => c,
                Err(_) => continue,
            };
            if let Ok(s) = grant::<C>(&self.state, principal, ctx).await {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// The queue `raw` names, if the member may run it: found in one of their clinics, the
    /// `RunQueues` grant there, and `check_runs` (a practitioner runs their own queue only).
    async fn runnable_queue(
        &self,
        principal: &Principal,
        raw: &str,
    ) -> anyhow::Result<Result<(Staff<RunQueues>, Queue), Refusal>> {
        let Ok(id) = raw.parse::<QueueId>() else { return Ok(Err(Refusal::Forbidden)) };
        for m in self.state.store.memberships_of(principal.user.id).await? {
            let Ok(queue) = self.state.store.queue(m.membership.clinic, id).await else { continue };
            let Ok(ctx) = ClinicCtx::load(&self.state, &m.membership.clinic.to_string()).await else { continue };
            let staff = match grant::<RunQueues>(&self.state, principal, ctx).await {
                Ok(s) => s,
                Err(_) => return Ok(Err(Refusal::Forbidden)),
            };
            if nobat_web::routes::queues::check_runs(&self.state, &staff, &queue).await.is_err() {
                return Ok(Err(Refusal::Forbidden));
            }
            return Ok(Ok((staff, queue)));
        }
        Ok(Err(Refusal::Forbidden))
    }

    async fn call_next(&self, principal: &Principal, raw: &str) -> Result<Done, Refusal> {
        let (staff, queue) = match self.runnable_queue(principal, raw).await {
            Ok(Ok(found)) => found,
            Ok(Err(r)) => return Err(r),
            Err(_) => return Err(Refusal::Failed),
        };
        let actor = staff.actor();
        // The same caller key as the REST route with no desk: a double tap within 3 s calls one.
        let caller = format!("{}|", actor.id);
        let op = QueueOp::CallNext { queue: queue.id, desk: None, caller, idempotency: None };
        self.run(&staff, op).await.map(|t| Done::Called(t.code, t.patient_name))
    }

    async fn ticket_action(&self, principal: &Principal, raw: &str, action: Action) -> Result<Done, Refusal> {
        let Ok(id) = raw.parse::<TicketId>() else { return Err(Refusal::Forbidden) };
        let memberships = self.state.store.memberships_of(principal.user.id).await.map_err(|_| Refusal::Failed)?;
        for m in memberships {
            let Ok(ticket) = self.state.store.ticket(m.membership.clinic, id).await else { continue };
            let (staff, _queue) = match self.runnable_queue(principal, &ticket.queue.to_string()).await {
                Ok(Ok(found)) => found,
                Ok(Err(r)) => return Err(r),
                Err(_) => return Err(Refusal::Failed),
            };
            let core = match action {
                Action::Absent => nobat_core::queue::Action::Absent,
                Action::Return => nobat_core::queue::Action::Return,
            };
            let op = QueueOp::Act { ticket: id, action: core, reason: None, to_queue: None, position: None };
            let t = self.run(&staff, op).await?;
            return Ok(match action {
                Action::Absent => Done::Absent(t.code),
                Action::Return => Done::Returned(t.code),
            });
        }
        Err(Refusal::Forbidden)
    }

    async fn walk_in_named(
        &self,
        bot: &str,
        incoming: &Incoming,
        lang: Lang,
        chat: &StaffChat,
        queue: &str,
        name: &str,
    ) -> anyhow::Result<Vec<Reply>> {
        // The question is answered (or abandoned) either way: the next text is free again.
        let op = TelegramStaffOp::SetAwaiting { bot: bot.to_owned(), chat: incoming.chat_id, awaiting: None };
        self.state.store.execute(Command::TelegramStaff(op)).await?;
        let Some(principal) = self.principal(bot, incoming.chat_id, chat).await? else {
            return Ok(vec![Reply::Send {
                text: t(self.messages, lang, "bot-staff-not-linked", &Args::new()),
                keyboard: None,
            }]);
        };
        let outcome = match self.runnable_queue(&principal, queue).await? {
            Err(r) => Err(r),
            Ok((staff, queue)) => {
                match nobat_core::queue::walk_in_contact(name.trim(), None, None, Some(lang.code())) {
                    Err(_) => Err(Refusal::Failed),
                    Ok(patient) => {
                        let op = QueueOp::WalkIn { queue: queue.id, patient, service: None, priority: 0 };
                        self.run(&staff, op).await.map(|t| Done::WalkIn(t.code, t.patient_name))
                    }
                }
            }
        };
        let notice = match outcome {
            Ok(done) => self.done_text(lang, &done),
            Err(r) => self.refusal(lang, r),
        };
        let (view, keyboard) = views::queues(self, &principal, lang).await?;
        Ok(vec![Reply::Send { text: format!("{notice}\n\n{view}"), keyboard: Some(keyboard) }])
    }

    /// Runs a queue command as the member — the REST routes' command, with their actor.
    async fn run(&self, staff: &Staff<RunQueues>, op: QueueOp) -> Result<nobat_store::queues::Ticket, Refusal> {
        let req = QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op };
        match self.state.store.execute(Command::Queue(req)).await {
            Ok(Output::Ticket(t)) => Ok(*t),
            Ok(_) => Err(Refusal::Failed),
            Err(e) => {
                let problem = nobat_web::problem::ApiError::from(e).problem();
                if problem.kind.ends_with("queue-empty") { Err(Refusal::Empty) } else { Err(Refusal::Failed) }
            }
        }
    }

    fn done_text(&self, lang: Lang, done: &Done) -> String {
        let (key, args) = match done {
            Done::Called(code, patient) => {
                ("bot-staff-called", Args::new().str("code", code.clone()).str("patient", patient.clone()))
            }
            Done::Absent(code) => ("bot-staff-absent-done", Args::new().str("code", code.clone())),
            Done::Returned(code) => ("bot-staff-returned", Args::new().str("code", code.clone())),
            Done::WalkIn(code, name) => {
                ("bot-staff-walk-in-added", Args::new().str("code", code.clone()).str("name", name.clone()))
            }
        };
        t(self.messages, lang, key, &args)
    }

    fn refusal(&self, lang: Lang, r: Refusal) -> String {
        let key = match r {
            Refusal::Forbidden => "bot-staff-refused",
            Refusal::Empty => "bot-staff-queue-empty",
            Refusal::Failed => "bot-staff-failed",
        };
        t(self.messages, lang, key, &Args::new())
    }
}

#[derive(Clone, Copy)]
enum Action {
    Absent,
    Return,
}

enum Done {
    Called(String, String),
    Absent(String),
    Returned(String),
    WalkIn(String, String),
}

/// A reply to a command (a new message) or to a button (its spinner stopped, its message
/// edited in place).
fn answer(
    callback: Option<String>,
    message_id: Option<i64>,
    text: String,
    keyboard: Option<nobat_bot::Keyboard>,
    edit: bool,
) -> Vec<Reply> {
    let mut replies = Vec::new();
    if let Some(id) = callback {
        replies.push(Reply::AnswerCallback { id, text: None });
    }
    match message_id {
        Some(m) if edit => replies.push(Reply::Edit { message_id: m, text, keyboard }),
        _ => replies.push(Reply::Send { text, keyboard }),
    }
    replies
}

/// A member's reading grant in one clinic, what the views list from.
pub(crate) type Viewer = Staff<ViewAppointments>;
