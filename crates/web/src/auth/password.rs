//! Passwords: argon2id with the crate's recommended parameters (19 MiB, 2 passes), hashed and
//! checked on the blocking pool so a burst of logins never stalls request handling.

use crate::problem::{ApiError, ApiResult};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::LazyLock;

/// A hash of a random password, checked when the account does not exist so that a wrong
/// email and a wrong password take the same time.
static DUMMY: LazyLock<String> = LazyLock::new(|| hash_now(&super::keys::random_b64(16)).unwrap_or_default());

/// Checks a new password against the policy: 10 to 256 characters. Length beats composition
/// rules (NIST SP 800-63B).
pub fn check_policy(field: &str, password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    if !(10..=256).contains(&n) {
        return Err(ApiError::invalid(field, "use a password of 10 to 256 characters; a few words make a good one"));
    }
    Ok(())
}

fn hash_now(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// At most this many hashes at once (one per core): each takes 19 MiB and a core for tens of
/// milliseconds, so a flood of sign-ins queues here instead of exhausting memory.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
});

/// Hashes a password (argon2id PHC string).
pub async fn hash(password: String) -> ApiResult<String> {
    let _permit = HASHING.acquire().await.map_err(|_| internal())?;
    tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(|_| internal())?.map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        internal()
    })
}

/// Whether `password` matches `stored` (or, with `None`, spends the same time and says no).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(_permit) = HASHING.acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        let real = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY.clone());
        let ok = PasswordHash::new(&stored)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        ok && real
    })
    .await
    .unwrap_or(false)
}

/// A random password for accounts created by someone else (printed once).
pub fn generate() -> String {
    super::keys::random_b64(15)
}

fn internal() -> ApiError {
    ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "please try again")
}

/// Synchronous hashing for the command line.
pub fn hash_blocking(password: &str) -> Result<String, String> {
    hash_now(password)
}
