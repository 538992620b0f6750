//! Accounts and access: who is calling ([`principal`]), what they may do ([`grant`]), and the
//! secrets that make both trustworthy ([`keys`], [`password`], [`totp`], [`links`]), plus rate
//! limits ([`limits`]) and security headers ([`headers`]).

pub mod grant;
pub mod headers;
pub mod keys;
pub mod limits;
pub mod links;
pub mod password;
pub mod principal;
pub mod totp;
pub mod vault;

use jiff::SignedDuration;
use std::sync::Arc;

/// Everything the auth layer needs, built once at start-up.
pub struct AuthConfig {
    pub keys: keys::Keys,
    pub limits: Arc<limits::Limits>,
    /// Where people reach this instance (`https://clinic.example`), for links and for deciding
    /// whether cookies are `Secure` and HSTS is sent.
    pub public_url: String,
    /// A session ends after this long without use.
    pub session_idle: SignedDuration,
    /// How long a one-time code and a contact proof stay valid.
    pub code_ttl: SignedDuration,
    pub proof_ttl: SignedDuration,
}

impl AuthConfig {
    pub fn new(keys: keys::Keys, limits: limits::LimitSettings, public_url: String) -> Self {
        Self {
            keys,
            limits: Arc::new(limits::Limits::new(limits)),
            public_url: public_url.trim_end_matches('/').to_owned(),
            session_idle: SignedDuration::from_hours(12),
            code_ttl: SignedDuration::from_mins(10),
            proof_ttl: SignedDuration::from_mins(30),
        }
    }

    /// Served over TLS (as seen by the browser): cookies are `Secure`, HSTS is sent.
    pub fn tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
