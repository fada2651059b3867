//! A blocking client of `actline serve`, for the command line and the desk.
//!
//! [`Remote::call`] sends one [`Request`] and returns the [`Reply`] or the
//! service's [`ApiError`] as it was sent (so the command exits as it would
//! on a local home). Requests that change state always carry an
//! idempotency key (the caller's, or a random one), and a request whose
//! connection fails before a reply arrives is sent once more with the same
//! key: a retried activation is never decided twice. Each call is bounded
//! by [`CALL_TIMEOUT`].

use crate::routes;
use actline_engine::service::{ApiError, ErrorKind, Reply, Request};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Longest a call may take, connection included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest reply read.
const MAX_REPLY: usize = 64 << 20;

/// Where the service is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `unix:/path/to/socket`.
    Unix(PathBuf),
    /// `https://host:port`.
    Https {
        /// Host name or IP address (checked against the certificate).
        host: String,
        /// Port.
        port: u16,
    },
}

impl Target {
    /// Parses `unix:PATH` or `https://HOST[:PORT]` (port 8443 by default).
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        if let Some(p) = s.strip_prefix("unix:") {
            if p.is_empty() {
                return Err(ApiError::bad(
                    "server unix: needs a socket path (unix:/run/actline/actline.sock)",
                ));
            }
            return Ok(Target::Unix(PathBuf::from(p)));
        }
        if let Some(rest) = s.strip_prefix("https://") {
            let hostport = rest.trim_end_matches('/');
            let (host, port) = match hostport.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                    h.trim_start_matches('[').trim_end_matches(']').to_string(),
                    p.parse()
                        .map_err(|_| ApiError::bad(format!("server {s:?}: {p:?} is not a port")))?,
                ),
                _ => (hostport.to_string(), 8443),
            };
            if host.is_empty() || host.contains('/') {
                return Err(ApiError::bad(format!("server {s:?}: no host")));
            }
            return Ok(Target::Https { host, port });
        }
        Err(ApiError::bad(format!(
            "server {s:?}: use unix:/path/to/socket or https://host:port"
        )))
    }
}

impl std::fmt::Display for Target {
    /// As [`Target::parse`] reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
            Target::Https { host, port } if host.contains(':') => {
                write!(f, "https://[{host}]:{port}")
            }
            Target::Https { host, port } => write!(f, "https://{host}:{port}"),
        }
    }
}

/// A connection to the service (one HTTP connection per call).
pub struct Remote {
    target: Target,
    token: Option<String>,
    tls: Option<tokio_rustls::TlsConnector>,
    rt: tokio::runtime::Runtime,
}

impl Remote {
    /// A client of `target`. Over https, `token` is the bearer token and
    /// `ca` the PEM file of the certificate authority to trust (only it).
    pub fn new(target: Target, token: Option<String>, ca: Option<&Path>) -> Result<Self, ApiError> {
        let tls = match &target {
            Target::Https { .. } => {
                let ca = ca.ok_or_else(|| {
                    ApiError::bad("an https server needs --ca FILE (or ACTLINE_CA): the certificate authority to trust")
                })?;
                if token.is_none() {
                    return Err(ApiError::new(
                        ErrorKind::Unauthenticated,
                        "an https server needs --token-file FILE (or ACTLINE_TOKEN_FILE)",
                    ));
                }
                Some(crate::tls::connector(ca).map_err(ApiError::bad)?)
            }
            Target::Unix(_) => None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ApiError::new(ErrorKind::Internal, format!("runtime: {e}")))?;
        Ok(Self {
            target,
            token,
            tls,
            rt,
        })
    }

    /// The service this client talks to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Sends `request` (with `idempotency_key` when it changes state; a
    /// random one when none is given).
    pub fn call(
        &self,
        request: &Request,
        idempotency_key: Option<&str>,
    ) -> Result<Reply, ApiError> {
        let key = request.changes_state().then(|| match idempotency_key {
            Some(k) => k.to_string(),
            None => random_key(),
        });
        let (method, target, body) = routes::to_http(request);
        let attempt = || {
            self.rt.block_on(async {
                tokio::time::timeout(
                    CALL_TIMEOUT,
                    self.send(method, &target, body.clone(), key.as_deref()),
                )
                .await
                .unwrap_or_else(|_| Err(Failure::Lost("no reply in time".into())))
            })
        };
        let first = attempt();
        let outcome = match first {
            // Lost before a reply: safe to send again only with a key (or
            // for reads).
            Err(Failure::Lost(_)) if key.is_some() || !request.changes_state() => attempt(),
            other => other,
        };
        match outcome {
            Ok(reply) => Ok(reply),
            Err(Failure::Api(e)) => Err(e),
            Err(Failure::Lost(why)) => Err(ApiError::new(
                ErrorKind::Internal,
                format!("the service did not answer: {why}"),
            )),
        }
    }

    async fn send(
        &self,
        method: &str,
        target: &str,
        body: Option<Vec<u8>>,
        key: Option<&str>,
    ) -> Result<Reply, Failure> {
        let lost = |e: &dyn std::fmt::Display| Failure::Lost(e.to_string());
        let host = match &self.target {
            Target::Unix(_) => "actline".to_string(),
            Target::Https { host, port } => format!("{host}:{port}"),
        };
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(target)
            .header(hyper::header::HOST, host)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        if let Some(t) = &self.token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| Failure::Api(ApiError::bad(e.to_string())))?;
        let (status, bytes) = match &self.target {
            Target::Unix(path) => {
                let s = tokio::net::UnixStream::connect(path).await.map_err(|e| {
                    Failure::Api(ApiError::new(
                        ErrorKind::Internal,
                        format!("cannot reach the service at unix:{}: {e}", path.display()),
                    ))
                })?;
                exchange(s, req).await.map_err(|e| lost(&e))?
            }
            Target::Https { host, port } => {
                let tcp = tokio::net::TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(|e| {
                        Failure::Api(ApiError::new(
                            ErrorKind::Internal,
                            format!("cannot reach the service at https://{host}:{port}: {e}"),
                        ))
                    })?;
                let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| {
                    Failure::Api(ApiError::bad(format!("{host}: not a server name: {e}")))
                })?;
                let tls = self
                    .tls
                    .as_ref()
                    .expect("https targets have a connector")
                    .connect(name, tcp)
                    .await
                    .map_err(|e| {
                        Failure::Api(ApiError::new(
                            ErrorKind::Internal,
                            format!("TLS with https://{host}:{port}: {e}"),
                        ))
                    })?;
                exchange(tls, req).await.map_err(|e| lost(&e))?
            }
        };
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                Failure::Api(ApiError::new(
                    ErrorKind::Internal,
                    format!("unreadable reply from the service: {e}"),
                ))
            });
        }
        #[derive(serde::Deserialize)]
        struct Body {
            error: ApiError,
        }
        Err(Failure::Api(
            serde_json::from_slice::<Body>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| {
                    ApiError::new(
                        ErrorKind::Internal,
                        format!("the service answered {status} without an error body"),
                    )
                }),
        ))
    }
}

enum Failure {
    /// The service answered with an error (or could not be reached at all).
    Api(ApiError),
    /// The connection broke after the request may have been sent.
    Lost(String),
}

async fn exchange<S>(
    stream: S,
    req: hyper::Request<Full<Bytes>>,
) -> Result<(hyper::StatusCode, Bytes), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = Limited::new(resp.into_body(), MAX_REPLY)
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    driver.abort();
    Ok((status, body))
}

fn random_key() -> String {
    let mut b = [0u8; 16];
    // Without randomness the time and process make a key unique enough
    // for one client's retries.
    if getrandom::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b[..16].copy_from_slice(&(t ^ u128::from(std::process::id())).to_be_bytes());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_or_say_what_is_wrong() {
        assert_eq!(
            Target::parse("unix:/run/a.sock").unwrap(),
            Target::Unix("/run/a.sock".into())
        );
        assert_eq!(
            Target::parse("https://127.0.0.1:9000").unwrap(),
            Target::Https {
                host: "127.0.0.1".into(),
                port: 9000
            }
        );
        assert_eq!(
            Target::parse("https://desk-host").unwrap(),
            Target::Https {
                host: "desk-host".into(),
                port: 8443
            }
        );
        assert!(Target::parse("http://x")
            .unwrap_err()
            .message
            .contains("unix:"));
        assert!(Target::parse("https://h:x")
            .unwrap_err()
            .message
            .contains("not a port"));
        assert!(Target::parse("unix:").is_err());
    }
}
