//! The patient's side of the bot: find a clinic, service and practitioner (buttons or text
//! search), pick a day and a time, give name and phone once, and book — all in one message
//! edited in place, with no I/O: data comes in [`Facts`], asked for with [`Need`].
//!
//! Stored with the conversation (JSON, so new fields get `#[serde(default)]`): the profile
//! (name and the phone Telegram shared, remembered for the chat) and the flow under way.
//! Buttons carry short data (`b:<stage>:<index>`) that indexes the options stored with the
//! flow: never an id longer than Telegram's 64 bytes, and a button from an older menu is
//! recognised (its message or stage no longer matches) instead of acting on the wrong thing.

pub mod facts;
mod view;

use crate::api::Keyboard;
use crate::conversation::Reply;
pub use facts::{Booked, Facts, Found, Item, Need, Order, SlotFact};
use nobat_i18n::catalog::Args;
use nobat_i18n::{Lang, Messages};
use serde::{Deserialize, Serialize};

/// Callback prefix of the booking flow's buttons.
pub const BOOK: &str = "b:";
/// The main menu's "book" button.
pub const MENU_BOOK: &str = "m:book";
/// How many days and times one menu offers (a phone screen's worth).
const MAX_DAYS: usize = 7;
const MAX_TIMES: usize = 12;
const MAX_FOUND: usize = 8;

/// What the patient told the bot once and it remembers for the chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// Where the booking flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Found,
    Clinic,
    Service,
    Practitioner,
    Day,
    Time,
    Name,
    Phone,
}

impl Stage {
    /// The letter in the buttons' data.
    fn letter(self) -> &'static str {
        match self {
            Stage::Found => "f",
            Stage::Clinic => "c",
            Stage::Service => "s",
            Stage::Practitioner => "p",
            Stage::Day => "d",
            Stage::Time => "t",
            Stage::Name => "n",
            Stage::Phone => "h",
        }
    }
}

/// A booking under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// The menu message edited in place; `None` until Telegram gives the id of one just sent.
    #[serde(default)]
    pub message_id: Option<i64>,
    pub stage: Stage,
    #[serde(default)]
    pub clinic: Option<Item>,
    #[serde(default)]
    pub service: Option<Item>,
    /// `None`: anyone free.
    #[serde(default)]
    pub practitioner: Option<Item>,
    /// The local date chosen (`YYYY-MM-DD`).
    #[serde(default)]
    pub day: Option<String>,
    #[serde(default)]
    pub slot: Option<SlotFact>,
    /// What each button of the current menu stands for (JSON), by index.
    #[serde(default)]
    pub options: Vec<String>,
}

impl Flow {
    fn new() -> Flow {
        Flow {
            message_id: None,
            stage: Stage::Clinic,
            clinic: None,
            service: None,
            practitioner: None,
            day: None,
            slot: None,
            options: Vec::new(),
        }
    }
}

/// The patient part of a conversation's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientState {
    #[serde(default)]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub flow: Option<Flow>,
}

impl PatientState {
    /// A menu just sent becomes the message later edited.
    pub fn remember_sent(&mut self, message_id: i64) {
        if let Some(f) = &mut self.flow
            && f.message_id.is_none()
        {
            f.message_id = Some(message_id);
        }
    }
}

/// What a patient-flow step works with.
pub struct Ctx<'a> {
    pub messages: &'a Messages,
    pub lang: Lang,
    pub facts: &'a Facts,
}

impl Ctx<'_> {
    pub(crate) fn t(&self, key: &str, args: &Args) -> String {
        self.messages.render(self.lang, key, args).unwrap_or_else(|_| key.to_owned())
    }
}

/// A step's result: replies, or the data it needs first.
pub type Step = Result<Vec<Reply>, Need>;

/// Takes a fact or asks for it.
fn need<T: Clone>(have: &Option<T>, ask: Need) -> Result<T, Need> {
    have.clone().ok_or(ask)
}

/// Where a menu goes: over the message tapped, or in a new message.
#[derive(Clone, Copy)]
enum Place {
    Edit(i64),
    New,
}

fn put(place: Place, flow: Option<&mut Flow>, text: String, keyboard: Option<Keyboard>) -> Reply {
    match place {
        Place::Edit(message_id) => Reply::Edit { message_id, text, keyboard },
        Place::New => {
            // The new message becomes the menu (its id arrives through `remember_sent`).
            if let Some(f) = flow {
                f.message_id = None;
            }
            Reply::Send { text, keyboard }
        }
    }
}

/// `/book` or the menu's button: a fresh flow from the clinic.
pub fn start(ctx: &Ctx, st: &mut PatientState, edit: Option<i64>) -> Step {
    let mut flow = Flow::new();
    let place = edit.map_or(Place::New, Place::Edit);
    flow.message_id = edit;
    let reply = enter(ctx, st, &mut flow, place, Stage::Clinic, None)?;
    Ok(reply)
}

/// Shows `stage` (or the first later stage with a choice to make) and stores the flow.
fn enter(ctx: &Ctx, st: &mut PatientState, flow: &mut Flow, place: Place, stage: Stage, note: Option<String>) -> Step {
    match view::menu(ctx, flow, stage)? {
        view::Menu::Show { text, keyboard } => {
            let text = match note {
                Some(n) => format!("{n}\n\n{text}"),
                None => text,
            };
            let reply = put(place, Some(flow), text, keyboard);
            st.flow = Some(flow.clone());
            Ok(vec![reply])
        }
        view::Menu::Done(text) => {
            // Nothing to choose from (no clinic, no service, no free time): say so and stop.
            st.flow = None;
            let text = match note {
                Some(n) => format!("{n}\n\n{text}"),
                None => text,
            };
            Ok(vec![put(place, None, text, None)])
        }
        view::Menu::Book => book(ctx, st, flow, place),
    }
}

/// A tap on one of the flow's buttons (`b:…`) or the menu's book button.
pub fn on_callback(ctx: &Ctx, st: &mut PatientState, id: &str, data: &str, message_id: Option<i64>) -> Step {
    let answer = Reply::AnswerCallback { id: id.to_owned(), text: None };
    if data == MENU_BOOK {
        let mut replies = vec![answer];
        replies.extend(start(ctx, st, message_id)?);
        return Ok(replies);
    }
    let stale = || Ok(vec![Reply::AnswerCallback { id: id.to_owned(), text: Some(ctx.t("bot-stale", &Args::new())) }]);
    let Some(mut flow) = st.flow.clone() else { return stale() };
    let rest = data.strip_prefix(BOOK).unwrap_or("");
    let (letter, index) = rest.split_once(':').unwrap_or((rest, ""));
    // Only the current menu's buttons act: an older message's, or the same message at an
    // earlier stage (a double tap), would pick from the wrong list.
    if message_id.is_none() || message_id != flow.message_id || letter != flow.stage.letter() {
        return stale();
    }
    let place = message_id.map_or(Place::New, Place::Edit);
    let option = index.parse::<usize>().ok().and_then(|i| flow.options.get(i)).cloned();
    let mut replies = vec![answer];
    let next = match (flow.stage, option) {
        (Stage::Found, Some(o)) => {
            let Ok(hit) = serde_json::from_str::<Found>(&o) else { return stale() };
            flow.clinic = Some(hit.clinic);
            let then = if hit.service.is_some() { Stage::Practitioner } else { Stage::Service };
            flow.service = hit.service;
            enter(ctx, st, &mut flow, place, then, None)?
        }
        (Stage::Clinic, Some(o)) => {
            flow.clinic = serde_json::from_str(&o).ok();
            enter(ctx, st, &mut flow, place, Stage::Service, None)?
        }
        (Stage::Service, Some(o)) => {
            flow.service = serde_json::from_str(&o).ok();
            enter(ctx, st, &mut flow, place, Stage::Practitioner, None)?
        }
        (Stage::Practitioner, o) => {
            // `b:p:any` (no option) is "anyone free".
            flow.practitioner = o.and_then(|o| serde_json::from_str(&o).ok());
            enter(ctx, st, &mut flow, place, Stage::Day, None)?
        }
        (Stage::Day, Some(o)) => {
            flow.day = Some(o);
            enter(ctx, st, &mut flow, place, Stage::Time, None)?
        }
        (Stage::Time, Some(o)) => {
            let Ok(slot) = serde_json::from_str::<SlotFact>(&o) else { return stale() };
            flow.slot = Some(slot);
            match &st.profile {
                Some(Profile { phone: Some(_), .. }) => book(ctx, st, &mut flow, place)?,
                _ => enter(ctx, st, &mut flow, place, Stage::Name, None)?,
            }
        }
        _ => return stale(),
    };
    replies.extend(next);
    Ok(replies)
}

/// Text while the bot listens: a name when it asked for one, else a search. `None`: not
/// understood (the caller answers with the hint).
pub fn on_text(ctx: &Ctx, st: &mut PatientState, text: &str) -> Option<Step> {
    let text = text.trim();
    if text == "/book" || text.starts_with("/book@") {
        return Some(start(ctx, st, None));
    }
    if let Some(mut flow) = st.flow.clone() {
        match flow.stage {
            Stage::Name => {
                let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let count = name.chars().count();
                if text.starts_with('/') || !(2..=100).contains(&count) {
                    return Some(Ok(vec![Reply::Send {
                        text: ctx.t("bot-name-invalid", &Args::new()),
                        keyboard: None,
                    }]));
                }
                st.profile = Some(Profile { name, phone: st.profile.as_ref().and_then(|p| p.phone.clone()) });
                return Some(if st.profile.as_ref().is_some_and(|p| p.phone.is_some()) {
                    book(ctx, st, &mut flow, Place::New)
                } else {
                    flow.stage = Stage::Phone;
                    st.flow = Some(flow);
                    Ok(vec![ask_phone(ctx, st)])
                });
            }
            // Only the button gives a number Telegram vouches for; ask again.
            Stage::Phone => return Some(Ok(vec![ask_phone(ctx, st)])),
            _ => {}
        }
    }
    if text.starts_with('/') || text.chars().count() < 2 {
        return None;
    }
    let hits = match need(&ctx.facts.search, Need::Search(text.to_owned())) {
        Ok(h) => h,
        Err(n) => return Some(Err(n)),
    };
    if hits.is_empty() {
        return None;
    }
    let mut flow = Flow::new();
    let step = if let [hit] = hits.as_slice() {
        flow.clinic = Some(hit.clinic.clone());
        flow.service = hit.service.clone();
        let then = if hit.service.is_some() { Stage::Practitioner } else { Stage::Service };
        enter(ctx, st, &mut flow, Place::New, then, None)
    } else {
        flow.stage = Stage::Found;
        let mut rows = Vec::new();
        for (i, hit) in hits.iter().take(MAX_FOUND).enumerate() {
            let label = match &hit.service {
                Some(s) => format!("{} — {}", s.name, hit.clinic.name),
                None => hit.clinic.name.clone(),
            };
            flow.options.push(serde_json::to_string(hit).unwrap_or_default());
            rows.push(vec![(label, format!("{BOOK}f:{i}"))]);
        }
        let text = ctx.t("bot-search-results", &Args::new().str("query", text));
        let reply = put(Place::New, Some(&mut flow), text, Some(Keyboard::Inline(rows)));
        st.flow = Some(flow);
        Ok(vec![reply])
    };
    Some(step)
}

/// The phone Telegram shared (the user's own: `update.rs` checks). `None` when no booking
/// waits for it.
pub fn on_contact(ctx: &Ctx, st: &mut PatientState, phone: &str) -> Option<Step> {
    let mut flow = st.flow.clone().filter(|f| f.stage == Stage::Phone)?;
    let name = st.profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    st.profile = Some(Profile { name, phone: Some(phone.to_owned()) });
    Some(book(ctx, st, &mut flow, Place::New))
}

fn ask_phone(ctx: &Ctx, st: &PatientState) -> Reply {
    let name = st.profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    Reply::Send {
        text: ctx.t("bot-ask-phone", &Args::new().str("name", name)),
        keyboard: Some(Keyboard::ShareContact(ctx.t("bot-share-phone", &Args::new()))),
    }
}

/// Books the chosen slot through the shell (the ordinary booking command), then confirms,
/// or offers the next free times when someone else was quicker.
fn book(ctx: &Ctx, st: &mut PatientState, flow: &mut Flow, place: Place) -> Step {
    let (Some(clinic), Some(service), Some(slot), Some(Profile { name, phone: Some(phone) })) =
        (&flow.clinic, &flow.service, &flow.slot, &st.profile)
    else {
        st.flow = None;
        return Ok(vec![Reply::Send { text: ctx.t("bot-stale", &Args::new()), keyboard: None }]);
    };
    let order = Order {
        clinic: clinic.id.clone(),
        service: service.id.clone(),
        slot: slot.clone(),
        name: name.clone(),
        phone: phone.clone(),
        lang: ctx.lang.code().to_owned(),
    };
    // After the contact button Telegram keeps showing that keyboard until a message removes it.
    let after_contact = matches!(place, Place::New);
    match need(&ctx.facts.booked, Need::Book(Box::new(order)))? {
        Booked::Done { manage_url } => {
            let args = Args::new()
                .str("service", service.name.clone())
                .str("practitioner", slot.practitioner.name.clone())
                .str("when", view::when(ctx, slot))
                .str("clinic", clinic.name.clone());
            st.flow = None;
            // The link goes after the text, not in a placeable: right-to-left catalogues wrap
            // placeables in isolation marks, which must not end up inside a URL.
            let text = format!("{}\n{manage_url}", ctx.t("bot-booked", &args));
            let keyboard = after_contact.then_some(Keyboard::Remove);
            Ok(vec![match place {
                Place::Edit(message_id) => Reply::Edit { message_id, text, keyboard: None },
                Place::New => Reply::Send { text, keyboard },
            }])
        }
        Booked::Taken => {
            flow.slot = None;
            let note = ctx.t("bot-slot-taken", &Args::new());
            let mut replies = Vec::new();
            if after_contact {
                replies.push(Reply::Send {
                    text: ctx.t("bot-phone-saved", &Args::new()),
                    keyboard: Some(Keyboard::Remove),
                });
            }
            replies.extend(enter(ctx, st, flow, place, Stage::Time, Some(note))?);
            Ok(replies)
        }
        Booked::Refused => {
            st.flow = None;
            let text = ctx.t("bot-book-failed", &Args::new());
            let keyboard = after_contact.then_some(Keyboard::Remove);
            Ok(vec![match place {
                Place::Edit(message_id) => Reply::Edit { message_id, text, keyboard: None },
                Place::New => Reply::Send { text, keyboard },
            }])
        }
    }
}

/// The main menu's keyboard (shown after the language is chosen).
pub fn menu_keyboard(ctx: &Ctx) -> Keyboard {
    Keyboard::Inline(vec![vec![(ctx.t("bot-menu-book", &Args::new()), MENU_BOOK.to_owned())]])
}

#[cfg(test)]
mod tests;
