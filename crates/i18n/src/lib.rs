pub mod datetime;
pub mod lang;
pub use datetime::{CalendarPref, format_civil_date, format_civil_date_plain, format_date, format_datetime, format_time};
pub use lang::{Dir, Lang, UnknownLang};
