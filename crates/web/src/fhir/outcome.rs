//! OperationOutcome: the one way FHIR errors are said. Every error the server makes is built
//! once as an [`ApiError`](crate::problem::ApiError) (problem+json, `crate::problem`, in the
//! request's language); under `/fhir` this middleware — the outermost layer that sees them —
//! turns each such answer into an OperationOutcome with the same status. So no handler, layer
//! or fallback can answer a FHIR client in the REST dialect, and the mapping lives in one place.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};

/// The FHIR media type of every answer under `/fhir`.
pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// The `IssueType` code (http://hl7.org/fhir/issue-type) for an HTTP status.
pub fn issue_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "structure",
        401 => "login",
        403 => "forbidden",
        404 | 410 => "not-found",
        405 | 406 | 415 => "not-supported",
        409 => "conflict",
        412 => "conflict",
        413 => "too-costly",
        422 => "invalid",
        429 => "throttled",
        504 => "timeout",
        503 => "transient",
        _ => "exception",
    }
}

/// The OperationOutcome for a problem+json body (RFC 9457) answered with `status`.
pub fn from_problem(status: StatusCode, problem: &Value) -> Value {
    let title = problem["title"].as_str().unwrap_or("Error");
    let detail = problem["detail"].as_str().unwrap_or("");
    let kind = problem["type"].as_str().unwrap_or("urn:nobat:problem:internal");
    let mut issue = json!({
        "severity": "error",
        "code": issue_code(status),
        // The stable kind of error, as the REST API names it, for clients that branch on it.
        "details": { "coding": [{ "system": "urn:nobat:problem", "code": kind.trim_start_matches("urn:nobat:problem:") }],
                     "text": title },
        "diagnostics": detail,
    });
    if let Some(field) = problem["field"].as_str() {
        issue["expression"] = json!([field]);
    }
    json!({ "resourceType": "OperationOutcome", "issue": [issue] })
}

/// Rewrites every problem+json answer under `/fhir` as an OperationOutcome.
pub async fn translate(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/fhir/") && req.uri().path() != "/fhir" {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if !is_problem {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Problem bodies are small (a few hundred bytes); a megabyte bounds a broken one.
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let problem: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let outcome = from_problem(parts.status, &problem);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&outcome).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_becomes_an_outcome_with_its_field_and_kind() {
        let p = json!({ "type": "urn:nobat:problem:slot-taken", "title": "The slot is taken", "status": 409,
                        "detail": "someone else booked it", "field": "start" });
        let o = from_problem(StatusCode::CONFLICT, &p);
        assert_eq!(o["resourceType"], "OperationOutcome");
        assert_eq!(o["issue"][0]["code"], "conflict");
        assert_eq!(o["issue"][0]["severity"], "error");
        assert_eq!(o["issue"][0]["expression"], json!(["start"]));
        assert_eq!(o["issue"][0]["details"]["coding"][0]["code"], "slot-taken");
        assert_eq!(o["issue"][0]["diagnostics"], "someone else booked it");
    }

    #[test]
    fn every_error_status_has_an_issue_code() {
        for s in [400u16, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422, 429, 500, 503, 504] {
            let code = issue_code(StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
            assert!(!code.is_empty());
        }
        assert_eq!(issue_code(StatusCode::NOT_FOUND), "not-found");
        assert_eq!(issue_code(StatusCode::INTERNAL_SERVER_ERROR), "exception");
    }
}
