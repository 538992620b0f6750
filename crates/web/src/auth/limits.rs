//! Rate limits (GCRA, via `governor`): per client IP on every API request, tighter per IP on
//! sign-in, one-time codes, booking and joining a queue by link, and per account / per contact
//! on sign-in, codes and joins.
//! A limit of 0 turns that bucket off. Over the limit: 429 problem+json with `Retry-After`.
//!
//! The client IP is the connection's peer, or — only when `trust_forwarded_for` is set,
//! behind a reverse proxy that sets it — the last address in `X-Forwarded-For`.

use crate::problem::ApiError;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Requests per minute for each bucket; 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Every API request, per IP.
    pub api_per_ip: u32,
    /// Sign-in and registration attempts, per IP.
    pub login_per_ip: u32,
    /// Sign-in attempts, per account (email) and client network.
    pub login_per_account: u32,
    /// One-time codes requested or tried, per IP.
    pub codes_per_ip: u32,
    /// One-time codes sent, per phone or email.
    pub codes_per_contact: u32,
    /// Holds and bookings, per IP.
    pub booking_per_ip: u32,
    pub trust_forwarded_for: bool,
}

impl LimitSettings {
    /// Everything off (tests and benchmarks that are not about limits).
    pub fn off() -> Self {
        Self {
            api_per_ip: 0,
            login_per_ip: 0,
            login_per_account: 0,
            codes_per_ip: 0,
            codes_per_contact: 0,
            booking_per_ip: 0,
            trust_forwarded_for: false,
        }
    }
}

struct Bucket(Option<DefaultKeyedRateLimiter<String>>);

impl Bucket {
    /// Forgets keys whose budget is full again, so memory follows recent clients only.
    fn forget_idle(&self) {
        if let Some(l) = &self.0 {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    fn new(per_minute: u32) -> Self {
        Self(NonZeroU32::new(per_minute).map(|n| {
            // Bursts of up to a fifth of the minute's budget (at least 3), refilled evenly.
            let burst = NonZeroU32::new((per_minute / 5).max(3).min(per_minute)).unwrap_or(n);
            RateLimiter::keyed(Quota::per_minute(n).allow_burst(burst))
        }))
    }

    fn check(&self, key: &str) -> Result<(), ApiError> {
        let Some(limiter) = &self.0 else { return Ok(()) };
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            metrics::counter!("nobat_rate_limited_total").increment(1);
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            too_many(wait.as_secs() + 1)
        })
    }
}

fn too_many(retry_after: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
        format!("slow down; try again in {retry_after} s"),
    )
    .retry_after(retry_after)
}

/// Every bucket.
pub struct Limits {
    api: Bucket,
    login_ip: Bucket,
    login_account: Bucket,
    codes_ip: Bucket,
    codes_contact: Bucket,
    booking_ip: Bucket,
    /// The same budget per signed-in account, wherever it books from.
    booking_account: Bucket,
    /// Joins of a queue by link, per contact (the booking budget): one phone cannot fill a
    /// line from many networks.
    join_contact: Bucket,
    trust_forwarded_for: bool,
    seen: std::sync::atomic::AtomicU64,
}

impl Limits {
    pub fn new(s: LimitSettings) -> Self {
        Self {
            api: Bucket::new(s.api_per_ip),
            login_ip: Bucket::new(s.login_per_ip),
            login_account: Bucket::new(s.login_per_account),
            codes_ip: Bucket::new(s.codes_per_ip),
            codes_contact: Bucket::new(s.codes_per_contact),
            booking_ip: Bucket::new(s.booking_per_ip),
            booking_account: Bucket::new(s.booking_per_ip),
            join_contact: Bucket::new(s.booking_per_ip),
            trust_forwarded_for: s.trust_forwarded_for,
            seen: Default::default(),
        }
    }

    /// Per-account sign-in limit (called by the login handler with the email).
    /// Keyed by the email *and* the caller's network: keyed by the email alone, a stranger
    /// sending a few attempts a minute would keep the owner from signing in anywhere.
    /// Guessing spread over many networks is bounded by the lockout's account-wide ceiling.
    pub fn login_account(&self, email: &str, network: &str) -> Result<(), ApiError> {
        self.login_account.check(&format!("{email} from {network}"))
    }

    /// Per-account booking limit (called with the signed-in user's id).
    pub fn booking_account(&self, user: &str) -> Result<(), ApiError> {
        self.booking_account.check(user)
    }

    /// Per-contact limit on joining queues by link (called with the joiner's contact key).
    pub fn join_contact(&self, contact_key: &str) -> Result<(), ApiError> {
        self.join_contact.check(contact_key)
    }

    /// Per-contact code limit (called with the normalised phone or email).
    pub fn codes_contact(&self, contact_key: &str) -> Result<(), ApiError> {
        self.codes_contact.check(contact_key)
    }

    fn client_ip(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<IpAddr> {
        if self.trust_forwarded_for
            && let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
        extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
    }

    /// The caller's network as limits, lockout and idempotent replays name it: its IPv4
    /// address or IPv6 /64 (`unknown` when the server cannot tell, e.g. in-process calls).
    pub fn client_network(&self, headers: &HeaderMap, extensions: &Extensions) -> String {
        self.client_ip(headers, extensions).map_or_else(|| "unknown".to_owned(), client_key)
    }

    /// The buckets a request falls in, by its route template and method.
    fn check_request(&self, req: &Request) -> Result<(), ApiError> {
        if self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10_000 == 9_999 {
            for b in [
                &self.api,
                &self.login_ip,
                &self.login_account,
                &self.codes_ip,
                &self.codes_contact,
                &self.booking_ip,
                &self.booking_account,
                &self.join_contact,
            ] {
                b.forget_idle();
            }
        }
        let Some(ip) = self.client_ip(req.headers(), req.extensions()) else { return Ok(()) };
        let ip = client_key(ip);
        self.api.check(&ip)?;
        let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str()).unwrap_or("");
        let post = req.method() == Method::POST;
        if post && (route == "/api/v1/auth/login" || route == "/api/v1/auth/register") {
            self.login_ip.check(&ip)?;
        }
        if post && route.starts_with("/api/v1/clinics/{clinic}/verifications") {
            self.codes_ip.check(&ip)?;
        }
        let booking = route == "/api/v1/clinics/{clinic}/holds"
            || route == "/api/v1/clinics/{clinic}/appointments"
            || route.ends_with("/reschedule")
            || route == "/api/v1/join/{token}";
        if post && booking {
            self.booking_ip.check(&ip)?;
        }
        Ok(())
    }
}

/// The key a client is limited under: its IPv4 address, or its IPv6 /64 — one subscriber's
/// network, which can hold more addresses than anyone could rotate through.
fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The caller's network (see [`Limits::client_network`]), for handlers that key something on it.
#[derive(Debug, Clone)]
pub struct ClientNet(pub String);

impl axum::extract::FromRequestParts<crate::AppState> for ClientNet {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        Ok(Self(state.auth.limits.client_network(&parts.headers, &parts.extensions)))
    }
}

impl ClientNet {
    /// Who is asking, as idempotent replays tell callers apart: a signed-in caller or token by
    /// its audit id; a guest — who has no identity — by the network they call from, so that a
    /// stranger repeating a guest's key and body elsewhere does not get the guest's booking
    /// (and its manage link) replayed.
    pub fn replay_caller(&self, audit_id: &str) -> String {
        if audit_id == nobat_store::AuditActor::guest().id { format!("guest@{}", self.0) } else { audit_id.to_owned() }
    }
}

/// The middleware: refuses over-limit requests before they reach a handler.
pub async fn enforce(limits: Arc<Limits>, req: Request, next: Next) -> Response {
    match limits.check_request(&req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_limited_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        assert_eq!(client_key("::ffff:192.0.2.7".parse().expect("ip")), "192.0.2.7");
    }
}
