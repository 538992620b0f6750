//! The demo clinic: two locations in different time zones, four practitioners (one working at
//! both locations), four services (one a group session), weekly hours with breaks, a holiday,
//! extra hours, and some booked appointments. Created through the same commands as the API, so
//! it obeys every rule; created once (the slug `demo` is the marker).

use anyhow::Context;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use nobat_core::access::Role;
use nobat_core::availability::Audience;
use nobat_core::booking::Actor;
use nobat_core::{
    ClinicId, DayMinutes, Exception, ExceptionId, ExceptionKind, LocationId, PatientContact, PractitionerId, RuleId,
    Service, ServiceId, Weekdays, WeeklyRule,
};
use nobat_store::commands::{BookRequest, NewClinic, NewException};
use nobat_store::model::{Clinic, Location, Practitioner};
use nobat_store::reads::AvailabilityQuery;
use nobat_store::{AuditActor, Command, Store, StoreError};
use std::net::SocketAddr;

pub const SLUG: &str = "demo";

fn actor() -> AuditActor {
    AuditActor::new("demo", "demo set-up")
}

fn hm(s: &str) -> anyhow::Result<DayMinutes> {
    DayMinutes::parse(s).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Creates the demo clinic and its accounts unless it exists. Returns whether it was created.
/// The accounts' passwords are generated and kept in `data_dir/demo-credentials.txt` (0600)
/// so every start can print them.
///
/// The passwords are written (to a `.partial` file) before anything goes into the database, so
/// an unwritable data directory stops the start before the demo exists; the file takes its
/// name only once every account is made. A demo clinic found without its credentials file
/// (an interrupted or older start, a deleted file) gets new passwords for its accounts, said
/// out loud, rather than being reused with passwords nobody knows.
pub async fn ensure(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<bool> {
    let staged = Staged::write(data_dir)?;
    match store.clinic(SLUG).await {
        Ok(clinic) if data_dir.join(CREDENTIALS).exists() => {
            staged.discard();
            tracing::info!(clinic = %clinic.id, "demo clinic already exists; reusing it");
            return Ok(false);
        }
        Ok(clinic) => {
            println!(
                "The demo clinic exists but {} does not: setting new passwords for the demo accounts.",
                data_dir.join(CREDENTIALS).display()
            );
            let doctor = store
                .practitioners(clinic.id)
                .await?
                .into_iter()
                .find(|p| p.name == DOCTOR)
                .map(|p| p.id)
                .context("the demo clinic has no Dr. Sara Ahmadi")?;
            accounts(store, clinic.id, doctor, &staged).await?;
            staged.commit()?;
            return Ok(false);
        }
        Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let clinic = ClinicId::new();
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    run(
        store,
        Command::CreateClinic(NewClinic {
            clinic: Clinic {
                id: clinic,
                slug: SLUG.into(),
                name: "Nobat Demo Clinic".into(),
                default_language: "en".into(),
                // Its first location is in Tehran: numbers typed without +98 are Iranian.
                country: Some("IR".into()),
                security: Default::default(),
            },
            actor: actor(),
            owner: None,
        }),
    )
    .await?;

    let tehran =
        location(store, clinic, "Tehran — Vanak", "Asia/Tehran", "Vanak Square, Tehran", (35.7575, 51.4100)).await?;
    let casablanca = location(
        store,
        clinic,
        "Casablanca — Maârif",
        "Africa/Casablanca",
        "Bd Zerktouni, Maârif, Casablanca",
        (33.5850, -7.6320),
    )
    .await?;

    let general = service(store, clinic, "General consultation", 20, (0, 0), 1, 60, 120).await?;
    let cardiology = service(store, clinic, "Cardiology consultation", 30, (0, 10), 1, 120, 24 * 60).await?;
    let therapy = service(store, clinic, "Therapy session", 50, (0, 10), 1, 24 * 60, 24 * 60).await?;
    let vaccination = service(store, clinic, "Flu vaccination (group session)", 15, (0, 0), 6, 0, 60).await?;

    let sara = practitioner(store, clinic, DOCTOR, &["cardiology"], &["fa", "en"]).await?;
    let nadia = practitioner(store, clinic, "Dr. Nadia Rahimi", &["psychotherapy"], &["fa", "ar", "fr"]).await?;
    let youssef = practitioner(store, clinic, "Dr. Youssef Benali", &["general practice"], &["ar", "fr"]).await?;
    let ayse = practitioner(store, clinic, "Dr. Ayşe Demir", &["general practice", "dermatology"], &["tr", "en", "fr"])
        .await?;

    let from = today.checked_sub(30.days())?;
    let lunch_tehran = [(hm("12:30")?, hm("13:30")?)];
    let lunch_casa = [(hm("13:00")?, hm("14:00")?)];
    // Iran's week runs Saturday to Wednesday; Morocco's Monday to Friday.
    rule(
        store,
        clinic,
        sara,
        tehran,
        &["sat", "sun", "mon", "tue", "wed"],
        ("09:00", "17:00"),
        &lunch_tehran,
        from,
        &[cardiology, general],
    )
    .await?;
    rule(store, clinic, nadia, tehran, &["sat", "sun", "mon"], ("10:00", "18:00"), &lunch_tehran, from, &[therapy])
        .await?;
    rule(store, clinic, nadia, casablanca, &["wed", "thu"], ("09:00", "17:00"), &lunch_casa, from, &[therapy]).await?;
    rule(
        store,
        clinic,
        youssef,
        casablanca,
        &["mon", "tue", "wed", "thu", "fri"],
        ("09:00", "18:00"),
        &lunch_casa,
        from,
        &[general],
    )
    .await?;
    rule(store, clinic, youssef, casablanca, &["sat"], ("09:00", "12:00"), &[], from, &[vaccination]).await?;
    rule(
        store,
        clinic,
        ayse,
        casablanca,
        &["mon", "tue", "thu", "fri"],
        ("10:00", "19:00"),
        &lunch_casa,
        from,
        &[general],
    )
    .await?;

    // A clinic-wide holiday on the next 1 January, and a training afternoon for Dr. Ahmadi.
    let new_year = Date::new(today.year() + 1, 1, 1)?;
    exception(store, clinic, None, None, new_year, ExceptionKind::Closed, None, "New Year's Day").await?;
    let next_week = today.checked_add(7.days())?;
    exception(
        store,
        clinic,
        Some(sara),
        Some(tehran),
        next_week,
        ExceptionKind::Closed,
        Some(("13:30", "17:00")),
        "Training",
    )
    .await?;
    exception(
        store,
        clinic,
        Some(ayse),
        Some(casablanca),
        next_week,
        ExceptionKind::Extra,
        Some(("08:00", "10:00")),
        "Early clinic",
    )
    .await?;

    // Book some appointments through the normal booking path.
    let patients = [
        ("Amina El Idrissi", "+212600111222"),
        ("Reza Moradi", "+989121234567"),
        ("Elif Kaya", "+905321112233"),
        ("Karim Haddad", "+212661234567"),
        ("Maryam Hosseini", "+989351112233"),
        ("Olga Petrova", "+79161234567"),
    ];
    let mut booked = 0;
    for (i, (svc, who)) in
        [(general, youssef), (cardiology, sara), (therapy, nadia), (general, ayse), (vaccination, youssef)]
            .into_iter()
            .enumerate()
    {
        let service = store.service(clinic, svc).await?;
        let q = AvailabilityQuery {
            from: today,
            to: today.checked_add(14.days())?,
            practitioner: Some(who),
            location: None,
            now: Timestamp::now(),
            audience: Audience::Patient,
            max_slots: usize::MAX,
        };
        let slots = store.availability(clinic, &service, q).await?;
        for (n, slot) in slots.iter().step_by(5).take(3).enumerate() {
            let (name, phone) = patients[(i + n) % patients.len()];
            let patient = PatientContact::parse(name, Some(phone), None, None)?;
            let req = BookRequest {
                clinic,
                service: svc,
                practitioner: who,
                location: Some(slot.location),
                start: slot.start,
                start_offset: None,
                patient,
                hold: None,
                hold_claim: Default::default(),
                note: None,
                actor: Actor::Patient,
                audit_actor: actor(),
                idempotency: None,
                user: None,
                consents: vec![("privacy-notice".into(), "2026-01".into())],
                contact_verified: true,
            };
            run(store, Command::Book(req)).await?;
            booked += 1;
        }
    }
    accounts(store, clinic, sara, &staged).await?;
    staged.commit()?;
    tracing::info!(booked, "demo clinic created");
    Ok(true)
}

pub const CREDENTIALS: &str = "demo-credentials.txt";
/// The practitioner who also has an account.
const DOCTOR: &str = "Dr. Sara Ahmadi";

/// One account per role, an operator and a patient.
const PEOPLE: [(&str, &str, Option<Role>, bool); 6] = [
    ("operator@demo.nobat.test", "Olivia Operator", None, true),
    ("owner@demo.nobat.test", "Omid Owner", Some(Role::Owner), false),
    ("admin@demo.nobat.test", "Amal Admin", Some(Role::Admin), false),
    ("reception@demo.nobat.test", "Rania Reception", Some(Role::Receptionist), false),
    ("doctor@demo.nobat.test", DOCTOR, Some(Role::Practitioner), false),
    ("patient@demo.nobat.test", "Pouya Patient", None, false),
];

/// The demo's passwords, generated and on disk (as `demo-credentials.txt.partial`, 0600,
/// synced) before the database hears of them.
struct Staged {
    passwords: Vec<String>,
    partial: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl Staged {
    fn write(data_dir: &std::path::Path) -> anyhow::Result<Self> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let passwords: Vec<String> = PEOPLE.iter().map(|_| nobat_web::auth::password::generate()).collect();
        let mut lines = vec!["# Demo accounts (generated; sign in with POST /api/v1/auth/login)".to_owned()];
        for ((email, _, role, operator), password) in PEOPLE.iter().zip(&passwords) {
            let what = role.map_or(if *operator { "operator" } else { "patient" }.to_owned(), |r| r.to_string());
            lines.push(format!("{what:<13} {email:<28} {password}"));
        }
        let path = data_dir.join(CREDENTIALS);
        let partial = data_dir.join(format!("{CREDENTIALS}.partial"));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .with_context(|| format!("the demo's credentials cannot be written to {}", partial.display()))?;
        f.write_all((lines.join("\n") + "\n").as_bytes())
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", partial.display()))?;
        Ok(Self { passwords, partial, path })
    }

    /// Every account has its password: the file takes its real name.
    fn commit(self) -> anyhow::Result<()> {
        std::fs::rename(&self.partial, &self.path).with_context(|| format!("writing {}", self.path.display()))
    }

    fn discard(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// Creates the demo's accounts with the staged passwords; an account that exists already (an
/// interrupted start, lost credentials) gets its password set instead.
async fn accounts(store: &Store, clinic: ClinicId, doctor: PractitionerId, staged: &Staged) -> anyhow::Result<()> {
    for ((email, name, role, operator), password) in PEOPLE.into_iter().zip(&staged.passwords) {
        let id = match store.user_by_email(email).await? {
            Some(user) => {
                let pw = password.clone();
                let hash = tokio::task::spawn_blocking(move || nobat_web::auth::password::hash_blocking(&pw))
                    .await
                    .context("hashing")?
                    .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
                run(store, Command::SetPassword { user: user.id, hash, actor: actor() }).await?;
                user.id
            }
            None => {
                crate::accounts::create_user(store, email, name, Some(password.clone()), operator, actor()).await?.0
            }
        };
        let practitioner = (role == Some(Role::Practitioner)).then_some(doctor);
        if let Some(role) = role {
            crate::accounts::add_member(store, clinic, id, role, practitioner, actor()).await?;
        }
    }
    Ok(())
}

/// Prints the demo accounts, if this data directory has them.
pub fn print_credentials(data_dir: &std::path::Path) {
    if let Ok(text) = std::fs::read_to_string(data_dir.join(CREDENTIALS)) {
        println!("{text}");
    }
}

/// Prints where to look.
pub fn print_urls(addr: SocketAddr) {
    let base = format!("http://{addr}");
    println!("Demo clinic `{SLUG}` is ready. Open this in a browser to book an appointment:");
    println!();
    println!("  {base}/c/{SLUG}");
    println!();
    println!("  all clinics:   {base}/  (English, فارسی, العربية, Français, Русский, Türkçe: ?lang=fa …)");
    println!("  directory:     {base}/api/v1/clinics");
    println!("  services:      {base}/api/v1/clinics/{SLUG}/services");
    println!("  practitioners: {base}/api/v1/clinics/{SLUG}/practitioners");
    println!(
        "  availability:  {base}/api/v1/clinics/{SLUG}/availability?service=SERVICE_ID&from=YYYY-MM-DD&to=YYYY-MM-DD"
    );
    println!("  API document:  {base}/api/v1/openapi.json");
    println!("  reception:     {base}/desk/{SLUG}  (sign in as the receptionist below)");
}

async fn run(store: &Store, cmd: Command) -> anyhow::Result<nobat_store::Output> {
    let name = cmd.name();
    store.execute(cmd).await.with_context(|| format!("demo: {name}"))
}

async fn location(
    store: &Store,
    clinic: ClinicId,
    name: &str,
    tz: &str,
    address: &str,
    (lat, lon): (f64, f64),
) -> anyhow::Result<LocationId> {
    let id = LocationId::new();
    let l = Location {
        id,
        clinic,
        name: name.into(),
        time_zone: tz.into(),
        address: address.into(),
        latitude: Some(lat),
        longitude: Some(lon),
        phone: None,
    };
    run(store, Command::CreateLocation(l, actor())).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn service(
    store: &Store,
    clinic: ClinicId,
    name: &str,
    duration_min: u32,
    (buffer_before_min, buffer_after_min): (u32, u32),
    capacity: u32,
    min_notice_min: u32,
    cutoff_min: u32,
) -> anyhow::Result<ServiceId> {
    let id = ServiceId::new();
    let s = Service {
        id,
        clinic,
        name: name.into(),
        duration_min,
        buffer_before_min,
        buffer_after_min,
        capacity,
        slot_step_min: duration_min + buffer_before_min + buffer_after_min,
        min_notice_min,
        horizon_days: 90,
        cancel_cutoff_min: cutoff_min,
        reschedule_cutoff_min: cutoff_min,
        active: true,
    };
    run(store, Command::CreateService(s, actor())).await?;
    Ok(id)
}

async fn practitioner(
    store: &Store,
    clinic: ClinicId,
    name: &str,
    specialties: &[&str],
    languages: &[&str],
) -> anyhow::Result<PractitionerId> {
    let id = PractitionerId::new();
    let p = Practitioner {
        id,
        clinic,
        name: name.into(),
        specialties: specialties.iter().map(|s| (*s).into()).collect(),
        languages: languages.iter().map(|s| (*s).into()).collect(),
        active: true,
    };
    run(store, Command::CreatePractitioner(p, actor())).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn rule(
    store: &Store,
    clinic: ClinicId,
    practitioner: PractitionerId,
    location: LocationId,
    days: &[&str],
    (start, end): (&str, &str),
    breaks: &[(DayMinutes, DayMinutes)],
    valid_from: Date,
    services: &[ServiceId],
) -> anyhow::Result<()> {
    let r = WeeklyRule {
        id: RuleId::new(),
        practitioner,
        location,
        weekdays: Weekdays::from_names(days)?,
        start: hm(start)?,
        end: hm(end)?,
        breaks: breaks.to_vec(),
        valid_from,
        valid_until: None,
        services: services.to_vec(),
    };
    run(store, Command::CreateRule(clinic, r, actor())).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn exception(
    store: &Store,
    clinic: ClinicId,
    practitioner: Option<PractitionerId>,
    location: Option<LocationId>,
    date: Date,
    kind: ExceptionKind,
    hours: Option<(&str, &str)>,
    note: &str,
) -> anyhow::Result<()> {
    let (start, end) = match hours {
        Some((s, e)) => (Some(hm(s)?), Some(hm(e)?)),
        None => (None, None),
    };
    let e = Exception { id: ExceptionId::new(), practitioner, location, date, kind, start, end };
    run(store, Command::CreateException(NewException { clinic, exception: e, note: note.into(), actor: actor() }))
        .await?;
    Ok(())
}
