//! The HTTP server loop. `axum::serve` has no limit on how long a client may take to send its
//! request headers and waits for every connection at shutdown, so one client that never
//! finishes its headers holds a connection forever and keeps a stopping server alive. Here:
//!
//! * a header read timeout per request (hyper's, which also bounds how long an idle keep-alive
//!   connection waits for its next request);
//! * at most `max_connections` connections at once: past that, new ones wait in the kernel's
//!   listen backlog until one closes;
//! * on shutdown the listener closes at once (new connections are refused, not left hanging),
//!   open connections finish their current request, and whatever is still open after
//!   `shutdown_grace` is dropped. A request dropped that way was never answered, so nothing
//!   acknowledged is lost; writes it queued are committed or not by the store's own close.

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Bounds on connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub shutdown_grace: Duration,
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes, then drains within the grace.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (draining, drain) = watch::channel(false);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let router = app.clone();
        let mut drain = drain.clone();
        let header_read_timeout = limits.header_read_timeout;
        connections.spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(req)
            });
            let mut builder = http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let done = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = drain.wait_for(|d| *d) => None,
            };
            let result = match done {
                Some(r) => r,
                None => {
                    // Finish the request in flight (if any), then close.
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = draining.send(true);
    let open = connections.len();
    let drained =
        tokio::time::timeout(limits.shutdown_grace, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            still_open = connections.len(),
            of = open,
            grace = ?limits.shutdown_grace,
            "connections still open after the shutdown grace; closing them"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}
