//! What the fake Bot API records: users the test plays, the bot's messages, the transcript.

use std::time::SystemTime;

use serde_json::{Value, json};

/// A Telegram user the test plays. Their private chat has the same id.
#[derive(Clone, Debug)]
pub struct TgUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// IETF tag Telegram sends from the user's app language (`fa`, `ru`, …).
    pub language_code: Option<String>,
}

impl TgUser {
    pub fn new(id: i64, first_name: &str) -> Self {
        Self { id, first_name: first_name.to_owned(), last_name: None, username: None, language_code: None }
    }

    pub fn language(mut self, code: &str) -> Self {
        self.language_code = Some(code.to_owned());
        self
    }

    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(l) = &self.last_name {
            v["last_name"] = json!(l);
        }
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        if let Some(c) = &self.language_code {
            v["language_code"] = json!(c);
        }
        v
    }

    pub(crate) fn chat_json(&self) -> Value {
        let mut v = json!({ "id": self.id, "type": "private", "first_name": self.first_name });
        if let Some(l) = &self.last_name {
            v["last_name"] = json!(l);
        }
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        v
    }
}

/// One inline keyboard button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub callback_data: Option<String>,
    pub url: Option<String>,
}

impl Button {
    /// The rows of an `inline_keyboard` markup (empty for anything else).
    pub fn from_markup(markup: &Value) -> Vec<Vec<Button>> {
        markup["inline_keyboard"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|row| {
                        row.as_array()
                            .map(|r| {
                                r.iter()
                                    .map(|b| Button {
                                        text: b["text"].as_str().unwrap_or("").to_owned(),
                                        callback_data: b["callback_data"].as_str().map(Into::into),
                                        url: b["url"].as_str().map(Into::into),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A message the bot sent or edited, as accepted.
#[derive(Clone, Debug)]
pub struct BotMessage {
    pub chat_id: i64,
    pub message_id: i64,
    pub text: String,
    pub parse_mode: Option<String>,
    /// `reply_markup` as sent (inline keyboard, reply keyboard with `request_contact`, …).
    pub reply_markup: Option<Value>,
    /// The Bot API method (`sendMessage`, `editMessageText`, …).
    pub method: String,
    pub at: SystemTime,
}

impl BotMessage {
    pub(crate) fn from_message(msg: &Value, method: &str) -> Self {
        Self {
            chat_id: msg["chat"]["id"].as_i64().unwrap_or(0),
            message_id: msg["message_id"].as_i64().unwrap_or(0),
            text: msg["text"].as_str().unwrap_or("").to_owned(),
            parse_mode: None,
            reply_markup: msg.get("reply_markup").cloned(),
            method: method.to_owned(),
            at: SystemTime::now(),
        }
    }

    /// Inline keyboard rows, if the message has one.
    pub fn buttons(&self) -> Vec<Vec<Button>> {
        self.reply_markup.as_ref().map(Button::from_markup).unwrap_or_default()
    }

    /// Labels of all inline buttons, row by row flattened.
    pub fn button_labels(&self) -> Vec<String> {
        self.buttons().into_iter().flatten().map(|b| b.text).collect()
    }
}

/// A bot's `answerCallbackQuery` call.
#[derive(Clone, Debug)]
pub struct CallbackAnswer {
    pub callback_query_id: String,
    pub chat_id: i64,
    pub text: Option<String>,
    pub show_alert: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speaker {
    User,
    Bot,
}

/// One turn in a chat.
#[derive(Clone, Debug)]
pub struct TranscriptLine {
    pub chat_id: i64,
    pub speaker: Speaker,
    /// `text`, `contact`, `tap` for users; `message`, `edit`, `answer`, `delete` for the bot.
    pub kind: String,
    pub text: String,
    pub message_id: Option<i64>,
    /// Labels of the inline buttons shown with a bot message or edit.
    pub buttons: Vec<String>,
}

impl TranscriptLine {
    pub(crate) fn user(chat_id: i64, kind: &str, text: String) -> Self {
        Self { chat_id, speaker: Speaker::User, kind: kind.to_owned(), text, message_id: None, buttons: Vec::new() }
    }

    /// `user: /start` or `bot #3 (edit): text [A] [B]`.
    pub fn render(&self) -> String {
        let who = match self.speaker {
            Speaker::User => "user".to_owned(),
            Speaker::Bot => match self.message_id {
                Some(id) => format!("bot #{id}"),
                None => "bot".to_owned(),
            },
        };
        let kind = match self.kind.as_str() {
            "text" | "message" | "contact" | "tap" => String::new(),
            k => format!(" ({k})"),
        };
        let buttons: String = self.buttons.iter().map(|b| format!(" [{b}]")).collect();
        format!("{who}{kind}: {}{buttons}", self.text)
    }
}
