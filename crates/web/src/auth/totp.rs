//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps, one step of
//! clock drift either way) and recovery codes. Secrets are encrypted at rest with
//! ChaCha20-Poly1305 under a key derived from the instance secret.

use super::keys::Keys;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

const STEP: u64 = 30;

/// A fresh 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 20];
    rand::rng().fill_bytes(&mut s);
    s
}

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(secret.to_vec())
        .with_issuer(Some("Nobat"))
        .with_account_name(account)
        .build()
        .ok()
}

/// The secret in base32, for typing into an authenticator app.
pub fn base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://` URL an authenticator app reads (usually from a QR code).
pub fn otpauth_url(secret: &[u8], account: &str) -> String {
    totp(secret, account).and_then(|t| t.to_url().ok()).unwrap_or_default()
}

/// The code for a given Unix time (tests and the demo use it).
pub fn code_at(secret: &[u8], unix: u64) -> String {
    totp(secret, "x").map(|t| t.generate(unix).to_string()).unwrap_or_default()
}

/// The time step whose code `code` is, within one step of `now`, or `None`.
pub fn check(secret: &[u8], code: &str, now_unix: u64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x")?;
    let step = now_unix / STEP;
    [step.saturating_sub(1), step, step + 1].into_iter().find_map(|s| {
        {
            let expected = t.generate(s * STEP).to_string();
            super::keys::mac(b"cmp", &[expected.as_bytes()]) == super::keys::mac(b"cmp", &[code.as_bytes()])
        }
        .then_some(s as i64)
    })
}

/// Encrypts a secret for the database: base64url(nonce ‖ ciphertext).
pub fn seal(keys: &Keys, secret: &[u8]) -> String {
    let cipher = ChaCha20Poly1305::new((&keys.totp_key).into());
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&Nonce::from(nonce), secret).unwrap_or_default());
    URL_SAFE_NO_PAD.encode(out)
}

/// Decrypts what [`seal`] wrote; `None` if it was tampered with or the key changed.
pub fn open(keys: &Keys, sealed: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, ct) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    ChaCha20Poly1305::new((&keys.totp_key).into()).decrypt(&Nonce::from(nonce), ct).ok()
}

/// Ten single-use recovery codes like `k3f9-x2mq-7hpa`.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| {
            let mut s = String::with_capacity(14);
            for i in 0..12 {
                if i > 0 && i % 4 == 0 {
                    s.push('-');
                }
                s.push(ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char);
            }
            s
        })
        .collect()
}

/// A recovery code as typed (any case, with or without dashes and spaces), normalised.
pub fn normalise_recovery(code: &str) -> String {
    let raw: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    raw.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 digits are ours).
    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected8) in
            [(59u64, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924"), (2_000_000_000, "69279037")]
        {
            assert_eq!(code_at(secret, t), expected8[2..], "t = {t}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_no_more() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let step = (now / 30) as i64;
        assert_eq!(check(&secret, &code_at(&secret, now), now), Some(step));
        assert_eq!(check(&secret, &code_at(&secret, now - 30), now), Some(step - 1));
        assert_eq!(check(&secret, &code_at(&secret, now + 30), now), Some(step + 1));
        assert_eq!(check(&secret, &code_at(&secret, now - 90), now), None);
        assert_eq!(check(&secret, "12345", now), None);
        assert_eq!(check(&secret, "abcdef", now), None);
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key() {
        let keys = Keys::from_master(&[7u8; 32]);
        let other = Keys::from_master(&[8u8; 32]);
        let secret = new_secret();
        let sealed = seal(&keys, &secret);
        assert_eq!(open(&keys, &sealed), Some(secret.clone()));
        assert_eq!(open(&other, &sealed), None);
        assert_ne!(seal(&keys, &secret), sealed, "a fresh nonce each time");
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalise() {
        let codes = recovery_codes();
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        assert_eq!(normalise_recovery(" K3F9 X2MQ-7hpa "), "k3f9-x2mq-7hpa");
    }
}
