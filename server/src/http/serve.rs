//! The accept loop: HTTP/1.1 and HTTP/2 over TCP, with the limits `axum::serve` does not offer.
//!
//! - A header-read timeout: a client that sends half a request line and stops (slowloris) is
//!   disconnected; the same timer bounds how long an idle keep-alive connection waits for its
//!   next request.
//! - A connection cap: beyond it, the loop stops accepting until a connection ends, so new
//!   clients wait in the kernel's backlog instead of costing memory and file descriptors here.
//! - Graceful shutdown: stop accepting, let requests in flight finish, close idle connections.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// The connection limits of one server process.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest wait for a request's headers, and for the next request on an idle connection.
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
}

/// File descriptors beyond the connections: the database pools, listeners, files.
const SPARE_FILES: u64 = 1024;

/// Raises this process's soft limit of open files towards what `max_connections` needs (up to
/// the hard limit, as Go's runtime does), and warns when even that is not enough: the default
/// soft limit of 1,024 would refuse connections long before the cap.
pub fn raise_open_files(max_connections: usize) {
    let wanted = max_connections as u64 + SPARE_FILES;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => tracing::warn!(
            open_files = got,
            "the open files limit is below MAX_CONNECTIONS + {SPARE_FILES}: raise `ulimit -Hn` or lower MAX_CONNECTIONS"
        ),
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "could not raise the open files limit"),
    }
}

/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `stop` resolves, then drains the open connections.
/// Requests carry the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed; retrying");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are the client's (reset, timeout, malformed HTTP): nothing to log.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
