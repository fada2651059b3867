//! Where a command's requests go: the engine in this process, on a home the
//! user owns, or a running `actline serve`. Both answer the same
//! [`Request`]s with the same [`Reply`]s, so every command prints the same
//! and exits the same either way.

use actline::home::{os_user, Home};
use actline::service::{ApiError, Local, Reply, Request};
use actline_server::client::{Remote, Target};
use anyhow::Result;
use std::path::Path;

/// The engine a command talks to.
pub enum Backend {
    /// This process opens the home (at the first request, so input is
    /// checked before the ledger is touched); the caller is the OS user.
    Local(Box<Local>),
    /// A running `actline serve`; it decides who the caller is.
    Remote(actline_server::client::Remote),
}

impl Backend {
    /// Opens `home` in this process.
    pub fn local(home: &Home) -> Result<Self> {
        Ok(Backend::Local(Box::new(Local::new(
            home.clone(),
            os_user(),
        ))))
    }

    /// A client of the service at `server` (`unix:PATH` or
    /// `https://HOST:PORT`), with the bearer token read from `token_file`
    /// and the certificate authority `ca` for https.
    pub fn remote(server: &str, token_file: Option<&Path>, ca: Option<&Path>) -> Result<Self> {
        let target = Target::parse(server)?;
        let token = match token_file {
            Some(f) => {
                let t = std::fs::read_to_string(f)
                    .map_err(|e| super::bad(format!("{}: {e}", f.display())))?;
                let t = t.trim().to_string();
                if t.is_empty() {
                    return Err(super::bad(format!(
                        "{}: the token file is empty",
                        f.display()
                    )));
                }
                Some(t)
            }
            None => None,
        };
        Ok(Backend::Remote(Remote::new(target, token, ca)?))
    }

    /// Where the ledger is, in words: its file, or the service's address.
    pub fn place(&self) -> String {
        match self {
            Backend::Local(l) => l.home().ledger_place(),
            Backend::Remote(r) => format!("via {}", r.target()),
        }
    }

    /// Refuses an output file inside the home (a batch's results written
    /// over the ledger); a remote home is not on this machine's disk.
    pub fn refuse_output(&self, output: &std::path::Path) -> Result<()> {
        match self {
            Backend::Local(l) => l
                .home()
                .refuse_output(output)
                .map_err(|e| super::bad(e.to_string())),
            Backend::Remote(_) => Ok(()),
        }
    }

    /// Sends `request`; errors keep their [`ApiError`] kind, from which the
    /// exit code comes.
    pub fn call(&self, request: Request) -> Result<Reply, ApiError> {
        self.call_keyed(request, None)
    }

    /// Sends a request that changes state with an idempotency key.
    pub fn call_keyed(&self, request: Request, key: Option<&str>) -> Result<Reply, ApiError> {
        match self {
            Backend::Local(l) => l.call(&request, key),
            Backend::Remote(r) => r.call(&request, key),
        }
    }
}

/// A reply of another kind than the request asks for: a bug on one side.
pub fn unexpected(reply: &Reply) -> anyhow::Error {
    anyhow::anyhow!("unexpected reply from the engine: {reply:?}")
}

/// Unwraps a reply of the variant the request asks for.
macro_rules! expect_reply {
    ($reply:expr, $variant:ident) => {
        match $reply {
            actline::service::Reply::$variant(x) => x,
            other => return Err($crate::cli::backend::unexpected(&other)),
        }
    };
}
pub(crate) use expect_reply;
