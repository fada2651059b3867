//! `actline serve`: the engine service on a Unix socket and, optionally,
//! TLS over TCP.
//!
//! Who the caller is comes from the transport, never from the request: on
//! the Unix socket, the peer's user ID (`SO_PEERCRED`) named from the
//! password database; over TLS, the staff member whose bearer token the
//! request carries (`Authorization: Bearer …`, stored hashed). Then every
//! request goes to [`Service::handle`], which checks the role.
//!
//! Limits: request heads must arrive within [`HEAD_TIMEOUT`], bodies are at
//! most [`MAX_BODY`] bytes and must arrive within [`BODY_TIMEOUT`]; at most
//! [`MAX_CONNECTIONS`] connections are served at once. On SIGTERM or SIGINT
//! the listeners close, requests in flight finish (up to
//! [`DRAIN_TIMEOUT`]), and the process exits 0. Every request is logged as
//! one JSON line on standard error.

use crate::routes;
use actline_engine::service::{ApiError, ErrorKind, Reply, Request, Service};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;

/// Largest request body accepted (a batch chunk of 10,000 IDs fits).
pub const MAX_BODY: usize = 4 << 20;
/// Time allowed by default for a request's head to arrive.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a request's body to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// How long requests in flight may take to finish after SIGTERM.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to listen.
#[derive(Clone, Debug)]
pub struct Config {
    /// The Unix socket's path (replaced if a stale one is there).
    pub socket: Option<PathBuf>,
    /// Permissions of the socket file: who may connect (identity is still
    /// the peer's user ID; default 0o666: anyone may ask, staff are served).
    pub socket_mode: u32,
    /// TCP address for TLS.
    pub listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain and private key for TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Time allowed for a request head (and a TLS handshake) to arrive
    /// ([`HEAD_TIMEOUT`] unless set).
    pub head_timeout: Duration,
}

/// A failure to start the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A listener could not be set up.
    #[error("{what}: {source}")]
    Listen {
        /// Which.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key was unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// Nothing to listen on.
    #[error("nothing to listen on: give --socket PATH and/or --listen ADDR with --tls-cert and --tls-key")]
    NoListener,
    /// Another service answers on the socket.
    #[error("{0}: another service is listening on this socket")]
    InUse(PathBuf),
    /// The task beside the service (the telephone line) failed.
    #[error("{0}")]
    Companion(String),
}

/// Counters for `/metrics`.
#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    errors: AtomicU64,
    granted: AtomicU64,
    denied: AtomicU64,
    handovers_taken: AtomicU64,
    unauthenticated: AtomicU64,
}

struct Shared {
    service: Arc<Service>,
    counters: Counters,
    head_timeout: Duration,
}

/// How a connection's caller is known.
#[derive(Clone)]
enum Peer {
    /// A Unix-socket peer, by OS user name.
    Unix(String),
    /// A TLS peer: the token decides.
    Tls,
}

/// Runs the service until SIGTERM or SIGINT. `ready` is called once every
/// listener is bound (tests and the command line report it).
pub fn run(service: Service, config: Config, ready: impl FnOnce()) -> Result<(), ServeError> {
    run_with(Arc::new(service), config, ready, |_| async { Ok(()) })
}

/// [`run`], with a task beside the service on its runtime (the telephone
/// line of `actline serve --sip`): `companion` is started once the
/// listeners are bound, given a future that completes when the service is
/// told to stop (SIGTERM, SIGINT), and awaited after the listeners close.
/// A companion that fails stops the service too, with its error.
pub fn run_with<F, Fut>(
    service: Arc<Service>,
    config: Config,
    ready: impl FnOnce(),
    companion: F,
) -> Result<(), ServeError>
where
    F: FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| ServeError::Listen {
            what: "runtime".into(),
            source,
        })?;
    rt.block_on(serve(service, config, ready, companion))
}

async fn serve<F, Fut>(
    service: Arc<Service>,
    config: Config,
    ready: impl FnOnce(),
    companion: F,
) -> Result<(), ServeError>
where
    F: FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    if config.socket.is_none() && config.listen.is_none() {
        return Err(ServeError::NoListener);
    }
    let unix = match &config.socket {
        Some(path) => Some(bind_unix(path, config.socket_mode).await?),
        None => None,
    };
    let tcp = match (&config.listen, &config.tls) {
        (Some(addr), Some((cert, key))) => {
            let acceptor = crate::tls::acceptor(cert, key)?;
            let l = TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Listen {
                    what: format!("TCP {addr}"),
                    source,
                })?;
            Some((l, acceptor))
        }
        (Some(_), None) => return Err(ServeError::Tls(
            "--listen needs --tls-cert and --tls-key (the API is never served in clear over TCP)"
                .into(),
        )),
        _ => None,
    };
    let shared = Arc::new(Shared {
        service,
        counters: Counters::default(),
        head_timeout: config.head_timeout,
    });
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    ready();
    let bound = tcp
        .as_ref()
        .and_then(|(l, _)| l.local_addr().ok())
        .map(|a| a.to_string());
    log(&serde_json::json!({"event": "listening", "socket": config.socket, "tls": bound}));
    // Another process holding the home's ledger (an `actline` run directly
    // on it) holds up requests: the log says so.
    actline_engine::ledger::wait::on_long_wait(|waited| {
        log(&serde_json::json!({"event": "ledger-locked", "waited_ms": waited.as_millis() as u64}))
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|source| ServeError::Listen {
            what: "SIGTERM handler".into(),
            source,
        })?;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let mut companion = tokio::spawn(companion(Box::pin(async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    })));
    let mut companion_done = false;
    let mut failed: Option<String> = None;
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.ok(),
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            r = &mut companion, if !companion_done => {
                companion_done = true;
                match r {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => { failed = Some(e); break }
                    Err(e) => { failed = Some(e.to_string()); break }
                }
            }
        };
        tokio::select! {
            accepted = async { unix.as_ref().expect("unix listener").accept().await }, if unix.is_some() => {
                let Ok((stream, _)) = accepted else { continue };
                let peer = match stream.peer_cred() {
                    Ok(c) => Peer::Unix(actline_engine::home::user_name(c.uid())),
                    Err(_) => continue,
                };
                spawn_conn(&graceful, shared.clone(), stream, peer, permit);
            }
            accepted = async { tcp.as_ref().expect("tcp listener").0.accept().await }, if tcp.is_some() => {
                let Ok((stream, _)) = accepted else { continue };
                let acceptor = tcp.as_ref().expect("tcp listener").1.clone();
                let shared = shared.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _permit = permit;
                    // The handshake is bounded like a request head.
                    let Ok(Ok(tls)) = tokio::time::timeout(shared.head_timeout, acceptor.accept(stream)).await else {
                        return;
                    };
                    let conn = connection(shared, tls, Peer::Tls);
                    let _ = watcher.watch(conn).await;
                });
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    drop(unix);
    drop(tcp);
    log(&serde_json::json!({"event": "draining"}));
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    if !companion_done {
        if let Ok(Ok(Err(e))) = tokio::time::timeout(DRAIN_TIMEOUT, &mut companion).await {
            failed = Some(e);
        }
    }
    if let Some(p) = &config.socket {
        let _ = std::fs::remove_file(p);
    }
    log(&serde_json::json!({"event": "stopped"}));
    match failed {
        Some(e) => Err(ServeError::Companion(e)),
        None => Ok(()),
    }
}

async fn bind_unix(path: &std::path::Path, mode: u32) -> Result<UnixListener, ServeError> {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(ServeError::InUse(path.to_path_buf()));
        }
        let _ = std::fs::remove_file(path);
    }
    let listen_err = |source| ServeError::Listen {
        what: format!("socket {}", path.display()),
        source,
    };
    let l = UnixListener::bind(path).map_err(listen_err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(listen_err)?;
    Ok(l)
}

fn spawn_conn<S>(
    graceful: &hyper_util::server::graceful::GracefulShutdown,
    shared: Arc<Shared>,
    stream: S,
    peer: Peer,
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = connection(shared, stream, peer);
    let watched = graceful.watch(conn);
    tokio::spawn(async move {
        let _permit = permit;
        let _ = watched.await;
    });
}

fn connection<S>(
    shared: Arc<Shared>,
    stream: S,
    peer: Peer,
) -> hyper::server::conn::http1::Connection<
    TokioIo<S>,
    impl hyper::service::Service<
            hyper::Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = std::convert::Infallible,
            Future = impl Send,
        > + Send,
>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head_timeout = shared.head_timeout;
    let svc = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        let peer = peer.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(shared, peer, req).await) }
    });
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), svc)
}

async fn respond(
    shared: Arc<Shared>,
    peer: Peer,
    req: hyper::Request<Incoming>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let c = &shared.counters;
    c.requests.fetch_add(1, Ordering::Relaxed);
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let auth = header("authorization");
    let idempotency_key = header("idempotency-key");
    let mut caller = String::new();
    let result: Result<Response<Full<Bytes>>, ApiError> = async {
        if method == "GET" && target == "/metrics" {
            return Ok(response(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                metrics(c).into_bytes(),
            ));
        }
        let body = tokio::time::timeout(
            BODY_TIMEOUT,
            Limited::new(req.into_body(), MAX_BODY).collect(),
        )
        .await
        .map_err(|_| ApiError::bad("the request body did not arrive in time"))?
        .map_err(|e| {
            ApiError::bad(format!(
                "the request body is unreadable or over {MAX_BODY} bytes: {e}"
            ))
        })?
        .to_bytes();
        let request = routes::from_http(&method, &target, &body)?;
        caller = match &peer {
            Peer::Unix(name) => name.clone(),
            Peer::Tls if matches!(request, Request::Health) => String::new(),
            Peer::Tls => {
                let token = auth
                    .as_deref()
                    .and_then(|a| a.strip_prefix("Bearer "))
                    .map(str::trim)
                    .ok_or_else(|| {
                        ApiError::new(
                            ErrorKind::Unauthenticated,
                            "a bearer token is required (Authorization: Bearer …)",
                        )
                    })?;
                let shared = shared.clone();
                let token = token.to_string();
                let owner = tokio::task::spawn_blocking(move || shared.service.token_owner(&token))
                    .await
                    .map_err(|_| ApiError::new(ErrorKind::Internal, "the engine stopped"))??;
                owner.ok_or_else(|| {
                    c.unauthenticated.fetch_add(1, Ordering::Relaxed);
                    ApiError::new(
                        ErrorKind::Unauthenticated,
                        "the token is unknown or was revoked",
                    )
                })?
            }
        };
        let shared2 = shared.clone();
        let who = caller.clone();
        let reply = tokio::task::spawn_blocking(move || {
            shared2
                .service
                .handle(&who, &request, idempotency_key.as_deref())
        })
        .await
        .map_err(|_| ApiError::new(ErrorKind::Internal, "the engine stopped"))??;
        match &reply {
            Reply::Activation(a) if a.granted() => c.granted.fetch_add(1, Ordering::Relaxed),
            Reply::Activation(_) => c.denied.fetch_add(1, Ordering::Relaxed),
            Reply::Batch(b) => {
                let g = b.activations.iter().filter(|a| a.granted()).count() as u64;
                c.granted.fetch_add(g, Ordering::Relaxed);
                c.denied
                    .fetch_add(b.activations.len() as u64 - g, Ordering::Relaxed)
            }
            Reply::Taken(_) => c.handovers_taken.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        Ok(json(
            StatusCode::OK,
            serde_json::to_vec(&reply).unwrap_or_default(),
        ))
    }
    .await;
    let response = result.unwrap_or_else(|e| {
        c.errors.fetch_add(1, Ordering::Relaxed);
        json(
            status(e.kind),
            serde_json::to_vec(&serde_json::json!({"error": e})).unwrap_or_default(),
        )
    });
    log(&serde_json::json!({
        "event": "request",
        "peer": match peer { Peer::Unix(_) => "unix", Peer::Tls => "tls" },
        "caller": caller,
        "method": method,
        "target": target.split('?').next().unwrap_or(""),
        "status": response.status().as_u16(),
        "ms": started.elapsed().as_secs_f64() * 1000.0,
    }));
    response
}

/// The HTTP status for an error kind.
pub fn status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadInput => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unverified => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A response of `status` with `body` of `content_type`.
fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    r
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    response(status, "application/json", body)
}

/// The counters in the Prometheus text format.
fn metrics(c: &Counters) -> String {
    let mut out = String::new();
    for (name, help, v) in [
        ("actline_requests_total", "Requests received.", &c.requests),
        (
            "actline_errors_total",
            "Requests answered with an error.",
            &c.errors,
        ),
        (
            "actline_activations_granted_total",
            "Activations granted.",
            &c.granted,
        ),
        (
            "actline_activations_denied_total",
            "Activations denied.",
            &c.denied,
        ),
        (
            "actline_handovers_taken_total",
            "Calls handed over by the IVR and taken by an agent.",
            &c.handovers_taken,
        ),
        (
            "actline_unauthenticated_total",
            "Requests with an unknown or revoked token.",
            &c.unauthenticated,
        ),
    ] {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n",
            v.load(Ordering::Relaxed)
        ));
    }
    out
}

/// One JSON line on standard error, with a timestamp.
fn log(event: &serde_json::Value) {
    let mut e = event.clone();
    if let Some(m) = e.as_object_mut() {
        m.insert("ts".into(), actline_engine::days::now_rfc3339().into());
    }
    eprintln!("{e}");
}
