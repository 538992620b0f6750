//! The instance's secret and the keys derived from it. One master secret (from config, or
//! generated into the data directory on first start) yields a separate key per purpose, so a
//! leak of one derived value says nothing about the others. Never logged: `Debug` is redacted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The derived keys. Cheap to clone behind an `Arc`.
pub struct Keys {
    /// Peppers the hashes of session and API-token secrets stored in the database.
    pub(crate) token_pepper: [u8; 32],
    /// Signs manage links and contact proofs.
    pub(crate) link_key: [u8; 32],
    /// Encrypts TOTP secrets at rest.
    pub(crate) totp_key: [u8; 32],
    /// Peppers one-time codes and recovery codes.
    pub(crate) code_pepper: [u8; 32],
    /// Encrypts clinics' channel credentials and webhook secrets at rest (`vault.rs`).
    pub(crate) channel_key: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

fn derive(master: &[u8], purpose: &str) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(b"nobat/");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keys {
    /// Derives every key from the master secret (at least 32 bytes).
    pub fn from_master(master: &[u8]) -> Self {
        Self {
            token_pepper: derive(master, "token-pepper"),
            link_key: derive(master, "link-key"),
            totp_key: derive(master, "totp-key"),
            code_pepper: derive(master, "code-pepper"),
            channel_key: derive(master, "channel-key"),
        }
    }

    /// Keyed hash of a session or API-token secret, as stored.
    pub fn token_hash(&self, secret: &str) -> String {
        hex::encode(mac(&self.token_pepper, &[secret.as_bytes()]))
    }

    /// Keyed hash of a one-time or recovery code, bound to what it is for.
    pub fn code_hash(&self, scope: &str, code: &str) -> String {
        hex::encode(mac(&self.code_pepper, &[scope.as_bytes(), b"\0", code.as_bytes()]))
    }
}

/// A public fingerprint of the master secret (a key derived for nothing else, in hex): stored
/// in the database so that processes sharing it can tell they share the secret. It reveals
/// nothing about the secret or the other keys.
pub fn fingerprint(master: &[u8]) -> String {
    hex::encode(derive(master, "fingerprint"))
}

pub(crate) fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// `n` random bytes from the operating system's CSPRNG (via `rand`'s thread RNG, reseeded
/// from the OS), base64url without padding.
pub fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new master secret, for the data directory's `secret.key`.
pub fn new_master() -> String {
    // base64url may begin with `-`, and an operator pastes this after `--secret-key`, where a
    // leading dash reads as another flag (one secret in 64 did): draw again until it does not.
    loop {
        let secret = random_b64(48);
        if !secret.starts_with('-') {
            return secret;
        }
    }
}

/// Reads a master secret as written by [`new_master`] (or any base64url of 32+ bytes).
pub fn parse_master(text: &str) -> Result<Vec<u8>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| "the secret key must be base64url (as `nobat` generates it)".to_owned())?;
    if bytes.len() < 32 {
        return Err("the secret key must be at least 32 bytes".into());
    }
    Ok(bytes)
}
