//! The conversation core: `(state, update) → (new state, replies)`, with no I/O.
//!
//! The state is stored as JSON per (bot, chat) by the poller, so it must stay
//! backward-compatible: new fields get `#[serde(default)]`.
//!
//! What it does today: `/start` greets the user in their language (Telegram's
//! `language_code` when it is one of the six, else English) and offers the language choice
//! as an inline keyboard; a tap sets the language and edits that same message; anything it
//! does not understand gets a polite hint in the user's language. Booking, "my
//! appointments", watches and staff flows are the next steps (see the crate's README list in
//! the session report): they are new [`Step`]s and callback prefixes here.

use crate::api::Keyboard;
use crate::patient::{self, Facts, Need, PatientState};
use crate::update::{Incoming, Input};
use nobat_i18n::catalog::Args;
use nobat_i18n::{Lang, Messages};
use serde::{Deserialize, Serialize};

/// Where the conversation stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Nothing asked; waiting for a command.
    #[default]
    Idle,
    /// The language keyboard is shown under `message_id`.
    ChoosingLanguage { message_id: Option<i64> },
}

/// One chat's conversation, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The language chosen (a code of [`Lang`]); `None` until chosen or guessed at `/start`.
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub step: Step,
    /// The patient's side: remembered name and phone, a booking under way (`patient`).
    #[serde(default)]
    pub patient: PatientState,
}

/// Something to do in the chat. `SendMessage` replies remember their message id in the
/// state through [`Conversation::remember_sent`] (the poller calls it with the id Telegram gave).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Send {
        text: String,
        keyboard: Option<Keyboard>,
    },
    Edit {
        message_id: i64,
        text: String,
        keyboard: Option<Keyboard>,
    },
    AnswerCallback {
        id: String,
        text: Option<String>,
    },
    /// Not a reply: the core needs data first. The poller answers it into [`Facts`] and calls
    /// [`handle_with`] again with the same update; it comes alone, with the state unchanged.
    Need(Need),
}

/// Callback data prefixes (kept short: Telegram allows 64 bytes of `callback_data`).
const LANG: &str = "lang:";

/// The language's own name, for the language buttons (deliberately not translated).
fn endonym(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::Fa => "فارسی",
        Lang::Ar => "العربية",
        Lang::Fr => "Français",
        Lang::Ru => "Русский",
        Lang::Tr => "Türkçe",
    }
}

impl Conversation {
    pub fn from_json(s: Option<&str>) -> Conversation {
        // A state written by a newer or older version that no longer parses starts afresh
        // rather than leaving the chat stuck.
        s.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The language to speak: the chosen one, else the user's app language when it is one we
    /// have, else English.
    pub fn lang(&self, language_code: Option<&str>) -> Lang {
        self.lang
            .as_deref()
            .and_then(Lang::from_tag)
            .or_else(|| language_code.and_then(Lang::from_tag))
            .unwrap_or(Lang::En)
    }

    /// Records the id of the message a `Send` reply became, where the step needs it (the
    /// message later edited in place).
    pub fn remember_sent(&mut self, message_id: i64) {
        if let Step::ChoosingLanguage { message_id: m @ None } = &mut self.step {
            *m = Some(message_id);
        }
        self.patient.remember_sent(message_id);
    }
}

fn t(messages: &Messages, lang: Lang, key: &str, args: &Args) -> String {
    // Every key is in the English catalogue (a test checks the six agree), so this only falls
    // back to the key itself if a catalogue is broken — visible, never a panic in a chat.
    messages.render(lang, key, args).unwrap_or_else(|_| key.to_owned())
}

fn language_keyboard() -> Keyboard {
    // Two per row: six names fit a phone screen in three rows.
    let buttons: Vec<(String, String)> =
        Lang::ALL.iter().map(|l| (endonym(*l).to_owned(), format!("{LANG}{}", l.code()))).collect();
    Keyboard::Inline(buttons.chunks(2).map(|c| c.to_vec()).collect())
}

/// Handles one update with no facts (a step that needs data answers `Reply::Need`).
pub fn handle(messages: &Messages, state: &Conversation, incoming: &Incoming) -> (Conversation, Vec<Reply>) {
    handle_with(messages, state, incoming, &Facts::default())
}

/// Handles one update: the new state and what to send; or, when a step needs data the shell
/// has not given yet in `facts`, the unchanged state and a single `Reply::Need`.
pub fn handle_with(
    messages: &Messages,
    state: &Conversation,
    incoming: &Incoming,
    facts: &Facts,
) -> (Conversation, Vec<Reply>) {
    let mut next = state.clone();
    let lang = state.lang(incoming.language_code.as_deref());
    let ctx = patient::Ctx { messages, lang, facts };
    // The patient flows (patient/): each returns `None` when the input is not theirs.
    let flows = match &incoming.input {
        Input::Callback { id, data, message_id } if data.starts_with(patient::BOOK) || data == patient::MENU_BOOK => {
            Some(patient::on_callback(&ctx, &mut next.patient, id, data, *message_id))
        }
        Input::Text(text) => patient::on_text(&ctx, &mut next.patient, text),
        Input::Contact { phone } => patient::on_contact(&ctx, &mut next.patient, phone),
        _ => None,
    };
    match flows {
        Some(Ok(replies)) => return (next, replies),
        Some(Err(need)) => return (state.clone(), vec![Reply::Need(need)]),
        None => next = state.clone(),
    }
    core(messages, state, incoming, next)
}

/// `/start`, the language choice and the hint.
fn core(
    messages: &Messages,
    state: &Conversation,
    incoming: &Incoming,
    mut next: Conversation,
) -> (Conversation, Vec<Reply>) {
    let code = incoming.language_code.as_deref();
    let lang = state.lang(code);
    let none = Args::new();
    let replies = match &incoming.input {
        Input::Start { payload: _ } => {
            // Deep-link payloads (account linking) are for a later step; the greeting is the same.
            next.lang = Some(lang.code().to_owned());
            next.step = Step::ChoosingLanguage { message_id: None };
            next.patient.flow = None;
            let name = if incoming.first_name.is_empty() { "🙂".to_owned() } else { incoming.first_name.clone() };
            let text = format!(
                "{}\n\n{}",
                t(messages, lang, "bot-greeting", &Args::new().str("name", name)),
                t(messages, lang, "bot-choose-language", &none)
            );
            vec![Reply::Send { text, keyboard: Some(language_keyboard()) }]
        }
        Input::Callback { id, data, message_id } => match data.strip_prefix(LANG).and_then(Lang::from_tag) {
            Some(chosen) => {
                next.lang = Some(chosen.code().to_owned());
                next.step = Step::Idle;
                let text = format!(
                    "{}\n\n{}",
                    t(messages, chosen, "bot-language-set", &none),
                    t(messages, chosen, "bot-menu", &none)
                );
                let facts = Facts::default();
                let menu = patient::menu_keyboard(&patient::Ctx { messages, lang: chosen, facts: &facts });
                let mut replies = vec![Reply::AnswerCallback { id: id.clone(), text: None }];
                // Edit the message the keyboard was under rather than adding another.
                match message_id {
                    Some(m) => replies.push(Reply::Edit { message_id: *m, text, keyboard: Some(menu) }),
                    None => replies.push(Reply::Send { text, keyboard: Some(menu) }),
                }
                replies
            }
            // A button from an older version, or forged data: say so briefly on the button.
            None => vec![Reply::AnswerCallback { id: id.clone(), text: Some(t(messages, lang, "bot-hint", &none)) }],
        },
        Input::Text(_) | Input::Contact { .. } | Input::Other => {
            vec![Reply::Send { text: t(messages, lang, "bot-hint", &none), keyboard: None }]
        }
    };
    (next, replies)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn incoming(lang: Option<&str>, input: Input) -> Incoming {
        Incoming { update_id: 1, chat_id: 7, first_name: "Sara".into(), language_code: lang.map(Into::into), input }
    }

    fn messages() -> &'static Messages {
        Messages::embedded().expect("catalogues parse")
    }

    #[test]
    fn start_in_fa_greets_in_persian_with_the_language_keyboard() {
        let (state, replies) =
            handle(messages(), &Conversation::default(), &incoming(Some("fa"), Input::Start { payload: None }));
        assert_eq!(state.lang.as_deref(), Some("fa"));
        let [Reply::Send { text, keyboard: Some(Keyboard::Inline(rows)) }] = replies.as_slice() else {
            panic!("{replies:?}")
        };
        assert!(text.contains("سلام") && text.contains("Sara"), "{text}");
        assert_eq!(rows.iter().flatten().count(), 6);
        assert!(rows.iter().flatten().any(|(label, data)| label == "فارسی" && data == "lang:fa"));
    }

    #[test]
    fn unknown_language_code_falls_back_to_english() {
        let (state, replies) =
            handle(messages(), &Conversation::default(), &incoming(Some("de"), Input::Start { payload: None }));
        assert_eq!(state.lang.as_deref(), Some("en"));
        assert!(matches!(&replies[0], Reply::Send { text, .. } if text.starts_with("Hello, Sara!")));
    }

    #[test]
    fn choosing_a_language_edits_the_keyboard_message_and_sticks() {
        let m = messages();
        let (mut state, _) = handle(m, &Conversation::default(), &incoming(Some("fa"), Input::Start { payload: None }));
        state.remember_sent(42);
        assert_eq!(state.step, Step::ChoosingLanguage { message_id: Some(42) });
        let tap = Input::Callback { id: "q".into(), data: "lang:ru".into(), message_id: Some(42) };
        let (state, replies) = handle(m, &state, &incoming(Some("fa"), tap));
        assert_eq!(state.lang.as_deref(), Some("ru"));
        assert_eq!(replies[0], Reply::AnswerCallback { id: "q".into(), text: None });
        assert!(
            matches!(&replies[1], Reply::Edit { message_id: 42, text, keyboard: Some(_) } if text.contains("по-русски"))
        );
        // The choice outlives the app language: a later hint is in Russian.
        // (A text is first a search; nothing matches it.)
        let nothing = Facts { search: Some(vec![]), ..Facts::default() };
        let (_, replies) = handle_with(m, &state, &incoming(Some("fa"), Input::Text("asdf".into())), &nothing);
        assert!(matches!(&replies[0], Reply::Send { text, .. } if text.starts_with("Извините")));
    }

    #[test]
    fn garbage_gets_a_hint_in_the_users_language_and_forged_buttons_a_short_answer() {
        let m = messages();
        let nothing = Facts { search: Some(vec![]), ..Facts::default() };
        let (_, replies) =
            handle_with(m, &Conversation::default(), &incoming(Some("tr"), Input::Text("???".into())), &nothing);
        assert!(matches!(&replies[0], Reply::Send { text, .. } if text.starts_with("Üzgünüm")));
        let forged = Input::Callback { id: "q".into(), data: "drop table".into(), message_id: Some(1) };
        let (state, replies) = handle(m, &Conversation::default(), &incoming(None, forged));
        assert_eq!(state, Conversation::default());
        assert!(matches!(&replies[0], Reply::AnswerCallback { text: Some(_), .. }));
    }

    #[test]
    fn state_round_trips_and_unreadable_state_starts_afresh() {
        let s = Conversation {
            lang: Some("fa".into()),
            step: Step::ChoosingLanguage { message_id: Some(3) },
            ..Conversation::default()
        };
        assert_eq!(Conversation::from_json(Some(&s.to_json())), s);
        assert_eq!(Conversation::from_json(Some("{\"step\":\"from_the_future\"}")), Conversation::default());
    }
}
