//! Accounts made from the command line and for the demo: `nobat user create`, `nobat clinic
//! create` (the first-run path: a clinic and its owner), and the demo's role accounts. They
//! use the same commands as the API, so the audit trail records them.

use anyhow::Context;
use nobat_core::access::Role;
use nobat_core::{ClinicId, PractitionerId, UserId};
use nobat_store::commands::{MemberChange, NewClinic, NewUser};
use nobat_store::model::Clinic;
use nobat_store::{AuditActor, Command, Output, Store};

/// Who the command line acts as in the audit trail.
pub fn cli_actor() -> AuditActor {
    AuditActor::new("cli", "command line (operator)")
}

/// Creates an account; `password` `None` generates one. Returns the id and the password.
pub async fn create_user(
    store: &Store,
    email: &str,
    name: &str,
    password: Option<String>,
    operator: bool,
    actor: AuditActor,
) -> anyhow::Result<(UserId, String)> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        anyhow::bail!("`{email}` is not an email address");
    }
    let password = password.unwrap_or_else(nobat_web::auth::password::generate);
    if password.chars().count() < 10 {
        anyhow::bail!("use a password of at least 10 characters");
    }
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || nobat_web::auth::password::hash_blocking(&pw))
        .await
        .context("hashing")?
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    let user = nobat_web::routes::auth::new_user(UserId::new(), email, name.trim().to_owned(), hash, operator);
    match store.execute(Command::CreateUser(NewUser { user, actor })).await? {
        Output::User(u) => Ok((u.id, password)),
        other => anyhow::bail!("unexpected answer {other:?}"),
    }
}

/// Where a new clinic is and what it speaks (both validated by the store).
#[derive(Debug, Clone, Copy)]
pub struct ClinicPlace<'a> {
    /// ISO 3166-1 alpha-2.
    pub country: Option<&'a str>,
    /// One of en, fa, ar, fr, ru, tr.
    pub language: &'a str,
}

/// Creates a clinic with an existing account as its owner.
pub async fn create_clinic(
    store: &Store,
    slug: &str,
    name: &str,
    place: ClinicPlace<'_>,
    owner: UserId,
    actor: AuditActor,
) -> anyhow::Result<ClinicId> {
    let clinic = Clinic {
        id: ClinicId::new(),
        slug: slug.trim().to_lowercase(),
        name: name.trim().to_owned(),
        default_language: place.language.to_owned(),
        country: place.country.map(str::to_owned),
        security: Default::default(),
    };
    let id = clinic.id;
    store.execute(Command::CreateClinic(NewClinic { clinic, actor, owner: Some(owner) })).await?;
    Ok(id)
}

/// Gives an account a role in a clinic.
pub async fn add_member(
    store: &Store,
    clinic: ClinicId,
    user: UserId,
    role: Role,
    practitioner: Option<PractitionerId>,
    actor: AuditActor,
) -> anyhow::Result<()> {
    store.execute(Command::ChangeMember(MemberChange { clinic, user, role: Some(role), practitioner, actor })).await?;
    Ok(())
}
