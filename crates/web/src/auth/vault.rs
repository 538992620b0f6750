//! Secrets Nobat must read back (a clinic's SMS/Telegram/WhatsApp credentials, a webhook's
//! signing secret), sealed at rest as TOTP secrets are: ChaCha20-Poly1305 under a key derived
//! from the instance secret, base64url(nonce ‖ ciphertext). The sealed value is bound to
//! where it belongs (`aad`, e.g. `clinic/{id}/channel/sms`), so a row copied to another clinic
//! or channel in the database does not open there.

use super::keys::Keys;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;

/// Encrypts `secret` for the database, bound to `aad`.
pub fn seal(keys: &Keys, aad: &str, secret: &[u8]) -> String {
    let cipher = ChaCha20Poly1305::new((&keys.channel_key).into());
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&Nonce::from(nonce), Payload { msg: secret, aad: aad.as_bytes() }).unwrap_or_default());
    URL_SAFE_NO_PAD.encode(out)
}

/// Decrypts what [`seal`] wrote for the same `aad`; `None` if tampered with, moved, or the
/// instance secret changed.
pub fn open(keys: &Keys, aad: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, ct) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    ChaCha20Poly1305::new((&keys.channel_key).into())
        .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: aad.as_bytes() })
        .ok()
}

/// Where a clinic's credentials for `channel` belong.
pub fn credentials_aad(clinic: &str, channel: &str) -> String {
    format!("clinic/{clinic}/channel/{channel}")
}

/// Where a webhook endpoint's secret belongs.
pub fn webhook_aad(clinic: &str, endpoint: &str) -> String {
    format!("clinic/{clinic}/webhook/{endpoint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_place() {
        let keys = Keys::from_master(&[7u8; 32]);
        let other = Keys::from_master(&[8u8; 32]);
        let sealed = seal(&keys, "clinic/a/channel/sms", b"token");
        assert_eq!(open(&keys, "clinic/a/channel/sms", &sealed).as_deref(), Some(&b"token"[..]));
        assert_eq!(open(&keys, "clinic/b/channel/sms", &sealed), None, "moved to another clinic");
        assert_eq!(open(&other, "clinic/a/channel/sms", &sealed), None, "another instance secret");
        assert!(!sealed.contains("token"));
    }
}
