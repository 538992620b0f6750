//! A clinic's own wording for a template, per language.
//!
//! An override is Fluent pattern text, the part after `key =` (plural selectors allowed). It
//! is validated when saved: the key must be one of ours, the text must parse, and it may use
//! only the placeables the base message offers (a typo such as `{ $pateint }` would otherwise
//! go out to every patient as an error marker). Leaving a placeable out is allowed: a clinic
//! with one location may drop `{ $location }`.

use crate::catalog::Messages;
use crate::lang::Lang;
use crate::placeables::references;
use fluent_bundle::FluentResource;
use fluent_syntax::ast::{Entry, Pattern};
use std::collections::{BTreeSet, HashMap};

/// Why an override was refused. Each variant says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("there is no template {0:?}")]
    UnknownKey(String),
    #[error("the text is empty")]
    Empty,
    #[error("the text is not valid: {0}")]
    Syntax(String),
    #[error("unknown placeables {unknown:?}; this template offers {allowed:?}")]
    UnknownPlaceables { unknown: Vec<String>, allowed: Vec<String> },
    #[error("references {0:?} are not allowed in a clinic's text; use the offered placeables")]
    ForbiddenReferences(Vec<String>),
}

/// One validated override, parsed once.
#[derive(Debug)]
pub(crate) struct Compiled {
    resource: FluentResource,
}

impl Compiled {
    fn pattern(&self) -> Option<&Pattern<&str>> {
        match self.resource.get_entry(0) {
            Some(Entry::Message(m)) => m.value.as_ref(),
            _ => None,
        }
    }
}

/// A clinic's overrides, keyed by language and template key. Only validated texts get in.
#[derive(Debug, Default)]
pub struct Overrides {
    map: HashMap<(Lang, String), Compiled>,
}

impl Overrides {
    /// Validates and stores a clinic's text for `key` in `lang`, replacing an earlier one.
    pub fn insert(&mut self, messages: &Messages, key: &str, lang: Lang, text: &str) -> Result<(), OverrideError> {
        let compiled = compile(messages, key, lang, text)?;
        self.map.insert((lang, key.to_owned()), compiled);
        Ok(())
    }

    pub fn remove(&mut self, key: &str, lang: Lang) {
        self.map.remove(&(lang, key.to_owned()));
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn pattern(&self, lang: Lang, key: &str) -> Option<&Pattern<&str>> {
        self.map.get(&(lang, key.to_owned())).and_then(Compiled::pattern)
    }
}

/// The text as the value of a one-message Fluent resource: every line indented, so a
/// multi-line text stays one message.
fn as_ftl(key: &str, text: &str) -> String {
    let mut source = format!("{key} =");
    for line in text.trim_end().lines() {
        source.push_str("\n    ");
        source.push_str(line);
    }
    source.push('\n');
    source
}

pub(crate) fn compile(messages: &Messages, key: &str, lang: Lang, text: &str) -> Result<Compiled, OverrideError> {
    let _ = lang; // every language offers the same placeables (a test proves it)
    let base = messages.base_references(key).ok_or_else(|| OverrideError::UnknownKey(key.to_owned()))?;
    if text.trim().is_empty() {
        return Err(OverrideError::Empty);
    }
    let resource = FluentResource::try_new(as_ftl(key, text)).map_err(|(_, errs)| {
        OverrideError::Syntax(errs.iter().map(|e| format!("{:?}", e.kind)).collect::<Vec<_>>().join("; "))
    })?;
    // A line starting with `.`, `[` or `*`, or a stray `key =`, turns into a second entry.
    let entries: Vec<&Entry<&str>> = resource.entries().collect();
    let pattern = match entries.as_slice() {
        [Entry::Message(m)] if m.attributes.is_empty() && m.id.name == key => m.value.as_ref(),
        _ => None,
    }
    .ok_or_else(|| OverrideError::Syntax("the text must be one message without attributes".to_owned()))?;

    let used = references(pattern);
    let unknown: Vec<String> = used.variables.difference(&base.variables).map(|v| format!("${v}")).collect();
    if !unknown.is_empty() {
        return Err(OverrideError::UnknownPlaceables {
            unknown,
            allowed: base.variables.iter().map(|v| format!("${v}")).collect(),
        });
    }
    // Message references would let a clinic's text pull in other templates (and loop);
    // functions are not registered in the bundles. Neither belongs in a clinic's wording.
    let forbidden: BTreeSet<String> =
        used.messages.iter().cloned().chain(used.functions.iter().map(|f| format!("{f}()"))).collect();
    if !forbidden.is_empty() {
        return Err(OverrideError::ForbiddenReferences(forbidden.into_iter().collect()));
    }
    Ok(Compiled { resource })
}
