//! Booking over FHIR, as IHE ITI Scheduling (ITI-115/116/117) and Medplum shape it:
//! `$find` proposes free times, `$hold` reserves one (a `pending` appointment whose slot is
//! `busy-tentative` until the hold expires), `$book` books it. `$hold` and `$book` send the
//! very commands the REST API sends (`Command::Hold`, `Command::Book`), so one slot is never
//! booked twice, whichever dialect each client speaks.

use super::handlers::{free_slots, services_named, slot_window};
use super::resources::appointment::{self, HOLD_PREFIX, HOLD_TOKEN};
use super::resources::slot::SlotKey;
use super::search::{Params, reference_id};
use super::{Fhir, bundle};
use crate::AppState;
use crate::auth::grant::Visitor;
use crate::auth::limits::ClientNet;
use crate::context::{ClinicCtx, start as parse_start};
use crate::dto::PatientInput;
use crate::extract::{ApiJson, IdempotencyKey, fingerprint};
use crate::problem::{ApiError, ApiResult};
use crate::routes::booking::{booking_actor, idempotency};
use crate::routes::holds::{HOLD_TOKEN_HEADER, claim, guest_token};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use nobat_core::hold::HoldOwner;
use nobat_core::{HoldId, LocationId, PractitionerId, ServiceId};
use nobat_store::commands::{BookRequest, HoldRequest};
use nobat_store::{Command, Output};
use serde_json::Value;

/// `GET Appointment/$find?start=…&end=…&practitioner=…&location=…&service-type=…`: free
/// times as `proposed` appointments (a searchset; no ids, they are not stored).
pub async fn find(State(state): State<AppState>, visitor: Visitor, RawQuery(q): RawQuery) -> ApiResult<Fhir> {
    let params = Params::parse(q.as_deref());
    params.only(&["start", "end", "practitioner", "location", "service-type"])?;
    let ctx = visitor.ctx;
    let (start, end) = slot_window(&params)?;
    let practitioner =
        params.one("practitioner")?.map(|v| id_of::<PractitionerId>("practitioner", "Practitioner", v)).transpose()?;
    let location = params.one("location")?.map(|v| id_of::<LocationId>("location", "Location", v)).transpose()?;
    let services = services_named(&state, &ctx, &params).await?;
    let slots = free_slots(&state, &ctx, &services, start, end, practitioner, location).await?;
    let count = params.count(100, 1000)?;
    let offset = params.offset()?;
    let url = format!("{}/Appointment/$find", super::base(&state, &ctx.clinic.slug));
    let zones = super::handlers::Zones::of_clinic(&ctx);
    let page: Vec<(String, Value)> = slots
        .iter()
        .skip(offset)
        .take(count)
        .map(|(s, i)| (String::new(), appointment::proposed(s, &services[*i], &zones.of(s.location))))
        .collect();
    let total = slots.len();
    let next = (offset + count < total)
        .then(|| bundle::page_url(&url, &params.0, &[("_offset", (offset + count).to_string())]));
    let this = bundle::page_url(&url, &params.0, &[("_offset", offset.to_string())]);
    let mut b = bundle::searchset(&this, next.as_deref(), page, Some(total));
    // Proposed appointments are not stored: their entries have no fullUrl.
    if let Some(entries) = b["entry"].as_array_mut() {
        for e in entries {
            if let Some(o) = e.as_object_mut() {
                o.remove("fullUrl");
            }
        }
    }
    Ok(Fhir(StatusCode::OK, b))
}

fn id_of<T: std::str::FromStr>(field: &str, kind: &str, v: &str) -> ApiResult<T> {
    reference_id(field, kind, v)?
        .parse()
        .map_err(|_| ApiError::invalid(field.to_owned(), format!("`{v}` is not one of this clinic's ids")))
}

/// What a `$hold` or `$book` body asks for: the Appointment (given as is, or as the
/// `appointment` parameter of a Parameters resource).
struct Ask<'a> {
    appt: &'a Value,
    service: ServiceId,
    practitioner: PractitionerId,
    location: Option<LocationId>,
    start: jiff::Timestamp,
    start_offset: Option<jiff::tz::Offset>,
}

fn appointment_of(body: &Value) -> ApiResult<&Value> {
    match body["resourceType"].as_str() {
        Some("Appointment") => Ok(body),
        Some("Parameters") => body["parameter"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "appointment"))
            .map(|p| &p["resource"])
            .filter(|r| r["resourceType"] == "Appointment")
            .ok_or_else(|| ApiError::invalid("parameter", "give the Appointment as the `appointment` parameter")),
        _ => Err(ApiError::invalid("resourceType", "send an Appointment, or Parameters with an `appointment`")),
    }
}

/// The participants' references of one kind.
fn actors<'a>(appt: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    appt["participant"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["actor"]["reference"].as_str())
        .filter_map(move |r| r.strip_prefix(kind).and_then(|r| r.strip_prefix('/')))
}

fn ask(appt: &Value) -> ApiResult<Ask<'_>> {
    let location = actors(appt, "Location").next().map(|id| id_of("participant.actor", "Location", id)).transpose()?;
    // A slot from `$find` or a Slot search names practitioner, service and start itself.
    let slot_ref = appt["slot"].as_array().and_then(|s| s.first()).and_then(|s| s["reference"].as_str());
    if let Some(r) = slot_ref.filter(|r| !r.starts_with('#')) {
        let id = reference_id("slot", "Slot", r)?;
        let key = SlotKey::parse(id)
            .ok_or_else(|| ApiError::invalid("slot", format!("`{r}` is not a slot of this server")))?;
        let start_offset = match appt["start"].as_str() {
            Some(s) => parse_start("start", s)?.1,
            None => None,
        };
        return Ok(Ask {
            appt,
            service: key.service,
            practitioner: key.practitioner,
            location,
            start: key.start,
            start_offset,
        });
    }
    let start = appt["start"].as_str().ok_or_else(|| ApiError::invalid("start", "give `start` (or a `slot`)"))?;
    let (start, start_offset) = parse_start("start", start)?;
    let practitioner = actors(appt, "Practitioner")
        .next()
        .ok_or_else(|| ApiError::invalid("participant", "name the practitioner as a participant (Practitioner/{id})"))
        .and_then(|id| id_of("participant.actor", "Practitioner", id))?;
    let service = appt["serviceType"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["coding"].as_array().into_iter().flatten())
        .find_map(|c| {
            let system = c["system"].as_str().unwrap_or(super::resources::SERVICE_SYSTEM);
            (system == super::resources::SERVICE_SYSTEM).then(|| c["code"].as_str()).flatten()
        })
        .ok_or_else(|| ApiError::invalid("serviceType", "give the service as serviceType (urn:nobat:service)"))
        .and_then(|code| {
            code.parse().map_err(|_| ApiError::invalid("serviceType", format!("`{code}` is not a service id")))
        })?;
    Ok(Ask { appt, service, practitioner, location, start, start_offset })
}

/// `POST Appointment/$hold`: reserve the slot for a few minutes (the REST hold).
pub async fn hold(
    State(state): State<AppState>,
    visitor: Visitor,
    net: ClientNet,
    key: IdempotencyKey,
    body: ApiJson<Value>,
) -> ApiResult<Fhir> {
    let a = ask(appointment_of(&body.value)?)?;
    let acting = booking_actor(&state, &visitor, false).await?;
    let ctx: ClinicCtx = visitor.ctx;
    let id = HoldId::new();
    let owner = match acting.hold_user {
        Some(user) => HoldOwner::User(user),
        None => HoldOwner::Guest(state.auth.keys.token_hash(&guest_token(&state.auth.keys, ctx.clinic.id, id))),
    };
    let req = HoldRequest {
        clinic: ctx.clinic.id,
        id,
        service: a.service,
        practitioner: a.practitioner,
        location: a.location,
        start: a.start,
        start_offset: a.start_offset,
        ttl: state.hold_ttl,
        actor: acting.actor,
        idempotency: idempotency(
            key,
            fingerprint(&[
                "fhir-hold",
                &ctx.clinic.id.to_string(),
                &net.replay_caller(&acting.audit.id),
                &body.canonical,
            ]),
        ),
        owner,
        owner_capped: !acting.staff,
        caps: state.hold_caps,
    };
    match state.store.execute(Command::Hold(req)).await? {
        Output::Hold { hold, .. } => {
            let service = state.store.service(ctx.clinic.id, hold.service).await?;
            let token = hold
                .owner
                .as_deref()
                .is_some_and(|o| o.starts_with("guest:"))
                .then(|| guest_token(&state.auth.keys, hold.clinic, hold.id));
            Ok(Fhir(
                StatusCode::CREATED,
                appointment::pending(&hold, &service, &ctx.tz(hold.location), token.as_deref()),
            ))
        }
        other => Err(super::handlers::unexpected(other)),
    }
}

/// The patient of a `$book`: a contained Patient (name, phone or email), or — for staff — an
/// existing `Patient/{id}` of this clinic.
async fn patient_of(state: &AppState, visitor: &Visitor, appt: &Value) -> ApiResult<PatientInput> {
    if let Some(id) = actors(appt, "Patient").next() {
        visitor.staff::<nobat_core::access::ManageAppointments>(state).await?;
        let p = state.store.patient(visitor.ctx.clinic.id, id_of("participant.actor", "Patient", id)?).await?;
        return Ok(PatientInput { name: p.name, phone: p.phone, email: p.email, language: p.language });
    }
    let contained = appt["contained"].as_array().into_iter().flatten().find(|r| r["resourceType"] == "Patient");
    let p = contained.ok_or_else(|| {
        ApiError::invalid("contained", "give the patient as a contained Patient (name and a phone or email)")
    })?;
    let name = p["name"]
        .as_array()
        .and_then(|n| n.first())
        .and_then(|n| {
            n["text"].as_str().map(str::to_owned).or_else(|| {
                let given: Vec<&str> = n["given"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let family = n["family"].as_str();
                let all: Vec<&str> = given.into_iter().chain(family).collect();
                (!all.is_empty()).then(|| all.join(" "))
            })
        })
        .unwrap_or_default();
    let telecom = |system: &str| {
        p["telecom"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["system"] == system)
            .and_then(|t| t["value"].as_str())
            .map(str::to_owned)
    };
    let language = p["communication"]
        .as_array()
        .and_then(|c| c.first())
        .and_then(|c| c["language"]["coding"].as_array().and_then(|c| c.first()).and_then(|c| c["code"].as_str()))
        .map(str::to_owned);
    Ok(PatientInput { name, phone: telecom("phone"), email: telecom("email"), language })
}

/// `POST Appointment/$book`: book the slot (converting the caller's hold when the Appointment
/// is the `pending` one `$hold` answered). The loser of a race gets 409, as over REST.
pub async fn book(
    State(state): State<AppState>,
    visitor: Visitor,
    net: ClientNet,
    key: IdempotencyKey,
    headers: HeaderMap,
    body: ApiJson<Value>,
) -> ApiResult<Fhir> {
    let appt = appointment_of(&body.value)?;
    let a = ask(appt)?;
    let patient = patient_of(&state, &visitor, a.appt).await?.parse(&visitor.ctx.clinic).map_err(|e| {
        // The contact's fields live in the contained Patient here.
        ApiError::from(e)
    })?;
    let acting = booking_actor(&state, &visitor, false).await?;
    if let Some(user) = acting.user {
        state.auth.limits.booking_account(&user.to_string())?;
    }
    let ctx = visitor.ctx;
    if ctx.clinic.security.verify_guest_contact && !acting.staff {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "contact-unverified",
            "Confirm your phone or email first",
            "this clinic confirms patients' phone or email: book through the REST API with a contact proof, or as staff",
        ));
    }
    let hold = a.appt["id"]
        .as_str()
        .and_then(|id| id.strip_prefix(HOLD_PREFIX))
        .map(|h| h.parse::<HoldId>().map_err(|_| ApiError::invalid("id", "not a hold this server made")))
        .transpose()?;
    let token = a.appt["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["url"] == HOLD_TOKEN)
        .and_then(|e| e["valueString"].as_str())
        .or_else(|| headers.get(HOLD_TOKEN_HEADER).and_then(|v| v.to_str().ok()));
    let note = a.appt["comment"].as_str().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::invalid("comment", "keep the comment under 2000 characters"));
    }
    let caller = net.replay_caller(&acting.audit.id);
    let req = BookRequest {
        clinic: ctx.clinic.id,
        service: a.service,
        practitioner: a.practitioner,
        location: a.location,
        start: a.start,
        start_offset: a.start_offset,
        patient,
        hold,
        hold_claim: claim(&state, acting.hold_user, token),
        note,
        actor: acting.actor,
        audit_actor: acting.audit,
        idempotency: idempotency(
            key,
            fingerprint(&["fhir-book", &ctx.clinic.id.to_string(), &caller, &body.canonical]),
        ),
        user: acting.user,
        consents: Vec::new(),
        contact_verified: acting.staff,
    };
    match state.store.execute(Command::Book(req)).await? {
        Output::Appointment { appointment: booked, .. } => {
            let service = state.store.service(ctx.clinic.id, booked.service).await.ok();
            Ok(Fhir(StatusCode::CREATED, appointment::appointment(&booked, service.as_ref(), &ctx.tz(booked.location))))
        }
        other => Err(super::handlers::unexpected(other)),
    }
}
