//! Clinical records: visit notes in SOAP form, who may write them, and what an amendment
//! changed. Pure rules; the store seals the text and keeps every version.

use crate::access::Role;
use crate::error::DomainError;
use crate::ids::PractitionerId;
use serde::{Deserialize, Serialize};

/// Most characters in one SOAP section (a long assessment fits; a pasted book does not).
pub const MAX_SECTION: usize = 20_000;
/// Most characters in an amendment's reason.
pub const MAX_REASON: usize = 1_000;

/// A visit note's four sections: Subjective, Objective, Assessment, Plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Soap {
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
}

impl Soap {
    /// The sections, trimmed; refuses a section past [`MAX_SECTION`] (naming it), NUL
    /// characters, and a note with nothing in it.
    pub fn parse(subjective: &str, objective: &str, assessment: &str, plan: &str) -> Result<Self, DomainError> {
        let clean = |field: &str, v: &str| -> Result<String, DomainError> {
            let v = v.trim();
            if v.chars().count() > MAX_SECTION {
                return Err(DomainError::invalid(field, format!("at most {MAX_SECTION} characters")));
            }
            if v.contains('\0') {
                return Err(DomainError::invalid(field, "contains a NUL character"));
            }
            Ok(v.to_owned())
        };
        let soap = Self {
            subjective: clean("subjective", subjective)?,
            objective: clean("objective", objective)?,
            assessment: clean("assessment", assessment)?,
            plan: clean("plan", plan)?,
        };
        if soap.fields().iter().all(|(_, v)| v.is_empty()) {
            return Err(DomainError::invalid("subjective", "a note needs at least one of its four sections"));
        }
        Ok(soap)
    }

    fn fields(&self) -> [(&'static str, &str); 4] {
        [
            ("subjective", &self.subjective),
            ("objective", &self.objective),
            ("assessment", &self.assessment),
            ("plan", &self.plan),
        ]
    }

    /// The sections that differ from `before`, in SOAP order: what an amendment changed.
    pub fn changed_from(&self, before: &Soap) -> Vec<&'static str> {
        self.fields().iter().zip(before.fields()).filter(|((_, a), (_, b))| a != b).map(|((k, _), _)| *k).collect()
    }
}

/// A note's state: a draft is rewritten freely by its author; a signed note is never changed,
/// only amended with a new signed version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    Draft,
    Signed,
}

impl NoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::Signed => "signed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(NoteStatus::Draft),
            "signed" => Some(NoteStatus::Signed),
            _ => None,
        }
    }
}

/// Whether a member may write (create, sign, amend) a note about an appointment of
/// `appointment_practitioner`: an owner any; a practitioner only their own patients'
/// appointments; nobody else (reception and admins never reach clinical content — the
/// `ClinicalNotes` capability already keeps them out, this is the second line).
pub fn may_write_note(role: Role, own: Option<PractitionerId>, appointment_practitioner: PractitionerId) -> bool {
    match role {
        Role::Owner => true,
        Role::Practitioner => own == Some(appointment_practitioner),
        Role::Admin | Role::Receptionist => false,
    }
}

/// What may happen to a note in `status`: `Ok` or the refusal to show.
pub fn may_change(status: NoteStatus, action: NoteAction) -> Result<(), DomainError> {
    match (status, action) {
        (NoteStatus::Draft, NoteAction::Sign | NoteAction::EditDraft) => Ok(()),
        (NoteStatus::Signed, NoteAction::Amend) => Ok(()),
        (NoteStatus::Signed, NoteAction::Sign | NoteAction::EditDraft) => {
            Err(DomainError::Refused("this note is signed: it cannot be changed, only amended".into()))
        }
        (NoteStatus::Draft, NoteAction::Amend) => Err(DomainError::Refused(
            "this note is a draft: change it and sign it; only signed notes are amended".into(),
        )),
    }
}

/// A change to an existing note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteAction {
    EditDraft,
    Sign,
    Amend,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_the_appointments_practitioner_write() {
        let (mine, theirs) = (PractitionerId::new(), PractitionerId::new());
        assert!(may_write_note(Role::Owner, None, theirs));
        assert!(may_write_note(Role::Practitioner, Some(mine), mine));
        assert!(!may_write_note(Role::Practitioner, Some(mine), theirs));
        assert!(!may_write_note(Role::Practitioner, None, theirs), "a practitioner member not linked to anyone");
        assert!(!may_write_note(Role::Admin, Some(mine), mine));
        assert!(!may_write_note(Role::Receptionist, Some(mine), mine));
    }

    #[test]
    fn signed_notes_are_only_amended_and_drafts_never() {
        assert!(may_change(NoteStatus::Draft, NoteAction::Sign).is_ok());
        assert!(may_change(NoteStatus::Signed, NoteAction::Sign).is_err());
        assert!(may_change(NoteStatus::Signed, NoteAction::EditDraft).is_err());
        assert!(may_change(NoteStatus::Signed, NoteAction::Amend).is_ok());
        assert!(may_change(NoteStatus::Draft, NoteAction::Amend).is_err());
    }

    #[test]
    fn sections_are_checked_and_changes_named() {
        assert!(Soap::parse(" ", "", "", "").is_err());
        let long = "x".repeat(MAX_SECTION + 1);
        assert!(
            matches!(Soap::parse("a", "", &long, ""), Err(DomainError::Invalid { field, .. }) if field == "assessment")
        );
        let a = Soap::parse("خواب کم", "", "", "تمرین").unwrap();
        let b = Soap::parse("خواب کم", "", "بهتر", "تمرین روزانه").unwrap();
        assert_eq!(b.changed_from(&a), vec!["assessment", "plan"]);
        assert!(a.changed_from(&a).is_empty());
    }
}
