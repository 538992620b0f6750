//! Who a hold belongs to, who may use it, and how many a person or a clinic may keep at once.
//!
//! A hold reserves a slot that nobody else can take; held by anyone who merely knows its id it
//! would be a way to block or steal slots. So a hold has an owner — the signed-in user who made
//! it, or a guest identified by the secret the hold answer gave them once (stored only as a
//! hash), or (later) a watch offer — and only that owner converts or releases it. Staff who
//! manage appointments may release any hold of their clinic.

use crate::{DomainError, UserId};

/// The owner of a hold, as stored (`owner` column): `user:<id>`, `guest:<hash of the secret>`
/// or `offer:<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldOwner {
    /// A signed-in user (a patient, or staff acting at the desk).
    User(UserId),
    /// A guest holding the secret whose keyed hash this is.
    Guest(String),
    /// A watch offer (a slot offered to someone on a waiting list).
    Offer(String),
}

impl HoldOwner {
    /// The stored form.
    pub fn key(&self) -> String {
        match self {
            HoldOwner::User(u) => format!("user:{u}"),
            HoldOwner::Guest(hash) => format!("guest:{hash}"),
            HoldOwner::Offer(id) => format!("offer:{id}"),
        }
    }
}

/// What a caller shows when using a hold: their account, a hold secret's hash, both or neither.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoldClaim {
    pub user: Option<UserId>,
    /// The keyed hash of the `hold_token` the caller sent.
    pub token_hash: Option<String>,
    /// Staff allowed to manage the clinic's appointments (may release, not convert, others' holds).
    pub staff: bool,
    /// The watch offer the caller accepts (its watcher showed the watch's token).
    pub offer: Option<String>,
}

impl HoldClaim {
    fn owns(&self, owner: &str) -> bool {
        let user = self.user.map(|u| HoldOwner::User(u).key());
        let guest = self.token_hash.as_ref().map(|h| HoldOwner::Guest(h.clone()).key());
        let offer = self.offer.as_ref().map(|o| HoldOwner::Offer(o.clone()).key());
        [user, guest, offer].into_iter().flatten().any(|k| k == owner)
    }
}

/// Whether the caller may book (convert) the hold. `owner` is `None` for holds made before
/// holds had owners: their id was the capability, and still is until they expire.
pub fn may_convert(owner: Option<&str>, claim: &HoldClaim) -> Result<(), DomainError> {
    match owner {
        None => Ok(()),
        Some(o) if claim.owns(o) => Ok(()),
        Some(_) => Err(DomainError::HoldNotYours(
            "this hold belongs to someone else: send the hold_token its answer gave you, or sign in as who made it"
                .into(),
        )),
    }
}

/// Whether the caller may give the hold back: its owner, or staff of its clinic.
pub fn may_release(owner: Option<&str>, claim: &HoldClaim) -> Result<(), DomainError> {
    if claim.staff { Ok(()) } else { may_convert(owner, claim) }
}

/// How many holds may be active at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldCaps {
    /// Per owner (a user or one guest secret). Staff holding for patients are not counted.
    pub per_owner: u32,
    /// Per clinic, everyone together: what one address rotating guest secrets can squat at most.
    pub per_clinic: u32,
}

impl Default for HoldCaps {
    fn default() -> Self {
        Self { per_owner: 3, per_clinic: 200 }
    }
}

/// Refuses a new hold when its owner or its clinic already has as many active holds as allowed.
/// `owner_active` is `None` when the owner is exempt (staff).
pub fn check_caps(caps: HoldCaps, owner_active: Option<u64>, clinic_active: u64) -> Result<(), DomainError> {
    if owner_active.is_some_and(|n| n >= u64::from(caps.per_owner)) {
        return Err(DomainError::HoldLimit {
            scope: "owner",
            message: format!(
                "you already hold {} slots: book or release one (DELETE /holds/{{id}}) before holding another",
                caps.per_owner
            ),
        });
    }
    if clinic_active >= u64::from(caps.per_clinic) {
        return Err(DomainError::HoldLimit {
            scope: "clinic",
            message: "too many slots of this clinic are being held right now; book without a hold or try again \
                      in a few minutes"
                .into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owner_converts_and_staff_may_release() {
        let u = UserId::new();
        let owner = HoldOwner::User(u).key();
        let me = HoldClaim { user: Some(u), ..Default::default() };
        let other = HoldClaim { user: Some(UserId::new()), token_hash: Some("x".into()), staff: false, offer: None };
        let staff = HoldClaim { staff: true, ..other.clone() };
        assert!(may_convert(Some(&owner), &me).is_ok());
        assert!(may_convert(Some(&owner), &other).is_err());
        assert!(may_convert(Some(&owner), &staff).is_err(), "staff may release, not convert, another's hold");
        assert!(may_release(Some(&owner), &staff).is_ok());
        assert!(may_release(Some(&owner), &other).is_err());
        let guest = HoldOwner::Guest("abc".into()).key();
        assert!(may_convert(Some(&guest), &HoldClaim { token_hash: Some("abc".into()), ..Default::default() }).is_ok());
        assert!(
            may_convert(Some(&guest), &HoldClaim { token_hash: Some("abd".into()), ..Default::default() }).is_err()
        );
        assert!(may_convert(Some(&guest), &HoldClaim::default()).is_err());
        assert!(may_convert(None, &HoldClaim::default()).is_ok(), "a hold from before owners");
        let offer = HoldOwner::Offer("n1".into()).key();
        assert!(may_convert(Some(&offer), &HoldClaim { offer: Some("n1".into()), ..Default::default() }).is_ok());
        assert!(may_convert(Some(&offer), &HoldClaim { offer: Some("n2".into()), ..Default::default() }).is_err());
    }

    #[test]
    fn caps_count_the_owner_then_the_clinic() {
        let caps = HoldCaps { per_owner: 3, per_clinic: 10 };
        assert!(check_caps(caps, Some(2), 9).is_ok());
        assert!(matches!(check_caps(caps, Some(3), 0), Err(DomainError::HoldLimit { scope: "owner", .. })));
        assert!(check_caps(caps, None, 9).is_ok(), "staff are not counted per owner");
        assert!(matches!(check_caps(caps, None, 10), Err(DomainError::HoldLimit { scope: "clinic", .. })));
    }
}
