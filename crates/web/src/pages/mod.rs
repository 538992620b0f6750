//! The pages people use, server-rendered from askama templates (`crates/web/templates`) with
//! every text from the Fluent catalogues (`locales/*/pages.ftl`, `problems.ftl`). They work
//! without JavaScript; the little there is (`assets/app.js`) only decorates.
//!
//! Pages are thin: each calls the same store queries and the same REST handlers the API runs,
//! so no rule lives here. Every page route is listed in [`ROUTES`], which the tenant-isolation
//! test reads the way it reads the OpenAPI document for the API.

pub mod account;
pub mod admin;
pub mod assets;
pub mod board;
pub mod book;
pub mod desk;
pub mod directory;
pub mod errors;
pub mod form;
pub mod intake_form;
pub mod manage;
pub mod page;
pub mod place;
pub mod signin;
pub mod slots;
pub mod watch;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Who may open a page route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; what it shows is the clinic's public directory or its free times.
    Public,
    /// Anyone holding the capability in the path (a manage link's signed token).
    Capability,
    /// A signed-in session (a guest is sent to sign in).
    SignedIn,
    /// Signed-in staff of the clinic in the path holding the handler's capability.
    Staff,
}

/// Every page route: method, path (axum syntax), who may use it. The router below is built
/// from the same paths; `tests/isolation.rs` attacks each one.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("get", "/", Access::Public),
    ("get", "/assets/{name}", Access::Public),
    ("get", "/c/{clinic}", Access::Public),
    ("post", "/c/{clinic}/hold", Access::Public),
    ("get", "/c/{clinic}/details", Access::Public),
    ("post", "/c/{clinic}/book", Access::Public),
    ("get", "/m/{token}", Access::Capability),
    ("post", "/m/{token}/cancel", Access::Capability),
    ("post", "/m/{token}/reschedule", Access::Capability),
    ("get", "/m/{token}/calendar.ics", Access::Capability),
    // Codes and desks only, like the board API.
    ("get", "/board/{location}", Access::Public),
    ("get", "/signin", Access::Public),
    ("post", "/signin", Access::Public),
    ("post", "/signin/code", Access::Public),
    ("post", "/signout", Access::SignedIn),
    ("get", "/account", Access::SignedIn),
    ("post", "/account/password", Access::SignedIn),
    // RunQueues, like the queue API the desk's forms call.
    ("get", "/desk/{clinic}", Access::Staff),
    ("post", "/desk/{clinic}/check-in", Access::Staff),
    ("post", "/desk/{clinic}/walk-in", Access::Staff),
    ("post", "/desk/{clinic}/queues/{queue}/call-next", Access::Staff),
    ("post", "/desk/{clinic}/tickets/{ticket}", Access::Staff),
    ("get", "/q/{token}", Access::Capability),
    // Clinic admin and reports (`admin`): ManageClinic to see, each form its API route's grant.
    // A guest's watch for an earlier time, made from the booking page (like the watches API).
    ("post", "/c/{clinic}/watch", Access::Public),
    ("get", "/admin/{clinic}", Access::Staff),
    ("post", "/admin/{clinic}/{form}", Access::Staff),
    ("get", "/admin/{clinic}/reports", Access::Staff),
    ("get", "/admin/{clinic}/reports.csv", Access::Staff),
    // An intake form from the manage link: the token is the capability.
    ("get", "/m/{token}/forms/{form}", Access::Capability),
    ("post", "/m/{token}/forms/{form}", Access::Capability),
];

/// The page routes. Form posts pass through [`form::csrf_from_form`] first.
pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route(ROUTES[0].1, get(directory::home))
        .route(ROUTES[1].1, get(assets::serve))
        .route(ROUTES[2].1, get(book::start))
        .route(ROUTES[3].1, post(book::hold))
        .route(ROUTES[4].1, get(book::details))
        .route(ROUTES[5].1, post(book::book))
        .route(ROUTES[6].1, get(manage::view))
        .route(ROUTES[7].1, post(manage::cancel))
        .route(ROUTES[8].1, post(manage::reschedule))
        .route(ROUTES[9].1, get(manage::calendar))
        .route(ROUTES[10].1, get(board::board))
        .route(ROUTES[11].1, get(signin::show).post(signin::submit))
        .route(ROUTES[13].1, post(signin::code))
        .route(ROUTES[14].1, post(signin::signout))
        .route(ROUTES[15].1, get(account::view))
        .route(ROUTES[16].1, post(account::password))
        .route(ROUTES[17].1, get(desk::view))
        .route(ROUTES[18].1, post(desk::check_in))
        .route(ROUTES[19].1, post(desk::walk_in))
        .route(ROUTES[20].1, post(desk::call_next))
        .route(ROUTES[21].1, post(desk::ticket))
        .route(ROUTES[22].1, get(place::view))
        .route("/c/{clinic}/watch", post(watch::create))
        .route("/admin/{clinic}", get(admin::view))
        .route("/admin/{clinic}/{form}", post(admin::actions::post))
        .route("/admin/{clinic}/reports", get(admin::reports::view))
        .route("/admin/{clinic}/reports.csv", get(admin::reports::export))
        .route("/m/{token}/forms/{form}", get(intake_form::view).post(intake_form::submit));
    r.route_layer(axum::middleware::from_fn(form::csrf_from_form))
}

/// An unknown address: a browser asking for a page gets a page saying so, in its language;
/// everything else (the API, scripts) the problem+json 404.
pub async fn not_found(req: axum::extract::Request) -> axum::response::Response {
    use axum::extract::FromRequestParts;
    use axum::response::IntoResponse;
    let (mut parts, _) = req.into_parts();
    let wants_page = !parts.uri.path().starts_with("/api/")
        && parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    let api =
        crate::problem::ApiError::new(axum::http::StatusCode::NOT_FOUND, "not-found", "Not found", "no such endpoint");
    if !wants_page {
        return api.into_response();
    }
    let Ok(asked) = page::Asked::from_request_parts(&mut parts, &()).await;
    let p = page::Page::new(&asked, asked.resolve(None), None);
    let detail = p.t("pages-not-found");
    let title = p.t("pages-error-title");
    errors::page(p, errors::Shown { status: axum::http::StatusCode::NOT_FOUND, field: None, title, detail })
}
