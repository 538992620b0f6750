//! Nobat's HTTP face: the REST API under `/api/v1`, RFC 9457 errors, the OpenAPI document.
//!
//! Handlers parse and translate only; decisions are in `nobat_core`, applied atomically by
//! `nobat_store`. Errors become problem+json in exactly one place ([`problem`]).

pub mod auth;
pub mod context;
pub mod dto;
pub mod extract;
pub mod fhir;
pub mod health;
pub mod localise;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod queue_view;
pub mod routes;
pub mod smart_publish;
pub mod webhook_target;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use jiff::SignedDuration;
use nobat_store::Store;
use problem::ApiError;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// How long a hold lasts.
    pub hold_ttl: SignedDuration,
    /// Most active holds per owner and per clinic.
    pub hold_caps: nobat_core::hold::HoldCaps,
    /// Background workers that keep failing make the instance not ready.
    pub workers: health::WorkerHealth,
    /// Keys, limits and settings of the auth layer.
    pub auth: Arc<auth::AuthConfig>,
    /// Whether webhook URLs may resolve to private addresses (`webhook_allow_private_addresses`).
    pub webhooks_allow_private: bool,
    /// The SMART Scheduling Links publisher's horizon and polling hint.
    pub smart: smart_publish::Publishing,
    /// A followed source with no successful poll for this long is flagged stale.
    pub smart_stale: jiff::SignedDuration,
    /// The key ring sealing clinical content at rest (notes, forms, messages, attachments):
    /// seal with `state.data_keys.seal(aad, bytes)`, open with `.open(aad, sealed)`.
    pub data_keys: Arc<nobat_store::at_rest::DataKeys>,
    /// The data directory (attachments live under `attachments/`, outside the database).
    pub data_dir: std::path::PathBuf,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Nobat API",
        description = "Clinic availability, booking and appointments. Errors are RFC 9457 \
                       application/problem+json with a stable `type` per kind of error.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "directory", description = "Clinics, services, practitioners, locations"),
        (name = "booking", description = "Availability, holds and appointments"),
        (name = "staff", description = "Clinic management: needs a staff session or API token with the right role"),
        (name = "accounts", description = "Signing in, one's own account, 2FA, API tokens"),
        (name = "patients", description = "Patient records, consents, export and erasure"),
        (name = "operations", description = "Health"),
        (name = "queue", description = "The day-of queue: check-in, walk-ins, call next, boards and the patient's own ticket"),
        (name = "watches", description = "Waiting for a free time: notify, offer in turn, auto-book")
    )
)]
struct ApiDoc;

/// Declares the two ways to authenticate, and gives every operation that needs one its 401
/// and 403 answers.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`nbt_…`) or a session secret (`nbs_…`, from login with `bearer: true`)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::principal::COOKIE,
                "The browser session cookie; unsafe requests also need X-CSRF-Token",
            ))),
        );
        for item in doc.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
            {
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    for (code, what) in [("401", "not signed in"), ("403", "signed in, but not allowed here")] {
                        op.responses.responses.entry(code.into()).or_insert_with(|| {
                            utoipa::openapi::ResponseBuilder::new()
                                .description(what)
                                .content("application/problem+json", utoipa::openapi::ContentBuilder::new().build())
                                .build()
                                .into()
                        });
                    }
                }
            }
        }
    }
}

/// The API routes and their OpenAPI document, built together so no route can be missing from
/// the document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(routes::health::healthz))
        .routes(routes!(routes::health::readyz))
        .merge(routes::public())
        .merge(routes::account())
        .merge(routes::staff())
        .split_for_parts();
    let (router, mut doc) = (router, doc);
    utoipa::Modify::modify(&Security, &mut doc);
    utoipa::Modify::modify(&openapi::CommonAnswers, &mut doc);
    (router, doc)
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    // Data decoded on first use, loaded before the first request instead of during it.
    nobat_core::phone::warm_up();
    localise::warm_up();
    let limits = state.auth.limits.clone();
    let tls = state.auth.tls();
    let (api, doc) = api();
    let doc = Arc::new(doc);
    api.merge(pages::router())
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        // FHIR and iCalendar feeds: not REST, so not in the OpenAPI document.
        .merge(fhir::router())
        .route("/ical/{file}", get(routes::calendar::feed))
        .fallback(pages::not_found)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this endpoint does not accept that method",
            )
        })
        .with_state(state)
        .route_layer(axum::middleware::from_fn(move |req, next| auth::limits::enforce(limits.clone(), req, next)))
        .route_layer(axum::middleware::from_fn(metrics::record))
        .layer(axum::middleware::from_fn(extract::reject_nul))
        .layer(axum::middleware::from_fn(extract::limit_body))
        // Longer than the store's write timeout (10 s by default), which answers first and says
        // whether anything may have been changed; this one is the last resort, and its 504 says
        // "outcome unknown" too (`problem::ensure_problem_json`).
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "something went wrong on our side",
            )
            .into_response()
        }))
        .layer(axum::middleware::map_response(problem::ensure_problem_json))
        // Outside every layer that makes problem+json, so each is said in the request's language.
        .layer(axum::middleware::from_fn(localise::localise))
        // Outside localise: under /fhir every error, from any layer, becomes an OperationOutcome.
        .layer(axum::middleware::from_fn(fhir::outcome::translate))
        .layer(axum::middleware::from_fn(move |req, next| auth::headers::apply(tls, req, next)))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // Manage links carry a capability in the path: never write it to the logs.
            let path = req.uri().path();
            let path = if path.starts_with("/api/v1/manage/") {
                "/api/v1/manage/…"
            } else if path.starts_with("/m/") {
                "/m/…"
            } else if path.starts_with("/ical/") {
                // Feed URLs carry their token too.
                "/ical/…"
            } else {
                path
            };
            tracing::info_span!("request", method = %req.method(), path = %path)
        }))
}
