//! The answers every operation can give because of *how* it is reached rather than what it
//! does — a rate limit, a body that is not JSON, a path segment naming nothing — added to the
//! OpenAPI document from the operation's own shape, so no handler's annotation can forget one.
//! `scripts/fuzz-api` checks the result against the running server: any status an operation
//! answers and the document does not list fails it.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the statuses that layers and extractors give, to the operations they apply to.
pub struct CommonAnswers;

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, doc: &mut OpenApi) {
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                for (code, what) in answers(op) {
                    add(op, code, what);
                }
            }
        }
    }
}

fn answers(op: &Operation) -> Vec<(&'static str, &'static str)> {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place));
    // Every route passes the per-client API rate limit, and a credential that is sent must be
    // valid (an expired session or a revoked token is told so, even where none is needed).
    let mut out = vec![
        ("401", "a credential was sent and is not valid (expired session, revoked token)"),
        ("429", "rate-limited; see Retry-After"),
        ("503", "temporarily unavailable; nothing was changed, try again"),
    ];
    if op.request_body.is_some() {
        out.extend([
            ("400", "the body is not JSON, or a field is missing or of the wrong type"),
            ("413", "the body is larger than 64 KiB"),
            ("415", "the body is not sent as application/json"),
            ("422", "a value is not acceptable (the field is named)"),
        ]);
    }
    if has(ParameterIn::Path) {
        // A path segment that names nothing (an unknown clinic, a malformed id), or one
        // holding a NUL character.
        out.extend([("404", "not found"), ("422", "a path segment holds a NUL character")]);
    }
    if has(ParameterIn::Query) {
        out.extend([
            ("400", "an unknown or malformed query parameter"),
            ("422", "a query parameter is not acceptable (it is named)"),
        ]);
    }
    if has(ParameterIn::Header) {
        out.push(("422", "a header is not acceptable (it is named)"));
    }
    out
}

/// Adds `code` as a problem+json answer unless the operation documents it already.
fn add(op: &mut Operation, code: &str, what: &str) {
    op.responses.responses.entry(code.into()).or_insert_with(|| {
        ResponseBuilder::new()
            .description(what)
            .content(
                "application/problem+json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
            )
            .build()
            .into()
    });
}
