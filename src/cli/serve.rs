//! `actline serve`: the engine service.

use super::bad;
use actline::home::Home;
use actline::service::Service;
use actline_server::serve::{run as serve, Config};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The Unix socket to listen on (callers are known by their OS user).
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Permissions of the socket file, octal (who may connect; only staff are served).
    #[arg(long, default_value = "666", value_name = "MODE")]
    socket_mode: String,
    /// TCP address for TLS (callers are known by their bearer token), e.g. 127.0.0.1:8443.
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain for --listen.
    #[arg(long, value_name = "FILE", requires = "listen")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --listen.
    #[arg(long, value_name = "FILE", requires = "listen")]
    tls_key: Option<PathBuf>,
    /// Seconds a client has to send a request's head (slower clients are dropped).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    head_timeout: u64,
}

pub fn run(home: &Home, a: &ServeArgs) -> Result<()> {
    let socket_mode = u32::from_str_radix(&a.socket_mode, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| {
            bad(format!(
                "--socket-mode {:?}: an octal mode such as 660",
                a.socket_mode
            ))
        })?;
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some((c.clone(), k.clone())),
        (None, None) => None,
        _ => return Err(bad("--tls-cert and --tls-key go together")),
    };
    let service = Service::open(home.clone())?;
    let config = Config {
        socket: a.socket.clone(),
        socket_mode,
        listen: a.listen,
        tls,
        head_timeout: std::time::Duration::from_secs(a.head_timeout),
    };
    serve(service, config, || {}).map_err(|e| bad(e.to_string()))
}
