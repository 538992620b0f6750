//! FHIR R4 (JSON) under `/fhir/{clinic}`: each clinic is a FHIR server base. Read and search
//! for the directory (public, as the REST directory is), computed Slots, and — for the
//! clinic's staff, granted by the same capability table as REST — Appointment and Patient;
//! booking through `Appointment/$find`, `$hold` and `$book`, which send the same store
//! commands as the REST API. Errors are OperationOutcomes ([`outcome`]).
//!
//! These routes are not in the OpenAPI document (it describes the REST API); the isolation
//! test lists them on its own.

pub mod bundle;
pub mod handlers;
pub mod operations;
pub mod outcome;
pub mod patients;
pub mod resources;
pub mod search;

use crate::AppState;
use crate::problem::ApiError;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

/// A FHIR answer: a resource with its status, as `application/fhir+json`.
pub struct Fhir(pub StatusCode, pub Value);

impl IntoResponse for Fhir {
    fn into_response(self) -> Response {
        let mut res = (self.0, serde_json::to_vec(&self.1).unwrap_or_default()).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(outcome::FHIR_JSON));
        res
    }
}

/// A FHIR answer already serialised (typed resources written without a JSON tree).
pub struct FhirBody(pub StatusCode, pub Vec<u8>);

impl FhirBody {
    pub fn of<T: serde::Serialize>(status: StatusCode, value: &T) -> Self {
        Self(status, serde_json::to_vec(value).unwrap_or_default())
    }
}

impl IntoResponse for FhirBody {
    fn into_response(self) -> Response {
        let mut res = (self.0, self.1).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(outcome::FHIR_JSON));
        res
    }
}

/// The FHIR base of a clinic, for `fullUrl`s and paging links.
pub fn base(state: &AppState, clinic_slug: &str) -> String {
    format!("{}/fhir/{clinic_slug}", state.auth.public_url)
}

/// The routes (merged into the app; `outcome::translate` wraps the whole app).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/fhir/{clinic}/metadata", get(handlers::metadata))
        .route("/fhir/{clinic}/Appointment/$find", get(operations::find))
        .route("/fhir/{clinic}/Appointment/$hold", post(operations::hold))
        .route("/fhir/{clinic}/Appointment/$book", post(operations::book))
        .route("/fhir/{clinic}/{kind}", get(handlers::search))
        .route("/fhir/{clinic}/{kind}/{id}", get(handlers::read))
        .route_layer(axum::middleware::from_fn(negotiate))
}

/// Answers only in JSON: `Accept` must allow FHIR JSON or JSON, and `_format`, when given,
/// must name JSON; anything else is 406 (FHIR R4 §3.1.0.1.7).
async fn negotiate(req: Request, next: Next) -> Response {
    let json_ok = |v: &str| {
        v.split(',').any(|part| {
            let mime = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            matches!(
                mime.as_str(),
                "" | "*/*"
                    | "application/*"
                    | "application/fhir+json"
                    | "application/json"
                    | "application/json+fhir"
                    | "json"
            )
        })
    };
    let accept_ok = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_none_or(json_ok);
    let format_ok = search::Params::parse(req.uri().query()).all("_format").all(json_ok);
    if !accept_ok || !format_ok {
        return ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            "Only JSON is served",
            "this FHIR server answers application/fhir+json (or application/json) only",
        )
        .into_response();
    }
    next.run(req).await
}
