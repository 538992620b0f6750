//! One bot's side of the fake: what it sent, its chats, and the users the test plays.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{
    BotMessage, Button, CallbackAnswer, Chat, FloodLimits, Inner, Speaker, State, TgUser, TranscriptLine,
    WebhookDelivery, now_unix,
};
use crate::recorder::Recorder;
use std::sync::Arc;

/// One bot (one token) on the fake Bot API. [`super::TelegramFake`] dereferences to its
/// first bot; others come from [`super::TelegramFake::add_bot`].
#[derive(Clone)]
pub struct TelegramBot {
    pub(crate) inner: Arc<Inner>,
}

impl TelegramBot {
    pub fn bot_username(&self) -> String {
        self.inner.lock().bot_username.clone()
    }

    /// Messages the bot sent with `sendMessage`, accepted, in order.
    pub fn sent(&self) -> &Recorder<BotMessage> {
        &self.inner.sent
    }

    /// Accepted `editMessageText` / `editMessageReplyMarkup` calls, in order.
    pub fn edits(&self) -> &Recorder<BotMessage> {
        &self.inner.edits
    }

    pub fn callback_answers(&self) -> &Recorder<CallbackAnswer> {
        &self.inner.callback_answers
    }

    /// Attempts to push updates to the bot's webhook (after `setWebhook`).
    pub fn webhook_deliveries(&self) -> &Recorder<WebhookDelivery> {
        &self.inner.deliveries
    }

    /// Times a waiting `getUpdates` was ended with 409 because another one arrived: more than
    /// one process polling this bot. A lease test asserts this stays empty.
    pub fn poll_conflicts(&self) -> &Recorder<std::time::SystemTime> {
        &self.inner.poll_conflicts
    }

    pub fn token(&self) -> String {
        self.inner.lock().token.clone()
    }

    /// Every line of every chat, in order.
    pub fn transcript(&self) -> &Recorder<TranscriptLine> {
        &self.inner.transcript
    }

    /// Waits for `n` accepted `sendMessage` calls; panics on timeout.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<BotMessage> {
        self.inner.sent.wait_for(n, timeout).await
    }

    /// Waits until the bot has sent `n` messages to `chat_id`; returns those.
    pub async fn wait_for_chat(&self, chat_id: i64, n: usize, timeout: Duration) -> Vec<BotMessage> {
        let all = self.inner.sent.wait_until(timeout, |m| m.iter().filter(|m| m.chat_id == chat_id).count() >= n).await;
        all.into_iter().filter(|m| m.chat_id == chat_id).collect()
    }

    /// Waits for the bot's answer to the user's latest action in this chat: the first bot
    /// line (message, edit, callback answer) after the chat's last user line. A reply that
    /// came before this call is found too, so there is no race with a fast bot.
    pub async fn wait_for_reply(&self, chat_id: i64, timeout: Duration) -> TranscriptLine {
        self.wait_for_replies(chat_id, 1, timeout).await.into_iter().next().expect("waited for one")
    }

    /// Like [`TelegramBot::wait_for_reply`] for `n` bot lines; returns all bot lines after
    /// the last user line (at least `n`).
    pub async fn wait_for_replies(&self, chat_id: i64, n: usize, timeout: Duration) -> Vec<TranscriptLine> {
        let after_last_user = |t: &[TranscriptLine]| -> Vec<TranscriptLine> {
            let chat: Vec<&TranscriptLine> = t.iter().filter(|l| l.chat_id == chat_id).collect();
            let start = chat.iter().rposition(|l| l.speaker == Speaker::User).map_or(0, |i| i + 1);
            chat[start..].iter().map(|l| (*l).clone()).collect()
        };
        let lines = self.inner.transcript.try_wait_until(timeout, |t| after_last_user(t).len() >= n).await;
        match lines {
            Some(t) => after_last_user(&t),
            None => panic!(
                "no {n} bot repl(ies) in chat {chat_id} within {timeout:?}; transcript:\n{}",
                self.transcript_text(chat_id)
            ),
        }
    }

    /// The chat's conversation, one line per turn, for printing in a test.
    pub fn transcript_text(&self, chat_id: i64) -> String {
        self.inner
            .transcript
            .all()
            .iter()
            .filter(|l| l.chat_id == chat_id)
            .map(TranscriptLine::render)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The user blocks the bot (`true`) or unblocks it: messages to them get
    /// `403 Forbidden: bot was blocked by the user`.
    pub fn set_blocked(&self, user_id: i64, blocked: bool) {
        let mut st = self.inner.lock();
        if blocked {
            st.blocked.insert(user_id);
        } else {
            st.blocked.remove(&user_id);
        }
    }

    /// Switches flood limits on (`Some`) or off: over the limit, `sendMessage` and edits get
    /// 429 with `retry_after`, as Telegram answers.
    pub fn set_flood_limits(&self, limits: Option<FloodLimits>) {
        self.inner.lock().flood = limits;
    }

    /// The webhook set with `setWebhook` (its parameters), if any.
    pub fn webhook(&self) -> Option<Value> {
        self.inner.lock().webhook.clone()
    }

    /// Updates queued and not yet confirmed by an `offset`.
    pub fn pending_updates(&self) -> usize {
        self.inner.lock().updates.len()
    }

    /// The current state of a message in a chat (after edits), as the Bot API returns it.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.inner.lock().chats.get(&chat_id)?.messages.get(&message_id).cloned()
    }

    /// The latest message the bot sent to a chat, in its current (possibly edited) state.
    pub fn last_bot_message(&self, chat_id: i64) -> Option<BotMessage> {
        let st = self.inner.lock();
        let chat = st.chats.get(&chat_id)?;
        let id = chat.messages.iter().filter(|(_, m)| m["from"]["is_bot"] == json!(true)).map(|(id, _)| *id).max()?;
        Some(BotMessage::from_message(&chat.messages[&id], "current"))
    }

    // ---- the users' side ----

    fn push_update(&self, st: &mut State, kind: &str, body: Value) -> i64 {
        let id = st.next_update_id;
        st.next_update_id += 1;
        st.updates.push_back((id, json!({ "update_id": id, kind: body })));
        self.inner.new_update.notify_waiters();
        id
    }

    fn ensure_chat<'a>(st: &'a mut State, user: &TgUser) -> &'a mut Chat {
        st.chats.entry(user.id).or_insert_with(|| Chat {
            user: user.clone(),
            next_message_id: 1,
            messages: HashMap::new(),
            last_bot_send: None,
        })
    }

    fn user_message(&self, user: &TgUser, extra: Value, line: TranscriptLine) -> i64 {
        let mut st = self.inner.lock();
        Self::ensure_chat(&mut st, user);
        let message_id = st.next_message_id(user.id).unwrap_or(1);
        let mut msg = json!({
            "message_id": message_id,
            "from": user.to_json(),
            "chat": user.chat_json(),
            "date": now_unix(),
        });
        if let (Value::Object(m), Value::Object(e)) = (&mut msg, extra) {
            m.extend(e);
        }
        if let Some(chat) = st.chats.get_mut(&user.id) {
            chat.messages.insert(message_id, msg.clone());
        }
        self.push_update(&mut st, "message", msg);
        drop(st);
        self.inner.transcript.push(TranscriptLine { message_id: Some(message_id), ..line });
        message_id
    }

    /// The user writes `text` to the bot; returns the message id. Commands (`/word`) carry a
    /// `bot_command` entity as Telegram adds.
    pub fn send_text(&self, user: &TgUser, text: &str) -> i64 {
        let mut extra = json!({ "text": text });
        if text.starts_with('/') {
            let len = text.find(' ').unwrap_or(text.len());
            extra["entities"] = json!([{
                "type": "bot_command", "offset": 0, "length": text[..len].encode_utf16().count()
            }]);
        }
        self.user_message(user, extra, TranscriptLine::user(user.id, "text", text.to_owned()))
    }

    /// The user opens the bot, optionally through a `t.me/BOT?start=PAYLOAD` deep link.
    pub fn start_command(&self, user: &TgUser, payload: Option<&str>) -> i64 {
        match payload {
            Some(p) => self.send_text(user, &format!("/start {p}")),
            None => self.send_text(user, "/start"),
        }
    }

    /// The user shares their own phone number (the `request_contact` button).
    pub fn share_contact(&self, user: &TgUser, phone: &str) -> i64 {
        let contact = json!({ "contact": {
            "phone_number": phone,
            "first_name": user.first_name,
            "user_id": user.id,
        }});
        self.user_message(user, contact, TranscriptLine::user(user.id, "contact", format!("[shares contact {phone}]")))
    }

    /// The user taps the inline button with `callback_data` under bot message `message_id`;
    /// returns the callback query id. Panics when the message has no such button, so a test
    /// cannot press a button the bot never showed.
    pub fn press(&self, user: &TgUser, message_id: i64, callback_data: &str) -> String {
        self.press_checked(user, message_id, callback_data, true)
    }

    /// A tampered client: a callback query with any `callback_data` under a real bot message
    /// (Telegram does not check that the data was one of the message's buttons). For tests that
    /// the bot refuses forged buttons.
    pub fn press_forged(&self, user: &TgUser, message_id: i64, callback_data: &str) -> String {
        self.press_checked(user, message_id, callback_data, false)
    }

    fn press_checked(&self, user: &TgUser, message_id: i64, callback_data: &str, checked: bool) -> String {
        let mut st = self.inner.lock();
        let message = st
            .chats
            .get(&user.id)
            .and_then(|c| c.messages.get(&message_id))
            .cloned()
            .unwrap_or_else(|| panic!("chat {} has no message {message_id}", user.id));
        let buttons = Button::from_markup(&message["reply_markup"]);
        let found = buttons.iter().flatten().find(|b| b.callback_data.as_deref() == Some(callback_data));
        let label = match found {
            Some(button) => button.text.clone(),
            None if !checked => format!("forged {callback_data}"),
            None => panic!("message {message_id} has no button with data {callback_data:?}: {buttons:?}"),
        };
        let id = format!("{}{:06}", user.id, st.next_callback);
        st.next_callback += 1;
        st.open_callbacks.insert(id.clone(), user.id);
        let query = json!({
            "id": id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": format!("-{}", user.id),
            "data": callback_data,
        });
        self.push_update(&mut st, "callback_query", query);
        drop(st);
        self.inner.transcript.push(TranscriptLine {
            message_id: Some(message_id),
            ..TranscriptLine::user(user.id, "tap", format!("[taps \"{label}\"]"))
        });
        id
    }

    /// Like [`TelegramBot::press`] but finds the button by its label.
    pub fn tap(&self, user: &TgUser, message_id: i64, label: &str) -> String {
        let markup = self.message(user.id, message_id).map(|m| m["reply_markup"].clone()).unwrap_or(Value::Null);
        let buttons = Button::from_markup(&markup);
        let data = buttons
            .iter()
            .flatten()
            .find(|b| b.text == label)
            .and_then(|b| b.callback_data.clone())
            .unwrap_or_else(|| panic!("message {message_id} has no callback button {label:?}: {buttons:?}"));
        self.press(user, message_id, &data)
    }
}
