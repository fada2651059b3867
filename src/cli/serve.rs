//! `actline serve`: the engine service.

pub use super::args::ServeArgs;
use super::bad;
use actline::home::{os_user, Home};
use actline::line::EngineDesk;
use actline::service::{Request, Service};
use actline_server::serve::{run_with, Config};
use anyhow::Result;
use std::sync::Arc;

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
    let line = a.sip.map(|sip| a.line.line(sip)).transpose()?;
    let service = Arc::new(Service::open(home.clone())?);
    let config = Config {
        socket: a.socket.clone(),
        socket_mode,
        listen: a.listen,
        tls,
        head_timeout: std::time::Duration::from_secs(a.head_timeout),
    };
    let Some((line, engine)) = line else {
        return run_with(service, config, || {}, |_| async { Ok(()) })
            .map_err(|e| bad(e.to_string()));
    };
    // The line decides as the service's own OS user, in process.
    let (svc, me) = (service.clone(), os_user());
    let desk = EngineDesk::new(move |r: &Request| svc.handle(&me, r, None));
    let (engine, desk) = (Arc::new(engine), Arc::new(desk));
    run_with(
        service,
        config,
        || {},
        move |shutdown| async move {
            let summary = actline_sip::line::run(line, engine, desk, shutdown)
                .await
                .map_err(|e| e.to_string())?;
            super::ivr::report(&summary);
            Ok(())
        },
    )
    .map_err(|e| bad(e.to_string()))
}
