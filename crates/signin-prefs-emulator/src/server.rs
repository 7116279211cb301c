//! The accept loop: the emulator's own thread and runtime, its connections, and their resets.
//!
//! The loop is hand-written (hyper's HTTP/1 connection driving the axum router) rather than
//! `axum::serve`, because a "connection reset" fault needs the socket: each connection keeps a
//! duplicate handle on its socket to set `SO_LINGER` to zero, so that closing it sends a TCP RST.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot, watch};
use tower::ServiceExt as _;

use crate::error::Error;
use crate::tls::Tls;

/// Lets a handler ask its connection to be reset (found in each request's extensions).
#[derive(Debug, Default)]
pub(crate) struct ConnectionControl {
    pub(crate) reset: Notify,
}

/// A server running on its own thread.
#[derive(Debug)]
pub(crate) struct Running {
    pub(crate) address: SocketAddr,
    /// Sending `true` stops accepting and lets open connections finish.
    pub(crate) stop: watch::Sender<bool>,
    /// Completes when the server thread has finished.
    pub(crate) done: oneshot::Receiver<()>,
}

/// Binds 127.0.0.1:`port` and serves `router` until stopped, over TLS when `tls` is given.
pub(crate) async fn start(port: u16, router: Router, tls: Option<Tls>) -> Result<Running, Error> {
    let (stop, stopped) = watch::channel(false);
    let (ready, listening) = oneshot::channel::<Result<SocketAddr, Error>>();
    let (finished, done) = oneshot::channel::<()>();
    // The server gets a thread and a runtime of its own, so it keeps serving whatever the
    // caller does with its own runtime: a current-thread test runtime blocked on a child
    // process, a synchronous caller (the Python binding), or a runtime being shut down.
    std::thread::Builder::new()
        .name("signin-prefs-emulator".to_owned())
        .spawn(move || serve_on_own_runtime(port, router, tls, stopped, ready, finished))
        .map_err(|source| Error::Bind { port, source })?;
    let address = listening.await.map_err(|_| Error::Bind {
        port,
        source: std::io::Error::other("the emulator thread ended before listening"),
    })??;
    Ok(Running {
        address,
        stop,
        done,
    })
}

/// The emulator thread: binds, reports the address (or the failure), serves until stopped.
fn serve_on_own_runtime(
    port: u16,
    router: Router,
    tls: Option<Tls>,
    stopped: watch::Receiver<bool>,
    ready: oneshot::Sender<Result<SocketAddr, Error>>,
    finished: oneshot::Sender<()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name("signin-prefs-emulator-worker")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(source) => {
            let _ = ready.send(Err(Error::Bind { port, source }));
            return;
        }
    };
    runtime.block_on(async move {
        let bound = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => listener.local_addr().map(|address| (listener, address)),
            Err(source) => Err(source),
        };
        match bound {
            Ok((listener, address)) => {
                let _ = ready.send(Ok(address));
                accept_loop(listener, router, tls, stopped).await;
            }
            Err(source) => {
                let _ = ready.send(Err(Error::Bind { port, source }));
            }
        }
    });
    // Let open connections finish their graceful shutdown, briefly.
    runtime.shutdown_timeout(Duration::from_secs(1));
    let _ = finished.send(());
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    tls: Option<Tls>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(accept_connection(stream, tls.clone(), router.clone(), stopped.clone()));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            _ = stopped.changed() => break,
        }
    }
}

/// Takes the socket's duplicate handle (for resets), then serves it plain or after a TLS handshake.
async fn accept_connection(
    stream: TcpStream,
    tls: Option<Tls>,
    router: Router,
    stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    // A duplicate descriptor of the same socket: options set on it apply to the connection.
    let socket = socket2::SockRef::from(&stream).try_clone();
    match tls {
        None => serve_connection(stream, socket, router, stopped).await,
        Some(tls) => match tls.acceptor.accept(stream).await {
            Ok(stream) => serve_connection(stream, socket, router, stopped).await,
            // A client that does not trust the CA ends here; it is told by its own TLS stack.
            Err(error) => tracing::debug!(%error, "TLS handshake failed"),
        },
    }
}

async fn serve_connection<S>(
    stream: S,
    socket: std::io::Result<socket2::Socket>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let control = Arc::new(ConnectionControl::default());
    let request_control = Arc::clone(&control);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request
            .extensions_mut()
            .insert(Arc::clone(&request_control));
        router.clone().oneshot(request)
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        () = control.reset.notified() => {
            // Linger zero makes the close below send RST instead of FIN.
            if let Ok(socket) = &socket {
                let _ = socket.set_linger(Some(Duration::ZERO));
            }
        }
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
