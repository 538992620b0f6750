//! Accounts as the store keeps them: users, clinic memberships, sessions, API tokens, guest
//! verifications and consents. Secrets never appear here in clear: sessions, tokens and codes
//! are keyed hashes made by the web layer, TOTP secrets arrive encrypted.

use jiff::Timestamp;
use nobat_core::access::Role;
use nobat_core::{ClinicId, ConsentId, PatientId, PractitionerId, TokenId, UserId, VerificationId};
use serde::Serialize;

/// A person who signs in: staff, an operator, or a registered patient.
#[derive(Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub is_operator: bool,
    /// Encrypted TOTP secret, once 2FA is confirmed.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// Encrypted TOTP secret between enrolment and confirmation.
    #[serde(skip)]
    pub totp_pending: Option<String>,
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl User {
    pub fn totp_enabled(&self) -> bool {
        self.totp_secret.is_some()
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("is_operator", &self.is_operator)
            .field("totp_enabled", &self.totp_enabled())
            .finish_non_exhaustive()
    }
}

/// A user's role in one clinic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub clinic: ClinicId,
    pub user: UserId,
    pub role: Role,
    pub practitioner: Option<PractitionerId>,
    pub created_at: Timestamp,
}

/// A membership with the clinic's and the user's names, for listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub membership: Membership,
    pub clinic_slug: String,
    pub clinic_name: String,
    pub email: String,
    pub name: String,
    pub totp_enabled: bool,
}

/// A signed-in browser or client. `id_hash` is the keyed hash of the secret the client holds.
#[derive(Clone, PartialEq)]
pub struct Session {
    pub id_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An API token: one clinic, one role, revocable.
#[derive(Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub clinic: ClinicId,
    pub user: UserId,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub token_hash: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// After this instant the token is refused, as if revoked.
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("clinic", &self.clinic)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// An invitation to work for a clinic, accepted by the holder of the invited address. The token
/// that accepts it is kept as a keyed hash.
#[derive(Clone, PartialEq)]
pub struct Invitation {
    pub id: String,
    pub clinic: ClinicId,
    /// Lower-cased.
    pub email: String,
    pub role: Role,
    pub practitioner: Option<PractitionerId>,
    /// A suggested name for a new account.
    pub name: Option<String>,
    pub token_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("id", &self.id)
            .field("clinic", &self.clinic)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A one-time code sent to a guest's phone or email.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub id: VerificationId,
    pub clinic: ClinicId,
    /// `phone:+98…` or `email:…`, as [`nobat_core::PatientContact::contact_key`] makes it.
    pub contact_key: String,
    pub code_hash: String,
    pub attempts: i64,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
}

/// A consent a patient gave, to one wording of one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consent {
    pub id: ConsentId,
    pub clinic: ClinicId,
    pub patient: PatientId,
    pub kind: String,
    pub text_version: String,
    pub given_at: Timestamp,
    pub withdrawn_at: Option<Timestamp>,
    pub source: String,
}

/// A clinic's security and personal-data settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ClinicSecurity {
    pub require_staff_2fa: bool,
    pub verify_guest_contact: bool,
    pub retention_days: Option<u32>,
}

/// Who a sign-in attempt is for and where it comes from, as lockout counts it: a keyed hash of
/// the lower-cased email (the same whether or not the account exists) and the client's network
/// (its IPv4 address or IPv6 /64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginKey {
    pub account: String,
    pub network: String,
}

/// The locks that apply to a sign-in attempt, read before the password is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginLock {
    /// Failures in a row from this network, and its lock.
    pub network_failures: i64,
    pub network_until: Option<Timestamp>,
    /// The account-wide lock (the ceiling over every network).
    pub account_until: Option<Timestamp>,
}

impl LoginLock {
    /// Until when this attempt is refused without being heard, if it is: while this network is
    /// locked out of the account, or while the account-wide lock holds and this network has
    /// failed before. A network with a clean record is still heard under the account-wide
    /// lock, so a stranger cannot keep the owner out.
    pub fn refused_until(&self, now: Timestamp) -> Option<Timestamp> {
        let network = self.network_until.filter(|t| *t > now);
        let account = self.account_until.filter(|t| *t > now && self.network_failures > 0);
        network.into_iter().chain(account).max()
    }
}

/// Compares two secrets' hashes without leaking where they first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // `subtle` keeps the compiler from turning the comparison back into an early exit. Only
    // the lengths (public: both are hashes or tokens of a fixed size) are compared directly.
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}
