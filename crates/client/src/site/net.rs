//! Framing on TCP: one line each way, bounded in size and time. Both the
//! host and the client read through [`read_line`].

use super::wire::{Ask, Reply, SiteError, MAX_LINE};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long a client waits for the host's whole answer.
pub const LINE_DEADLINE: Duration = Duration::from_secs(10);
/// How long the host waits for a client's whole request: a request is one
/// short line, sent at once, so a connection that dawdles is cut off soon
/// and holds a worker no longer.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(3);
/// How long a client waits to connect.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads one line (without its newline) of at most [`MAX_LINE`] bytes, within
/// `deadline` in all: a slow or endless sender is cut off.
pub fn read_line(stream: &mut TcpStream, deadline: Duration) -> Result<Vec<u8>, SiteError> {
    let start = Instant::now();
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 2048];
    loop {
        let left = deadline
            .checked_sub(start.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                SiteError::Net(format!("no whole line within {} s", deadline.as_secs()))
            })?;
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| SiteError::Net(e.to_string()))?;
        let n = match stream.read(&mut chunk) {
            Ok(0) => {
                return Err(SiteError::Net(
                    "the other side closed the connection before a whole line".into(),
                ))
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(SiteError::Net(format!(
                    "no whole line within {} s",
                    deadline.as_secs()
                )))
            }
            Err(e) => return Err(SiteError::Net(e.to_string())),
        };
        if let Some(end) = chunk[..n].iter().position(|&b| b == b'\n') {
            buf.extend_from_slice(&chunk[..end]);
            if buf.len() > MAX_LINE {
                break;
            }
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_LINE {
            break;
        }
    }
    Err(SiteError::Net(format!(
        "a line longer than {MAX_LINE} bytes"
    )))
}

/// Sends `ask` to the host at `addr` (`host:port`) and reads its reply.
pub fn ask(addr: &str, ask: &Ask) -> Result<Reply, SiteError> {
    let net = |what: &str, e: &dyn std::fmt::Display| {
        SiteError::Net(format!("site host {addr}: {what}: {e}"))
    };
    let targets: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| net("cannot resolve it", &e))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for t in targets {
        match TcpStream::connect_timeout(&t, CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| match last {
        Some(e) => net("cannot connect", &e),
        None => net("cannot resolve it", &"no address"),
    })?;
    let mut line = serde_json::to_vec(ask).map_err(|e| net("cannot write the request", &e))?;
    line.push(b'\n');
    stream
        .set_write_timeout(Some(LINE_DEADLINE))
        .and_then(|_| stream.write_all(&line))
        .map_err(|e| net("cannot send the request", &e))?;
    let reply = read_line(&mut stream, LINE_DEADLINE).map_err(|e| net("no answer", &e))?;
    // It answered, but not as a site host does: not a network failure.
    let reply: Reply = serde_json::from_slice(&reply).map_err(|e| {
        SiteError::BadAnswer(format!(
            "site host {addr}: its answer is not a site reply ({e})"
        ))
    })?;
    if reply.actline_site != super::wire::VERSION {
        return Err(SiteError::BadAnswer(format!(
            "site host {addr}: it speaks protocol version {}, this client {}",
            reply.actline_site,
            super::wire::VERSION
        )));
    }
    Ok(reply)
}
