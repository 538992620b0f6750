//! Encryption at rest for clinical content (visit notes, form answers, secure messages,
//! attachments): a stolen database file or data directory alone reveals none of it.
//!
//! Unlike [`nobat_web::auth::vault`] (one key derived from the instance secret, for
//! credentials), clinical data is sealed under a *key ring*: numbered 32-byte keys, one of them
//! current. Every sealed value names the key that sealed it (`nb1.{key id}.{base64url(nonce ‖
//! ciphertext)}`), so rotating is "add a key, make it current, re-seal what the old keys sealed"
//! and reads keep working in the middle of a rotation. The `aad` binds a value to where it
//! belongs (`clinic/{c}/note/{id}/body`): a ciphertext copied to another row or clinic does not
//! open there.
//!
//! This module is pure (no I/O): loading the ring from the configuration or the data
//! directory and the rotation command live in the application.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;

const PREFIX: &str = "nb1";

/// The key ring. `Debug` never prints key material.
#[derive(Clone)]
pub struct DataKeys {
    current: u32,
    keys: Vec<(u32, [u8; 32])>,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u32> = self.keys.iter().map(|(id, _)| *id).collect();
        write!(f, "DataKeys(current {}, ids {ids:?}, <redacted>)", self.current)
    }
}

/// Why a key ring could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    #[error("the key ring is empty")]
    Empty,
    #[error("entry {0:?} is not `ID:BASE64URL` with a 32-byte key")]
    Malformed(String),
    #[error("key id {0} appears twice")]
    Duplicate(u32),
}

impl DataKeys {
    /// A ring with one key, id 1.
    pub fn single(key: [u8; 32]) -> Self {
        Self { current: 1, keys: vec![(1, key)] }
    }

    /// A fresh random key (for a first start).
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::single(key)
    }

    /// Reads `1:BASE64URL,2:BASE64URL` (the form written by [`DataKeys::to_text`]); the
    /// highest id is current.
    pub fn parse(text: &str) -> Result<Self, KeyRingError> {
        let mut keys: Vec<(u32, [u8; 32])> = Vec::new();
        for entry in text.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || KeyRingError::Malformed(entry.chars().take(6).collect::<String>() + "…");
            let (id, b64) = entry.split_once(':').ok_or_else(bad)?;
            let id: u32 = id.trim().parse().map_err(|_| bad())?;
            let bytes = URL_SAFE_NO_PAD.decode(b64.trim().trim_end_matches('=')).map_err(|_| bad())?;
            let key: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
            if keys.iter().any(|(k, _)| *k == id) {
                return Err(KeyRingError::Duplicate(id));
            }
            keys.push((id, key));
        }
        keys.sort_by_key(|(id, _)| *id);
        let current = keys.last().map(|(id, _)| *id).ok_or(KeyRingError::Empty)?;
        Ok(Self { current, keys })
    }

    /// The text form [`DataKeys::parse`] reads (secret: write it with mode 0600).
    pub fn to_text(&self) -> String {
        self.keys.iter().map(|(id, k)| format!("{id}:{}", URL_SAFE_NO_PAD.encode(k))).collect::<Vec<_>>().join("\n")
            + "\n"
    }

    /// Adds a new random key and makes it current; returns its id.
    pub fn rotate(&mut self) -> u32 {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let id = self.keys.iter().map(|(id, _)| *id).max().unwrap_or(0) + 1;
        self.keys.push((id, key));
        self.current = id;
        id
    }

    /// Drops every key but the current one (after a finished re-seal).
    pub fn retire_old(&mut self) {
        let current = self.current;
        self.keys.retain(|(id, _)| *id == current);
    }

    pub fn current_id(&self) -> u32 {
        self.current
    }

    /// The ids of the keys in the ring, ascending.
    pub fn ids(&self) -> Vec<u32> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }

    fn key(&self, id: u32) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, key)| key)
    }

    /// Encrypts `plain` under the current key, bound to `aad`.
    pub fn seal(&self, aad: &str, plain: &[u8]) -> String {
        let key = self.key(self.current).expect("the current key is in the ring");
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            ChaCha20Poly1305::new(key.into())
                .encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: aad.as_bytes() })
                .expect("ChaCha20-Poly1305 encrypts any length this process can hold"),
        );
        format!("{PREFIX}.{}.{}", self.current, URL_SAFE_NO_PAD.encode(out))
    }

    /// Decrypts what [`DataKeys::seal`] wrote for the same `aad` under any key still in the
    /// ring; `None` if tampered with, moved to another place, or its key is gone.
    pub fn open(&self, aad: &str, sealed: &str) -> Option<Vec<u8>> {
        let (id, body) = split(sealed)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        ChaCha20Poly1305::new(self.key(id)?.into())
            .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: aad.as_bytes() })
            .ok()
    }

    /// UTF-8 convenience over [`DataKeys::seal`].
    pub fn seal_str(&self, aad: &str, plain: &str) -> String {
        self.seal(aad, plain.as_bytes())
    }

    /// UTF-8 convenience over [`DataKeys::open`].
    pub fn open_str(&self, aad: &str, sealed: &str) -> Option<String> {
        String::from_utf8(self.open(aad, sealed)?).ok()
    }

    /// Whether a sealed value was written under an older key (the rotation re-seals these).
    pub fn is_stale(&self, sealed: &str) -> bool {
        split(sealed).is_some_and(|(id, _)| id != self.current)
    }
}

/// `nb1.{id}.{body}` → (id, body).
fn split(sealed: &str) -> Option<(u32, &str)> {
    let rest = sealed.strip_prefix(PREFIX)?.strip_prefix('.')?;
    let (id, body) = rest.split_once('.')?;
    Some((id.parse().ok()?, body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_ring_and_place_that_sealed_them() {
        let ring = DataKeys::single([7u8; 32]);
        let sealed = ring.seal_str("clinic/a/note/1/body", "S: نگران خواب است");
        assert!(!sealed.contains("خواب"));
        assert_eq!(ring.open_str("clinic/a/note/1/body", &sealed).as_deref(), Some("S: نگران خواب است"));
        assert_eq!(ring.open("clinic/b/note/1/body", &sealed), None, "moved to another clinic");
        assert_eq!(DataKeys::single([8u8; 32]).open("clinic/a/note/1/body", &sealed), None, "another key");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(ring.open("clinic/a/note/1/body", &tampered), None, "tampered");
        assert_ne!(ring.seal_str("x", "same"), ring.seal_str("x", "same"), "a fresh nonce each time");
    }

    #[test]
    fn rotation_keeps_old_values_readable_until_retired() {
        let mut ring = DataKeys::single([1u8; 32]);
        let old = ring.seal_str("p", "old");
        assert!(!ring.is_stale(&old));
        assert_eq!(ring.rotate(), 2);
        assert!(ring.is_stale(&old));
        assert_eq!(ring.open_str("p", &old).as_deref(), Some("old"));
        let new = ring.seal_str("p", "new");
        assert!(new.starts_with("nb1.2."));
        let reparsed = DataKeys::parse(&ring.to_text()).unwrap();
        assert_eq!(reparsed.current_id(), 2);
        assert_eq!(reparsed.open_str("p", &old).as_deref(), Some("old"));
        ring.retire_old();
        assert_eq!(ring.open("p", &old), None, "the retired key is gone");
        assert_eq!(ring.open_str("p", &new).as_deref(), Some("new"));
    }

    #[test]
    fn malformed_rings_are_refused_without_echoing_key_material() {
        assert_eq!(DataKeys::parse("").unwrap_err(), KeyRingError::Empty);
        assert!(matches!(DataKeys::parse("1:short"), Err(KeyRingError::Malformed(_))));
        let k = URL_SAFE_NO_PAD.encode([3u8; 32]);
        assert_eq!(DataKeys::parse(&format!("1:{k},1:{k}")).unwrap_err(), KeyRingError::Duplicate(1));
        let err = DataKeys::parse(&format!("x:{k}")).unwrap_err().to_string();
        assert!(!err.contains(&k[6..]), "{err}");
        assert!(!format!("{:?}", DataKeys::single([9u8; 32])).contains('9'));
    }
}
