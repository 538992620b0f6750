//! A message kind, its context and a language → the words sent. Clinic overrides of a
//! template's text (validated when saved) take precedence over the catalogue.

use crate::context::MessageContext;
use crate::kind::MessageKind;
use nobat_i18n::{Lang, Messages, Overrides, RenderError};

/// A rendered message. `text` is plain (RTL-marked for `fa`/`ar`); `html` for email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
}

/// Renders `kind` in `lang`. (Filled in by the language work; see issue 12.)
pub fn render(
    messages: &Messages,
    overrides: &Overrides,
    kind: MessageKind,
    lang: Lang,
    ctx: &MessageContext,
) -> Result<Rendered, RenderError> {
    let _ = (messages, overrides, kind, lang, ctx);
    unimplemented!("nobat_notify::render is being written (issue 12)")
}
