//! RFC 9457 problem details: every error the API returns, and the one place where store and
//! domain errors become HTTP statuses. Each kind of error has a stable `type` URN so clients
//! can branch on it; `detail` is for people; causes are logged, never shown.

use crate::localise::Localisable;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nobat_core::{DomainError, Reason, ReasonArg};
use nobat_i18n::Args;
use nobat_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem details object (`application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:nobat:problem:slot-taken`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words a person can act on.
    pub detail: String,
    /// The request field at fault, when there is one (e.g. `patient.phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// An error on its way to becoming a problem+json response. `title` and `detail` are the
/// English ones; the `localise` layer says them in the request's language from the code and
/// arguments kept here.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
    retry_after: Option<u64>,
    /// What the `localise` layer needs; boxed so `Result<_, ApiError>` stays small.
    words: Box<Words>,
}

#[derive(Debug, Default)]
struct Words {
    /// Arguments of the catalogue's `problem-<code>-detail`.
    args: Args,
    /// A field-level reason from the core (`invalid-<code>` in the catalogues).
    reason: Option<(String, Args)>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            field: None,
            retry_after: None,
            // The byte limit of request bodies (lib.rs), for `payload-too-large`.
            words: Box::new(Words { args: Args::new().num("kib", 64), reason: None }),
        }
    }

    /// A body past the byte limit of its route (`limit_body`): the detail names that limit.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        let kib = i64::try_from(limit_bytes / 1024).unwrap_or(i64::MAX);
        let mut e = Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "The body is too large",
            format!("send at most {kib} KiB"),
        );
        e.words.args = Args::new().num("kib", kib);
        e
    }

    /// Adds `Retry-After` (seconds) to the response.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self.words.args = std::mem::take(&mut self.words.args).num("seconds", i64::try_from(secs).unwrap_or(i64::MAX));
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.words.args = std::mem::take(&mut self.words.args).str("field", field.clone());
        self.field = Some(field);
        self
    }

    /// A catalogue argument of this error's detail (`from`, `to`, ...).
    pub fn arg(mut self, name: &str, value: impl Into<String>) -> Self {
        self.words.args = std::mem::take(&mut self.words.args).str(name, value);
        self
    }

    /// The core's reason, which the detail is rendered from in other languages.
    pub fn with_reason(mut self, reason: &Reason) -> Self {
        let mut args = Args::new();
        for (name, value) in &reason.args {
            args = match value {
                ReasonArg::Str(s) => args.str(name, s.clone()),
                ReasonArg::Num(n) => args.num(name, *n),
            };
        }
        self.words.reason = Some((reason.code.to_owned(), args));
        self
    }

    /// A malformed request (unparseable JSON, wrong type, missing field): 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "The request is malformed", detail)
    }

    /// A well-formed request with an unacceptable value: 422.
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-input", "A value is not acceptable", detail)
            .with_field(field)
    }

    /// A change that was handed to the database but not confirmed in time: it may or may not
    /// have been made. 504, distinct from 503's "nothing was changed".
    pub fn outcome_unknown() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "outcome-unknown",
            "Outcome unknown",
            "the request took too long to confirm: if it was a change, it may or may not have been made. \
             Retrying with the same Idempotency-Key is safe; without one, check before retrying",
        )
        .retry_after(1)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", format!("{what} not found"))
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("urn:nobat:problem:{}", self.kind),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            field: self.field.clone(),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        use StatusCode as S;
        let detail = e.to_string();
        match e {
            DomainError::Invalid { field, message, reason } => match reason {
                Some(r) => ApiError::invalid(field, message).with_reason(&r),
                None => ApiError::invalid(field, message),
            },
            DomainError::SlotNotOffered(_) => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "slot-not-offered", "This time is not offered", detail)
                    .with_field("start")
            }
            DomainError::SlotTaken => ApiError::new(S::CONFLICT, "slot-taken", "The slot is taken", detail),
            DomainError::HoldInvalid(_) => {
                ApiError::new(S::CONFLICT, "hold-invalid", "The hold cannot be used", detail).with_field("hold")
            }
            DomainError::HoldNotYours(_) => {
                ApiError::new(S::FORBIDDEN, "hold-not-yours", "The hold is someone else's", detail).with_field("hold")
            }
            DomainError::HoldLimit { scope: "owner", .. } => {
                ApiError::new(S::TOO_MANY_REQUESTS, "too-many-holds", "You hold too many slots", detail)
            }
            DomainError::HoldLimit { .. } => ApiError::new(
                S::TOO_MANY_REQUESTS,
                "clinic-holds-full",
                "Too many slots of this clinic are held",
                detail,
            ),
            DomainError::CutOffPassed(_) => {
                ApiError::new(S::CONFLICT, "cut-off-passed", "Too late to change online", detail)
            }
            DomainError::TooManySlots { .. } => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "too-many-slots", "Too many slots for one answer", detail)
                    .with_field("to")
            }
            DomainError::Refused(_) => ApiError::new(S::CONFLICT, "refused", "Not possible", detail),
            DomainError::NotYours(_) => ApiError::new(S::FORBIDDEN, "forbidden", "Not allowed", detail),
            DomainError::IllegalTransition { from, to } => {
                ApiError::new(S::CONFLICT, "illegal-transition", "The appointment cannot change that way", detail)
                    .arg("from", from)
                    .arg("to", to)
            }
            DomainError::TicketState { .. } => {
                ApiError::new(S::CONFLICT, "ticket-state", "The ticket cannot do that now", detail)
            }
            DomainError::QueueEmpty => ApiError::new(S::CONFLICT, "queue-empty", "Nobody is waiting", detail),
            DomainError::QueueFull { .. } => ApiError::new(S::CONFLICT, "queue-full", "The queue is full", detail),
            DomainError::QueueClosed => {
                ApiError::new(S::CONFLICT, "queue-closed", "The queue is not taking patients", detail)
            }
            DomainError::FormsRequired(forms) => {
                ApiError::new(S::CONFLICT, "forms-required", "Forms to fill in first", detail).arg("forms", forms)
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use StatusCode as S;
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::AlreadyExists(detail) => ApiError::new(S::CONFLICT, "already-exists", "Already exists", detail),
            StoreError::IdempotencyMismatch => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused with another request",
                "this Idempotency-Key was already used with a different request; use a new key for a new request",
            )
            .with_field("Idempotency-Key"),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Temporarily unavailable",
                    "the service is busy or restarting; nothing was changed, please try again",
                )
            }
            StoreError::Busy => ApiError::new(
                S::SERVICE_UNAVAILABLE,
                "busy",
                "Too busy",
                "the server has too many changes waiting; nothing was changed, please try again shortly",
            )
            .retry_after(1),
            StoreError::OutcomeUnknown => ApiError::outcome_unknown(),
            StoreError::SchemaMismatch(detail) => {
                tracing::error!(%detail, "schema mismatch");
                ApiError::new(
                    S::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Temporarily unavailable",
                    "the server is being upgraded",
                )
            }
            other => {
                tracing::error!(error = ?other, "internal error");
                ApiError::new(
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on our side; nothing was changed",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let Words { args, reason } = *self.words;
        res.extensions_mut().insert(Localisable { problem, code: self.kind, args, reason });
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Turns any error response that is not already problem+json — a body-limit 413, a timeout,
/// a rejection from a layer — into one, so clients see one error format everywhere.
pub async fn ensure_problem_json(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    // A page's error is an HTML page in the reader's language (`pages::errors`), not JSON.
    let is_page = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_problem || is_page {
        return res;
    }
    let (kind, title, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload-too-large", "The body is too large", "send at most 64 KiB"),
        // The request timeout fired: a change the handler had handed to the writer may still
        // commit, so this must not say "nothing was changed".
        StatusCode::GATEWAY_TIMEOUT => return ApiError::outcome_unknown().into_response(),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => {
            ("unavailable", "Temporarily unavailable", "the request took too long; please try again")
        }
        s if s.is_server_error() => ("internal", "Internal error", "something went wrong on our side"),
        _ => ("bad-request", "The request is malformed", "the request could not be processed"),
    };
    ApiError::new(status, kind, title, detail).into_response()
}

/// Under `/fhir` the same errors are said as FHIR OperationOutcomes: `crate::fhir::outcome`
/// rewrites every problem+json answer there (the one FHIR mapping, from these).
/// Result type of every handler.
pub type ApiResult<T> = Result<T, ApiError>;
