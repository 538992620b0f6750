//! Patient search (staff with `ViewPatients`): the parameters a scheduling client finds a
//! patient by — `_id`, `identifier` (ours: `urn:nobat:patient|{id}`), `name` (`:exact`,
//! `:contains`), `telecom`, `phone`, `email` — in keyset pages. Every patient a page shows is
//! written to the audit trail (action `search`), so it appears in that patient's access log
//! as a REST read does.

use super::resources::patient::{self, IDENTIFIER_SYSTEM};
use super::search::{Params, token_code};
use super::{Fhir, base, bundle};
use crate::AppState;
use crate::context::ClinicCtx;
use crate::problem::{ApiError, ApiResult};
use axum::http::StatusCode;
use nobat_core::PatientId;
use nobat_store::audit::AuditActor;
use nobat_store::commands::RecordAccess;
use nobat_store::reads::{NameMatch, NameSearch, PatientSearch};
use nobat_store::{Command, Output};
use serde_json::Value;

/// The criteria of a search, read from its parameters (each a 422 naming it when unusable).
fn criteria(ctx: &ClinicCtx, params: &Params) -> ApiResult<PatientSearch> {
    let mut q = PatientSearch::default();
    let unknown_id = || PatientId(uuid::Uuid::nil());
    for v in params.any_of("_id") {
        // An id that is no patient's matches nothing (rather than everything).
        q.ids.push(v.parse().unwrap_or_else(|_| unknown_id()));
    }
    for v in params.any_of("identifier") {
        let (system, code) = v.rsplit_once('|').map_or((None, v.as_str()), |(s, c)| (Some(s), c));
        if system.is_some_and(|s| !s.is_empty() && s != IDENTIFIER_SYSTEM) {
            return Err(ApiError::invalid("identifier", format!("patients are identified in {IDENTIFIER_SYSTEM}")));
        }
        q.ids.push(code.parse().unwrap_or_else(|_| unknown_id()));
    }
    let mut names = Vec::new();
    for (k, v) in &params.0 {
        let mode = match k.as_str() {
            "name" => NameMatch::Starts,
            "name:contains" => NameMatch::Contains,
            "name:exact" => NameMatch::Exact,
            other if other.starts_with("name:") => {
                return Err(ApiError::invalid(other.to_owned(), "use name, name:contains or name:exact"));
            }
            _ => continue,
        };
        let value = v.trim();
        if value.is_empty() || value.chars().count() > 200 {
            return Err(ApiError::invalid(k.clone(), "give 1 to 200 characters of the name"));
        }
        names.push(NameSearch { mode, value: value.to_owned() });
    }
    if names.len() > 1 {
        return Err(ApiError::invalid("name", "give `name` once"));
    }
    q.name = names.pop();
    let country = ctx.clinic.country.as_deref().and_then(|c| nobat_core::phone::Country::parse("country", c).ok());
    let mut contact = |field: &str, raw: &str| -> ApiResult<()> {
        let raw = raw.trim();
        let (system, value) = raw.split_once('|').unwrap_or(("", raw));
        let email = system == "email" || (system.is_empty() && value.contains('@'));
        let slot = if email { &mut q.email } else { &mut q.phone };
        let normal = if email {
            value.to_lowercase()
        } else if system.is_empty() || system == "phone" || system == "sms" {
            nobat_core::phone::to_e164(field, value, country)?
        } else {
            return Err(ApiError::invalid(field.to_owned(), "search telecom by phone|… or email|…"));
        };
        if slot.as_ref().is_some_and(|s| *s != normal) {
            return Err(ApiError::invalid(field.to_owned(), "give one phone and one email at most"));
        }
        *slot = Some(normal);
        Ok(())
    };
    for field in ["telecom", "phone", "email"] {
        for v in params.all(field) {
            let v = if field == "telecom" { v.to_owned() } else { format!("{field}|{}", token_code(v)) };
            contact(field, &v)?;
        }
    }
    Ok(q)
}

pub(super) async fn search(
    state: &AppState,
    ctx: &ClinicCtx,
    actor: AuditActor,
    params: &Params,
    url: &str,
) -> ApiResult<Fhir> {
    let mut q = criteria(ctx, params)?;
    let count = params.count(50, 500)?;
    q.after = params
        .one("_cursor")?
        .map(|v| v.parse::<PatientId>().map_err(|_| ApiError::invalid("_cursor", "use the `next` link as given")))
        .transpose()?;
    q.limit = u32::try_from(count).unwrap_or(50);
    let found = state.store.search_patients(ctx.clinic.id, &q).await?;
    let next = match found.last() {
        Some(last) if found.len() == count => {
            Some(bundle::page_url(url, &params.0, &[("_cursor", last.id.to_string())]))
        }
        _ => None,
    };
    // Written before the answer leaves: a page nobody could account for is never shown.
    let seen: Vec<RecordAccess> = found
        .iter()
        .map(|p| RecordAccess {
            clinic: ctx.clinic.id,
            patient: p.id,
            appointment: None,
            action: "search",
            actor: actor.clone(),
        })
        .collect();
    if !seen.is_empty() {
        match state.store.execute(Command::RecordAccesses(seen)).await? {
            Output::Done => {}
            other => return Err(super::handlers::unexpected(other)),
        }
    }
    let base = base(state, &ctx.clinic.slug);
    let page: Vec<(String, Value)> =
        found.iter().map(|p| (format!("{base}/Patient/{}", p.id), patient::patient(p))).collect();
    let this = bundle::page_url(url, &params.0, &[]);
    Ok(Fhir(StatusCode::OK, bundle::searchset(&this, next.as_deref(), page, None)))
}
