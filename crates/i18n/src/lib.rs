//! Nobat's language layer, built once for every front end (messages, pages, the Telegram
//! bot, problem+json): six languages (`en fa ar fr ru tr`), Fluent catalogues with plural
//! rules, clinic overrides validated when saved, dates and times through ICU4X in the
//! location's zone, and right-to-left marking.
//!
//! ```
//! use nobat_i18n::{Args, Lang, Messages};
//! let messages = Messages::load().unwrap();
//! let lang = Lang::negotiate(Lang::from_tag("fa-IR"), Some(Lang::En));
//! let text = messages.render(lang, "queue-come-to-room", &Args::new().str("patient", "Sara").num("room", 3)).unwrap();
//! assert!(text.contains('۳'));
//! ```
//!
//! See `crates/i18n/README.md` for adding a language, a key or an override.

pub mod catalog;
pub mod datetime;
pub mod lang;
pub mod overrides;
pub mod placeables;
pub mod rtl;

pub use catalog::{Args, CatalogueError, Messages, RenderError};
pub use datetime::{
    CalendarPref, format_civil_date, format_civil_date_plain, format_date, format_datetime, format_time,
};
pub use lang::{Dir, Lang, UnknownLang};
pub use overrides::{OverrideError, Overrides};
pub use rtl::{html_dir, sms_plain_spaces, wrap_plain_rtl};
