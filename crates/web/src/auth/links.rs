//! Signed capabilities handed to guests: the private *manage link* of a booking, and the
//! *contact proof* a confirmed one-time code yields. Both are stateless: HMAC-SHA256 over what
//! they grant and until when, truncated to 128 bits, base64url. Nothing to store, nothing to
//! look up; they expire by themselves.

use super::keys::{Keys, mac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use nobat_core::{AppointmentId, ClinicId};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const TAG: usize = 16;

fn sign(keys: &Keys, purpose: &[u8], body: &[u8]) -> String {
    let tag = mac(&keys.link_key, &[purpose, body]);
    let mut out = body.to_vec();
    out.extend_from_slice(&tag[..TAG]);
    URL_SAFE_NO_PAD.encode(out)
}

fn open(keys: &Keys, purpose: &[u8], token: &str, body_len: usize) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if bytes.len() != body_len + TAG {
        return None;
    }
    let (body, tag) = bytes.split_at(body_len);
    let expected = mac(&keys.link_key, &[purpose, body]);
    let same: bool = subtle::ConstantTimeEq::ct_eq(&expected[..TAG], tag).into();
    same.then(|| body.to_vec())
}

fn expiry(body: &[u8]) -> Option<Timestamp> {
    let secs = i64::from_be_bytes(body.get(..8)?.try_into().ok()?);
    Timestamp::from_second(secs).ok()
}

/// The manage link token of one appointment, valid until `until` (its end).
pub fn manage_token(keys: &Keys, clinic: ClinicId, appointment: AppointmentId, until: Timestamp) -> String {
    let mut body = until.as_second().to_be_bytes().to_vec();
    body.extend_from_slice(clinic.0.as_bytes());
    body.extend_from_slice(appointment.0.as_bytes());
    sign(keys, b"manage", &body)
}

/// Why a link does not open.
#[derive(Debug, PartialEq, Eq)]
pub enum LinkError {
    Invalid,
    Expired,
}

/// The clinic and appointment a manage token grants, if it is genuine and not expired.
pub fn open_manage(keys: &Keys, token: &str, now: Timestamp) -> Result<(ClinicId, AppointmentId), LinkError> {
    let body = open(keys, b"manage", token, 40).ok_or(LinkError::Invalid)?;
    if expiry(&body).ok_or(LinkError::Invalid)? <= now {
        return Err(LinkError::Expired);
    }
    let clinic = Uuid::from_slice(&body[8..24]).map_err(|_| LinkError::Invalid)?;
    let appointment = Uuid::from_slice(&body[24..40]).map_err(|_| LinkError::Invalid)?;
    Ok((ClinicId(clinic), AppointmentId(appointment)))
}

fn contact_digest(contact_key: &str) -> [u8; 16] {
    let d = Sha256::digest(contact_key.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Proof that whoever holds it confirmed a code sent to `contact_key`, for one clinic.
pub fn contact_proof(keys: &Keys, clinic: ClinicId, contact_key: &str, until: Timestamp) -> String {
    let mut body = until.as_second().to_be_bytes().to_vec();
    body.extend_from_slice(clinic.0.as_bytes());
    body.extend_from_slice(&contact_digest(contact_key));
    sign(keys, b"contact", &body)
}

/// Whether `proof` shows `contact_key` was confirmed for `clinic` and has not expired.
pub fn check_contact_proof(keys: &Keys, proof: &str, clinic: ClinicId, contact_key: &str, now: Timestamp) -> bool {
    let Some(body) = open(keys, b"contact", proof, 40) else { return false };
    expiry(&body).is_some_and(|t| t > now)
        && body[8..24] == *clinic.0.as_bytes()
        && body[24..40] == contact_digest(contact_key)
}

/// The patient's token for their own ticket ("my place"): who holds it sees that ticket's
/// position and call, and nothing else. Valid until `until` (two days after it was issued).
pub fn ticket_token(keys: &Keys, clinic: ClinicId, ticket: nobat_core::TicketId, until: Timestamp) -> String {
    let mut body = until.as_second().to_be_bytes().to_vec();
    body.extend_from_slice(clinic.0.as_bytes());
    body.extend_from_slice(ticket.0.as_bytes());
    sign(keys, b"ticket", &body)
}

/// The clinic and ticket a ticket token grants, if genuine and not expired.
pub fn open_ticket(keys: &Keys, token: &str, now: Timestamp) -> Option<(ClinicId, nobat_core::TicketId)> {
    let body = open(keys, b"ticket", token, 40)?;
    if expiry(&body)? <= now {
        return None;
    }
    let clinic = Uuid::from_slice(&body[8..24]).ok()?;
    let ticket = Uuid::from_slice(&body[24..40]).ok()?;
    Some((ClinicId(clinic), nobat_core::TicketId(ticket)))
}

/// The token of a join link (the QR code at the entrance): the clinic and the link's id,
/// signed. It does not expire; the link's row says whether it was revoked.
pub fn join_token(keys: &Keys, clinic: ClinicId, link: nobat_core::JoinLinkId) -> String {
    let mut body = clinic.0.as_bytes().to_vec();
    body.extend_from_slice(link.0.as_bytes());
    sign(keys, b"join", &body)
}

/// The clinic and link a join token names, if genuine (revocation is the caller's check).
pub fn open_join(keys: &Keys, token: &str) -> Option<(ClinicId, nobat_core::JoinLinkId)> {
    let body = open(keys, b"join", token, 32)?;
    let clinic = Uuid::from_slice(&body[..16]).ok()?;
    let link = Uuid::from_slice(&body[16..32]).ok()?;
    Some((ClinicId(clinic), nobat_core::JoinLinkId(link)))
}

/// The sign-in page's second step: proof that whoever holds it gave `user`'s password a moment
/// ago (until `until`), so the page asks for the two-factor code without carrying the password
/// in the form. It is bound to the password hash: a password changed meanwhile voids it.
pub fn second_step_token(keys: &Keys, user: nobat_core::UserId, password_hash: &str, until: Timestamp) -> String {
    let mut body = until.as_second().to_be_bytes().to_vec();
    body.extend_from_slice(user.0.as_bytes());
    body.extend_from_slice(&contact_digest(password_hash));
    sign(keys, b"signin-2fa", &body)
}

/// The user a second-step token names, if genuine, unexpired and still matching `password_hash`
/// (read by the caller once the user is known, through `matches`).
pub fn open_second_step(keys: &Keys, token: &str, now: Timestamp) -> Option<(nobat_core::UserId, [u8; 16])> {
    let body = open(keys, b"signin-2fa", token, 40)?;
    if expiry(&body)? <= now {
        return None;
    }
    let user = Uuid::from_slice(&body[8..24]).ok()?;
    let mut bound = [0u8; 16];
    bound.copy_from_slice(&body[24..40]);
    Some((nobat_core::UserId(user), bound))
}

/// Whether a second-step token's binding is `password_hash`'s.
pub fn second_step_matches(bound: &[u8; 16], password_hash: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(&bound[..], &contact_digest(password_hash)[..]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_master(&[1u8; 32])
    }

    #[test]
    fn a_join_token_opens_only_as_signed() {
        let (k, clinic, link) = (keys(), ClinicId::new(), nobat_core::JoinLinkId::new());
        let t = join_token(&k, clinic, link);
        assert_eq!(open_join(&k, &t), Some((clinic, link)));
        assert_eq!(open_join(&Keys::from_master(&[2u8; 32]), &t), None, "another instance's key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&t).expect("base64");
        bytes[3] ^= 1;
        assert_eq!(open_join(&k, &URL_SAFE_NO_PAD.encode(bytes)), None, "altered");
        // A ticket token is not a join token.
        let ticket = ticket_token(&k, clinic, nobat_core::TicketId::new(), Timestamp::MAX);
        assert_eq!(open_join(&k, &ticket), None);
    }

    #[test]
    fn a_manage_link_opens_until_it_expires_and_not_when_altered() {
        let (k, clinic, appt) = (keys(), ClinicId::new(), AppointmentId::new());
        let now = Timestamp::from_second(1_800_000_000).expect("valid");
        let until = Timestamp::from_second(1_800_003_600).expect("valid");
        let token = manage_token(&k, clinic, appt, until);
        assert_eq!(open_manage(&k, &token, now), Ok((clinic, appt)));
        assert_eq!(open_manage(&k, &token, until), Err(LinkError::Expired));
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("b64");
        bytes[0] ^= 1; // push the expiry far out
        assert_eq!(open_manage(&k, &URL_SAFE_NO_PAD.encode(&bytes), now), Err(LinkError::Invalid));
        assert_eq!(open_manage(&Keys::from_master(&[2u8; 32]), &token, now), Err(LinkError::Invalid));
        assert_eq!(open_manage(&k, "garbage", now), Err(LinkError::Invalid));
    }

    #[test]
    fn a_contact_proof_is_bound_to_its_clinic_and_contact() {
        let (k, clinic) = (keys(), ClinicId::new());
        let now = Timestamp::from_second(1_800_000_000).expect("valid");
        let until = Timestamp::from_second(1_800_001_800).expect("valid");
        let proof = contact_proof(&k, clinic, "phone:+212600000000", until);
        assert!(check_contact_proof(&k, &proof, clinic, "phone:+212600000000", now));
        assert!(!check_contact_proof(&k, &proof, clinic, "phone:+212600000001", now));
        assert!(!check_contact_proof(&k, &proof, ClinicId::new(), "phone:+212600000000", now));
        assert!(!check_contact_proof(&k, &proof, clinic, "phone:+212600000000", until));
        let manage = manage_token(&k, clinic, AppointmentId::new(), until);
        assert!(!check_contact_proof(&k, &manage, clinic, "phone:+212600000000", now), "purposes do not mix");
    }

    #[test]
    fn a_second_step_token_is_bound_to_its_password_and_expires() {
        let keys = Keys::from_master(&[9u8; 32]);
        let user = nobat_core::UserId(Uuid::now_v7());
        let now = Timestamp::from_second(1_800_000_000).expect("a time");
        let until = Timestamp::from_second(1_800_000_300).expect("a time");
        let token = second_step_token(&keys, user, "$argon2id$old", until);
        let (who, bound) = open_second_step(&keys, &token, now).expect("it opens");
        assert_eq!(who, user);
        assert!(second_step_matches(&bound, "$argon2id$old"));
        assert!(!second_step_matches(&bound, "$argon2id$new"), "a changed password voids it");
        assert!(open_second_step(&keys, &token, until).is_none(), "expired");
        // Another purpose's token (same length) is not a second step.
        let ticket =
            ticket_token(&keys, nobat_core::ClinicId(Uuid::now_v7()), nobat_core::TicketId(Uuid::now_v7()), until);
        assert!(open_second_step(&keys, &ticket, now).is_none());
    }
}
