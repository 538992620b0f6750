//! The loopback listener every fake sits on: port 0, TCP_NODELAY, and a stop/restart switch
//! that really refuses connections while stopped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
pub(crate) type ConnFn = Arc<dyn Fn(TcpStream) -> BoxFuture<()> + Send + Sync>;

pub(crate) struct Server {
    addr: SocketAddr,
    serve: ConnFn,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and starts accepting.
    pub(crate) async fn start(serve: ConnFn) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = Self { addr, serve, task: Mutex::new(None) };
        server.spawn(listener);
        Ok(server)
    }

    fn spawn(&self, listener: TcpListener) {
        let serve = self.serve.clone();
        let handle = tokio::spawn(accept_loop(listener, serve));
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops listening and cuts every open connection: clients now get "connection refused"
    /// (and pooled keep-alive connections are closed, as when a real provider goes away).
    pub(crate) async fn stop(&self) {
        let handle = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            handle.abort();
            // Awaiting the cancelled task guarantees the listener socket is closed on return.
            let _ = handle.await;
        }
    }

    /// Listens again on the same port after [`Server::stop`].
    pub(crate) async fn restart(&self) -> io::Result<()> {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await?;
        self.spawn(listener);
        Ok(())
    }

    pub(crate) fn is_running(&self) -> bool {
        self.task.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(|h| !h.is_finished())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(handle) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            handle.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, serve: ConnFn) {
    // Connections live in this set so that aborting the loop also drops (closes) them.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    // Without this, a client that writes a command in two segments waits for
                    // the delayed ACK (~40 ms per message; see ecosystem.md on lettre).
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve(stream));
                }
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}
