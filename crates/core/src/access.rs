//! Who may do what. A clinic membership has a [`Role`]; each [`Capability`] names the roles
//! that hold it. This table is the only place access is decided: the web layer turns a
//! capability into a typed grant, and a handler that does not ask for the grant cannot reach
//! the operation (it has no way to build the staff actor or the clinic context otherwise).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in one clinic. One user may hold different roles in different clinics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Front desk: bookings on behalf of patients, schedules, the day's list.
    Receptionist,
    /// Sees patients: their appointment book, arrivals, outcomes.
    Practitioner,
    /// Runs the clinic: services, locations, staff, records, the audit trail.
    Admin,
    /// Everything an admin can, plus security settings and other owners.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Practitioner, Role::Receptionist];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Practitioner => "practitioner",
            Role::Receptionist => "receptionist",
        }
    }

    /// Whether a member with this role may give `other` to someone (or take it away): owners
    /// manage everyone, admins everyone but owners, nobody else manages staff.
    pub fn may_assign(self, other: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => other != Role::Owner,
            Role::Practitioner | Role::Receptionist => false,
        }
    }

    /// Whether every capability of `other` is also one of this role's: an API token may carry
    /// a role only if its creator's role covers it.
    pub fn covers(self, other: Role) -> bool {
        self == other || CAPABILITIES.iter().all(|(_, roles)| !roles.contains(&other) || roles.contains(&self))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a role; use owner, admin, practitioner or receptionist"))
    }
}

/// A right within one clinic. Implemented by zero-sized marker types so a grant can name the
/// capability in its type.
pub trait Capability: Send + Sync + 'static {
    const NAME: &'static str;
    const ROLES: &'static [Role];

    fn allows(role: Role) -> bool {
        Self::ROLES.contains(&role)
    }
}

macro_rules! capabilities {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),*];)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Capability for $name {
                const NAME: &'static str = stringify!($name);
                const ROLES: &'static [Role] = &[$(Role::$role),*];
            }
        )*
        /// Every capability and the roles that hold it, for documentation and tests.
        pub const CAPABILITIES: &[(&str, &[Role])] = &[$((stringify!($name), <$name as Capability>::ROLES)),*];
    };
}

capabilities! {
    /// Change the clinic's profile, locations, practitioners and services.
    ManageClinic => [Owner, Admin];
    /// Change security and personal-data settings: mandatory 2FA, guest verification,
    /// retention.
    ManageSecurity => [Owner];
    /// Add, change and remove staff members.
    ManageStaff => [Owner, Admin];
    /// Change weekly rules and exceptions.
    ManageSchedules => [Owner, Admin, Receptionist];
    /// See the appointment book and one appointment.
    ViewAppointments => [Owner, Admin, Practitioner, Receptionist];
    /// Book, cancel and reschedule for patients, overriding patient notice and cut-offs.
    ManageAppointments => [Owner, Admin, Receptionist];
    /// Record arrivals, no-shows and outcomes.
    SetAppointmentStatus => [Owner, Admin, Practitioner, Receptionist];
    /// See a patient's record and consents.
    ViewPatients => [Owner, Admin, Practitioner, Receptionist];
    /// Export or erase a patient's personal data, record consents on their behalf.
    ManagePatientData => [Owner, Admin];
    /// Read the clinic's audit trail.
    ViewAudit => [Owner, Admin];
    /// Change what the clinic's messages say (template overrides) and when reminders go.
    ManageMessages => [Owner, Admin];
    /// See the messages sent about an appointment (channel, status, attempts, last error).
    ViewMessages => [Owner, Admin, Receptionist];
    /// Set the clinic's own channel credentials (SMS, Telegram, WhatsApp) and its webhooks.
    ManageChannels => [Owner, Admin];
    /// Run the day's queues: check in, add walk-ins, call, serve, reorder (a practitioner only
    /// their own queue, see `queue::may_run`).
    RunQueues => [Owner, Admin, Practitioner, Receptionist];
    /// Export the clinic's data as CSV (appointments, patients, queue history) and import a
    /// clinic's practitioners, services and appointments from another system.
    TransferData => [Owner, Admin];
    /// See the clinic's watches (who waits for what) and its watch settings.
    ViewWatches => [Owner, Admin, Receptionist];
    /// Read and write clinical content: visit notes, note templates, the full record (a
    /// practitioner writes notes only for their own appointments, see
    /// `clinical::may_write_note`). Reception and admins keep the administrative fields.
    ClinicalNotes => [Owner, Practitioner];
    /// Define intake forms and their new versions.
    ManageForms => [Owner, Admin, Practitioner];
    /// See the clinic's forms and fill one in for a patient at the desk.
    FillForms => [Owner, Admin, Practitioner, Receptionist];
    /// Read patients' form answers (clinical content: not reception's).
    ViewFormAnswers => [Owner, Admin, Practitioner];
    /// Read and write secure messages with patients.
    SecureMessaging => [Owner, Admin, Practitioner, Receptionist];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_hold_every_capability_and_roles_nest_as_documented() {
        for (name, roles) in CAPABILITIES {
            assert!(roles.contains(&Role::Owner), "{name}");
        }
        assert!(Role::Owner.covers(Role::Admin));
        assert!(Role::Admin.covers(Role::Receptionist));
        assert!(!Role::Receptionist.covers(Role::Admin));
        assert!(!Role::Practitioner.covers(Role::Receptionist), "practitioners cannot manage appointments");
        assert!(!Role::Admin.covers(Role::Owner));
    }

    #[test]
    fn only_owners_appoint_owners_and_only_managers_manage_staff() {
        assert!(Role::Owner.may_assign(Role::Owner));
        assert!(!Role::Admin.may_assign(Role::Owner));
        assert!(Role::Admin.may_assign(Role::Receptionist));
        assert!(!Role::Receptionist.may_assign(Role::Receptionist));
    }

    #[test]
    fn roles_parse_and_print() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
