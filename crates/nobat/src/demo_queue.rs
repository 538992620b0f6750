//! The demo's waiting rooms: at every `serve --demo` start, each demo location gets today's
//! queues with a few booked patients checked in, some walk-ins and one patient already called
//! — so a newcomer opens the board and sees a living waiting room. Made through the same
//! commands as the API; a location that already has a queue today is left as it is (so
//! restarts neither duplicate nor disturb it).

use jiff::{Timestamp, ToSpan};
use nobat_core::availability::Audience;
use nobat_core::booking::Actor;
use nobat_core::{AppointmentStatus, PatientContact};
use nobat_store::commands::{BookRequest, QueueOp, QueueRequest};
use nobat_store::model::AppointmentFilter;
use nobat_store::reads::AvailabilityQuery;
use nobat_store::{AuditActor, Command, Output, Store};

const WALK_INS: [(&str, &str); 3] =
    [("Hamza Benali", "+212600333444"), ("Leila Karimi", "+989121112222"), ("Yusuf Demir", "+905331234567")];
const BOOKED: [(&str, &str); 2] = [("Salma Tazi", "+212661112233"), ("Dariush Kamali", "+989351234567")];

fn actor() -> AuditActor {
    AuditActor::new("system", "demo")
}

async fn queue(store: &Store, req: QueueRequest) -> anyhow::Result<Output> {
    Ok(store.execute(Command::Queue(req)).await?)
}

/// Fills today's queues of the demo clinic (see the module doc).
pub async fn today(store: &Store) -> anyhow::Result<()> {
    let ctx = store.clinic_context(crate::demo::SLUG).await?;
    let clinic = ctx.clinic.id;
    for location in &ctx.locations {
        let tz = nobat_core::zones::get(&location.time_zone)?;
        let date = Timestamp::now().to_zoned(tz.clone()).date();
        if !store.queues(clinic, date, Some(location.id)).await?.is_empty() {
            continue;
        }
        // Booked patients of today here, checked in; two more booked now if there are none.
        let start = date.to_zoned(tz.clone())?.timestamp();
        let end = date.checked_add(1.day())?.to_zoned(tz.clone())?.timestamp();
        let filter = AppointmentFilter {
            practitioner: None,
            patient: None,
            location: Some(location.id),
            service: None,
            status: Some(AppointmentStatus::Booked),
            from: Some(start),
            to: Some(end),
            limit: 3,
            after: None,
        };
        let mut todays: Vec<_> = store.appointments(clinic, &filter).await?.into_iter().map(|a| a.id).collect();
        if todays.is_empty() {
            todays = book_today(store, clinic, location.id, date).await?;
        }
        for appointment in todays {
            queue(store, QueueRequest { clinic, actor: actor(), op: QueueOp::CheckIn { appointment } }).await?;
        }
        let open = QueueOp::Open { location: location.id, date, practitioner: None, service: None };
        let Output::Queue(general) = queue(store, QueueRequest { clinic, actor: actor(), op: open }).await? else {
            anyhow::bail!("opening a demo queue answered something else");
        };
        for (name, phone) in WALK_INS {
            let patient = PatientContact::parse(name, Some(phone), None, None)?;
            let op = QueueOp::WalkIn { queue: general.id, patient, service: None, priority: 0 };
            queue(store, QueueRequest { clinic, actor: actor(), op }).await?;
        }
        let call = QueueOp::CallNext {
            queue: general.id,
            desk: Some("Desk 1".into()),
            caller: "demo".into(),
            idempotency: None,
        };
        queue(store, QueueRequest { clinic, actor: actor(), op: call }).await?;
    }
    tracing::info!("demo queues ready for today");
    Ok(())
}

/// Books the next free slots of today at a location for two demo patients (any practitioner
/// and service that has room); returns the appointments made.
async fn book_today(
    store: &Store,
    clinic: nobat_core::ClinicId,
    location: nobat_core::LocationId,
    date: jiff::civil::Date,
) -> anyhow::Result<Vec<nobat_core::AppointmentId>> {
    let mut made = Vec::new();
    for service in store.services(clinic).await? {
        for p in store.practitioners(clinic).await? {
            if made.len() == BOOKED.len() {
                return Ok(made);
            }
            let q = AvailabilityQuery {
                from: date,
                to: date,
                practitioner: Some(p.id),
                location: Some(location),
                now: Timestamp::now(),
                audience: Audience::Staff,
                max_slots: 50,
            };
            let Ok(slots) = store.availability(clinic, &service, q).await else { continue };
            let Some(slot) = slots.first() else { continue };
            let (name, phone) = BOOKED[made.len()];
            let req = BookRequest {
                clinic,
                service: service.id,
                practitioner: p.id,
                location: Some(location),
                start: slot.start,
                start_offset: None,
                patient: PatientContact::parse(name, Some(phone), None, None)?,
                hold: None,
                hold_claim: Default::default(),
                note: None,
                actor: Actor::Staff,
                audit_actor: actor(),
                idempotency: None,
                user: None,
                consents: Vec::new(),
                contact_verified: true,
            };
            if let Ok(Output::Appointment { appointment, .. }) = store.execute(Command::Book(req)).await {
                made.push(appointment.id);
            }
        }
    }
    Ok(made)
}
