//! The Telegram bot's poller (issue 14): long-polls the instance bot's updates, runs each
//! through the conversation core (`nobat_bot::conversation`, no I/O) and performs its
//! replies. Supervised like every worker (see `supervisor.rs`).
//!
//! Durable operation, with several processes on one PostgreSQL database:
//! * only the holder of the bot's lease polls (`telegram_bots.lease_owner`, renewed every
//!   round and before every update); when it dies, another process takes the lease once it
//!   runs out ([`LEASE`]) and polls from the stored offset;
//! * each update is *taken* in the database before it is answered, so a second reader of the
//!   same update (a lease that ran out mid-update) answers nothing: at most once. A crash
//!   between taking and answering loses that one answer; the user's next message is answered;
//! * the conversation state is stored per chat after each update: a restart continues the
//!   conversation where it stopped.
//!
//! A revoked token (401) stops polling (recorded on the bot's row until the token changes)
//! and raises a durable operator alert.

use nobat_bot::{ApiError, BotApi, Conversation, Incoming, Reply};
use nobat_i18n::Messages;
use nobat_store::{Command, Output, Store, StoreError, TelegramOp, TelegramOutput};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The instance bot's row id (clinic bots will be keyed by their id).
pub const INSTANCE_BOT: &str = "instance";
/// How long a lease lasts without renewal: the longest a dead poller keeps others waiting.
/// Longer than a poll ([`POLL`]); renewed before every update and every reply, so one reply's
/// flood-limit wait (at most `nobat_bot::api::MAX_INLINE_WAIT`) is what it must outlast.
pub const LEASE: Duration = Duration::from_secs(30);
/// The long poll's wait for an update.
pub const POLL: Duration = Duration::from_secs(10);
/// A process that does not hold the lease looks again this often.
const STANDBY: Duration = Duration::from_secs(3);

/// The instance bot's poller.
#[derive(Clone)]
pub struct Poller {
    store: Store,
    api: BotApi,
    messages: &'static Messages,
    bot: String,
    token_hash: String,
    /// This process's lease name.
    owner: String,
    /// What the supervisor waits after a good round, in ms (0: poll again at once).
    pause_ms: Arc<AtomicU64>,
    /// Shutdown: `true` ends the long poll at once and starts no new round.
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    /// Held for a whole round, so shutdown waits for the update being answered to be
    /// finished (its state stored) instead of cutting it between reply and commit.
    busy: Arc<tokio::sync::Mutex<()>>,
    /// The staff desk (telegram_staff/): staff commands, buttons and link tokens go there.
    staff: Option<crate::telegram_staff::StaffDesk>,
    /// Whether the bot's @username was recorded (getMe, once per process).
    named: Arc<std::sync::atomic::AtomicBool>,
    /// Signs the manage links the bot hands out after a booking (`telegram_patient.rs`).
    links: Option<crate::telegram_patient::Links>,
}

impl Poller {
    pub fn new(store: Store, api_url: &str, token: &str) -> anyhow::Result<Poller> {
        let messages = Messages::embedded().map_err(|e| anyhow::anyhow!("catalogues: {e:?}"))?;
        Ok(Poller {
            store,
            api: BotApi::new(api_url, token),
            messages,
            bot: INSTANCE_BOT.to_owned(),
            token_hash: hex::encode(Sha256::digest(token.as_bytes())),
            owner: format!("{}:{}", std::process::id(), uuid::Uuid::new_v4()),
            pause_ms: Arc::new(AtomicU64::new(0)),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
            busy: Arc::new(tokio::sync::Mutex::new(())),
            staff: None,
            links: None,
            named: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        })
    }

    /// Serves staff too (linked chats, their queue buttons and alerts) with the API's grants.
    pub fn with_staff(mut self, state: nobat_web::AppState) -> Self {
        self.staff = Some(crate::telegram_staff::StaffDesk { state, messages: self.messages });
        self
    }

    /// With the instance's auth keys, so bookings made in a chat come with their manage link.
    pub fn with_links(mut self, auth: Arc<nobat_web::auth::AuthConfig>) -> Poller {
        self.links = Some(crate::telegram_patient::Links { auth });
        self
    }

    /// Runs the conversation core, answering the data it asks for (`Reply::Need`) with the
    /// store and calling it again, so the core itself does no I/O.
    async fn converse(
        &self,
        conversation: &Conversation,
        incoming: &Incoming,
    ) -> anyhow::Result<(Conversation, Vec<Reply>)> {
        let mut facts = nobat_bot::Facts::default();
        // Each need is answered once; a flow needs at most a handful (clinics, services,
        // practitioners, slots, a booking, slots again after a taken slot).
        for _ in 0..12 {
            let (next, replies) = nobat_bot::handle_with(self.messages, conversation, incoming, &facts);
            let Some(Reply::Need(need)) = replies.first() else { return Ok((next, replies)) };
            let links = self.links.as_ref();
            crate::telegram_patient::answer(
                &self.store,
                links,
                &self.bot,
                incoming.update_id,
                need.clone(),
                &mut facts,
            )
            .await?;
        }
        anyhow::bail!("the conversation core kept asking for data")
    }

    /// After a successful round: at once when polling, longer on standby or when revoked.
    pub async fn pause(&self) {
        let ms = self.pause_ms.load(Ordering::Relaxed);
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    fn set_pause(&self, d: Duration) {
        self.pause_ms.store(d.as_millis() as u64, Ordering::Relaxed);
    }

    async fn op(&self, op: TelegramOp) -> Result<TelegramOutput, StoreError> {
        match self.store.execute(Command::Telegram(op)).await? {
            Output::Telegram(out) => Ok(out),
            other => Err(StoreError::Corrupt(format!("unexpected output {other:?}"))),
        }
    }

    /// Takes or renews the lease; `Some(offset)` when this process may poll.
    async fn lease(&self) -> anyhow::Result<Option<i64>> {
        let out = self
            .op(TelegramOp::Lease {
                bot: self.bot.clone(),
                token_hash: self.token_hash.clone(),
                owner: self.owner.clone(),
                ttl: jiff::SignedDuration::try_from(LEASE)?,
            })
            .await?;
        match out {
            TelegramOutput::Lease { held: true, offset, revoked: false } => Ok(Some(offset)),
            TelegramOutput::Lease { revoked: true, .. } => {
                self.set_pause(Duration::from_secs(60));
                Ok(None)
            }
            _ => {
                self.set_pause(STANDBY);
                Ok(None)
            }
        }
    }

    /// One round: lease, one long poll, every update it brought.
    pub async fn round(&self) -> anyhow::Result<()> {
        let _busy = self.busy.lock().await;
        let mut stopping = self.stopping.subscribe();
        if *stopping.borrow() {
            self.set_pause(Duration::from_secs(3600));
            return Ok(());
        }
        let Some(offset) = self.lease().await? else { return Ok(()) };
        self.set_pause(Duration::ZERO);
        // Ending the poll early loses nothing: no update is taken until it has returned.
        let polled = tokio::select! {
            polled = self.api.get_updates(offset, POLL) => polled,
            _ = stopping.wait_for(|s| *s) => return Ok(()),
        };
        let updates = match polled {
            Ok(u) => u,
            Err(ApiError::Unauthorized) => return self.revoked().await,
            Err(ApiError::Conflict(why)) => {
                // A webhook is set, or a process elsewhere (not sharing this database) polls
                // with the same token. Not ours to undo; say so and look again later.
                tracing::warn!(reason = %why, "Telegram refuses getUpdates (409): another poller or a webhook");
                self.set_pause(STANDBY);
                return Ok(());
            }
            Err(ApiError::Network(why)) => {
                // Telegram unreachable is not this server failing: no /readyz 503 (which would
                // take the API out of a load balancer), only a warning and a slower retry.
                tracing::warn!(reason = %why, "Telegram Bot API unreachable; polling again shortly");
                self.set_pause(STANDBY);
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        crate::telegram_staff::alerts::after_poll(&self.store, &self.api, &self.bot, &self.named, self.messages)
            .await?;
        for update in updates {
            match self.one(&update).await {
                Ok(()) => {}
                Err(e) if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::LeaseLost)) => {
                    tracing::info!("Telegram lease taken over; stopping this round");
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn one(&self, update: &serde_json::Value) -> anyhow::Result<()> {
        let Some(update_id) = update["update_id"].as_i64() else { return Ok(()) };
        // Renew before each update: replies may wait out flood limits.
        if self.lease().await?.is_none() {
            return Err(StoreError::LeaseLost.into());
        }
        let incoming = Incoming::parse(update);
        let chat_id = incoming.as_ref().map(|i| i.chat_id);
        let (bot, owner) = (self.bot.clone(), self.owner.clone());
        let taken = self.op(TelegramOp::Take { bot: bot.clone(), owner: owner.clone(), update_id, chat_id }).await?;
        let state = match (taken, incoming) {
            (TelegramOutput::Taken(Some(stored)), Some(incoming)) => {
                let conversation = Conversation::from_json(stored.as_deref());
                // Staff matters (linked chats' commands and buttons, staff link tokens) go to
                // the staff desk; everything else to the conversation core.
                let staff = match &self.staff {
                    Some(desk) => desk.handle(&self.bot, &conversation, &incoming).await?,
                    None => None,
                };
                let (mut next, replies) = match staff {
                    Some(replies) => {
                        // Remember the language spoken, for messages sent outside an update (alerts).
                        let mut next = conversation;
                        let lang = next.lang(incoming.language_code.as_deref());
                        next.lang.get_or_insert_with(|| lang.code().to_owned());
                        (next, replies)
                    }
                    None => match self.converse(&conversation, &incoming).await {
                        Ok(done) => done,
                        Err(e) => {
                            // A read or a booking failed outright (the database away): the user
                            // hears the hint rather than silence, and the state stays as it was.
                            tracing::warn!(error = %e, "a bot conversation step failed");
                            nobat_bot::handle(
                                self.messages,
                                &conversation,
                                &Incoming { input: nobat_bot::Input::Other, ..incoming.clone() },
                            )
                        }
                    },
                };
                for reply in replies {
                    // Renewed before each reply too: a flood-limit wait (up to a minute) must
                    // not let the lease run out while this process is still answering.
                    if self.lease().await?.is_none() {
                        return Err(StoreError::LeaseLost.into());
                    }
                    if let Err(e) = self.perform(incoming.chat_id, reply, &mut next).await {
                        match e {
                            ApiError::Unauthorized => return self.revoked().await,
                            // The user blocked the bot, a message the API refuses: nothing a
                            // retry would change. Keep the conversation going.
                            e => tracing::warn!(error = %e, chat = incoming.chat_id, "Telegram reply not delivered"),
                        }
                    }
                }
                Some(next.to_json())
            }
            // Taken before (by this or another process), or nothing to answer: only move on.
            _ => None,
        };
        self.op(TelegramOp::Finish { bot, owner, update_id, chat_id, state }).await?;
        Ok(())
    }

    async fn perform(&self, chat_id: i64, reply: Reply, next: &mut Conversation) -> Result<(), ApiError> {
        match reply {
            Reply::Send { text, keyboard } => {
                let menu = matches!(keyboard, Some(nobat_bot::Keyboard::Inline(_)));
                let id = self.api.send_message(chat_id, &text, keyboard.as_ref()).await?;
                // Only a message with inline buttons can be the menu later edited in place (a
                // notice sent just before a new menu must not take its place).
                if menu {
                    next.remember_sent(id);
                }
            }
            Reply::Edit { message_id, text, keyboard } => {
                self.api.edit_message_text(chat_id, message_id, &text, keyboard.as_ref()).await?;
            }
            Reply::AnswerCallback { id, text } => self.api.answer_callback_query(&id, text.as_deref()).await?,
            // Answered by `converse` before replies are performed; never reaches here.
            Reply::Need(_) => {}
        }
        Ok(())
    }

    async fn revoked(&self) -> anyhow::Result<()> {
        tracing::error!(bot = %self.bot, "the Telegram bot token was refused (401): polling stopped until the token changes");
        self.op(TelegramOp::Revoked { bot: self.bot.clone(), owner: self.owner.clone() }).await?;
        self.set_pause(Duration::from_secs(60));
        Ok(())
    }

    /// Stops at shutdown: ends the long poll, lets an update being answered finish (bounded
    /// by `grace`), then gives the lease up so another process takes over at once.
    pub async fn stop(&self, task: tokio::task::JoinHandle<()>, grace: Duration) {
        self.stopping.send_replace(true);
        if tokio::time::timeout(grace, self.busy.lock()).await.is_err() {
            tracing::warn!("the Telegram bot was still answering an update at shutdown");
        }
        task.abort();
        self.release().await;
    }

    async fn release(&self) {
        let op = TelegramOp::Release { bot: self.bot.clone(), owner: self.owner.clone() };
        if let Err(e) = self.op(op).await {
            tracing::warn!(error = %e, "could not release the Telegram lease");
        }
    }
}
