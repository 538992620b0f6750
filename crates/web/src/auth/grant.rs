//! Access, decided in one place. A handler states the capability it needs in its signature —
//! `Staff<ManageSchedules>` — and receives the clinic and an audit actor only if the caller
//! holds it there; without the grant a handler has neither the clinic context nor an actor to
//! hand the store, so it cannot reach the operation. The role → capability table lives in
//! `nobat_core::access`.

use super::principal::{MaybeSignedIn, Principal, Via, authenticate, unauthenticated};
use crate::AppState;
use crate::context::ClinicCtx;
use crate::problem::{ApiError, ApiResult};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use nobat_core::access::{Capability, Role};
use nobat_store::AuditActor;
use std::marker::PhantomData;

/// Proof that the caller holds capability `C` in the clinic named by the path.
pub struct Staff<C: Capability> {
    pub ctx: ClinicCtx,
    pub principal: Principal,
    pub role: Role,
    _cap: PhantomData<C>,
}

impl<C: Capability> Staff<C> {
    /// The caller as the audit trail names them.
    pub fn actor(&self) -> AuditActor {
        self.principal.actor(Some(self.role))
    }
}

fn forbidden(kind: &'static str, title: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, kind, title, detail)
}

/// The single decision: may this caller use capability `C` in this clinic?
pub async fn grant<C: Capability>(state: &AppState, principal: &Principal, ctx: ClinicCtx) -> ApiResult<Staff<C>> {
    let membership = state.store.membership(ctx.clinic.id, principal.user.id).await?;
    let role = match (&principal.via, membership) {
        (_, None) => {
            return Err(forbidden("not-a-member", "Not a member of this clinic", "you do not work for this clinic"));
        }
        (Via::Token(t), Some(_)) if t.clinic != ctx.clinic.id => {
            return Err(forbidden(
                "wrong-clinic",
                "Token for another clinic",
                "this API token belongs to another clinic",
            ));
        }
        // A token acts with its own role, and only where its holder's current role may too
        // (roles are not a ranking: a practitioner token of a receptionist may not manage
        // schedules, which a receptionist may).
        (Via::Token(t), Some(m)) if !C::allows(m.role) || !m.role.covers(t.role) => {
            return Err(forbidden(
                "forbidden",
                "Not allowed",
                format!("a {} may not do this (it needs {})", m.role, C::NAME),
            ));
        }
        (Via::Token(t), Some(_)) => t.role,
        (Via::Session { .. } | Via::Telegram { .. }, Some(m)) => m.role,
    };
    if !C::allows(role) {
        return Err(forbidden("forbidden", "Not allowed", format!("a {role} may not do this (it needs {})", C::NAME)));
    }
    if ctx.clinic.security.require_staff_2fa && !principal.user.totp_enabled() {
        return Err(forbidden(
            "two-factor-required",
            "Two-factor authentication required",
            "this clinic requires staff to use two-factor authentication; turn it on under /api/v1/me/2fa",
        ));
    }
    Ok(Staff { ctx, principal: principal.clone(), role, _cap: PhantomData })
}

/// The clinic named by the route's `{clinic}` parameter.
pub(crate) async fn path_clinic(parts: &mut Parts, state: &AppState) -> ApiResult<ClinicCtx> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::bad_request("the path could not be read"))?;
    let key = params
        .iter()
        .find(|(k, _)| *k == "clinic")
        .map(|(_, v)| v.to_owned())
        .ok_or_else(|| ApiError::bad_request("this route names no clinic"))?;
    ClinicCtx::load(state, &key).await
}

impl<C: Capability> FromRequestParts<AppState> for Staff<C> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let principal =
            authenticate(parts, state).await?.ok_or_else(|| unauthenticated("sign in as a member of this clinic"))?;
        let ctx = path_clinic(parts, state).await?;
        grant::<C>(state, &principal, ctx).await
    }
}

/// An instance operator, signed in with a session.
pub struct Operator(pub Principal);

impl Operator {
    pub fn actor(&self) -> AuditActor {
        AuditActor::new(format!("user:{}", self.0.user.id), format!("{} (operator)", self.0.user.name))
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match authenticate(parts, state).await? {
            Some(p) if p.user.is_operator && p.is_session() => Ok(Self(p)),
            Some(_) => Err(forbidden("forbidden", "Operators only", "only an instance operator may do this")),
            None => Err(unauthenticated("sign in as an operator")),
        }
    }
}

/// A caller who is either anonymous or anyone, with the clinic in the path: for public routes
/// that behave differently for staff (an override) or for a signed-in patient.
pub struct Visitor {
    pub ctx: ClinicCtx,
    pub principal: Option<Principal>,
}

impl Visitor {
    /// The staff grant for `C`, if the caller has it; an error saying why not otherwise.
    pub async fn staff<C: Capability>(&self, state: &AppState) -> ApiResult<Staff<C>> {
        let p = self.principal.as_ref().ok_or_else(|| unauthenticated("sign in as staff to do this"))?;
        grant::<C>(state, p, self.ctx.clone()).await
    }

    /// The same, but `None` instead of an error when the caller is not such staff.
    pub async fn staff_opt<C: Capability>(&self, state: &AppState) -> ApiResult<Option<Staff<C>>> {
        let Some(p) = self.principal.as_ref() else { return Ok(None) };
        // `grant` answers 403 for a non-member too: one membership read, not two.
        match grant::<C>(state, p, self.ctx.clone()).await {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.status() == StatusCode::FORBIDDEN => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let MaybeSignedIn(principal) = MaybeSignedIn::from_request_parts(parts, state).await?;
        let ctx = path_clinic(parts, state).await?;
        Ok(Self { ctx, principal })
    }
}
