//! The site host: a client state whose product was activated by phone with
//! a site-host key, its host key, its durable book, and a TCP server that
//! answers one request per connection.
//!
//! A host answers only while its own activation holds on the hardware it
//! runs on (checked when it opens, and again before each answer, at most
//! every [`SELF_CHECK_EVERY`]): a host state copied to another machine
//! activates nothing.

use super::book::Hosted;
use super::net::{read_line, LINE_DEADLINE, REQUEST_DEADLINE};
use super::store::{Flusher, Store};
use super::wire::{Ask, Credentials, HostKey, Reply, Signed, VERSION};
use crate::{Client, ClientError, Status, Trust};
use actline_formats::fingerprint::Components;
use actline_formats::hex::{hex, unhex};
use actline_formats::ids::InstallationId;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The host key's file in the state directory (hex, owner-only).
pub const KEY_FILE: &str = "site-host.key";
/// The host's journal in the state directory.
pub const JOURNAL_FILE: &str = "site-book.jsonl";
/// Threads answering connections.
pub const WORKERS: usize = 128;
/// Most connections waiting for a thread; more are told the host is busy.
pub const MAX_WAITING: usize = 4096;
/// Connections the kernel holds for the host before it accepts them.
pub const BACKLOG: i32 = 4096;
/// How long a good self-check is trusted.
pub const SELF_CHECK_EVERY: Duration = Duration::from_secs(10);

/// Where a host reads its own machine from: collected, or posed in a file.
pub type Machine = Box<dyn Fn() -> Result<Components, ClientError> + Send + Sync>;

/// The host key of the state at `dir`; a missing one is an error (only
/// `iid` with a site-host key makes one, [`key_for`]).
pub fn load_key(dir: &Path) -> Result<HostKey, ClientError> {
    let path = dir.join(KEY_FILE);
    if !path.exists() {
        return Err(ClientError::File {
            path,
            message: "the host key is missing: this state cannot serve (its activation was granted for a key that is gone; make a new installation ID with the site-host key and activate the host by phone again)".into(),
        });
    }
    key_for(dir)
}

/// The host key of the state at `dir`, made on first use.
pub fn key_for(dir: &Path) -> Result<HostKey, ClientError> {
    let path = dir.join(KEY_FILE);
    let file_err = |message: String| ClientError::File {
        path: path.clone(),
        message,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => unhex(text.trim())
            .and_then(|b| HostKey::from_bytes(&b))
            .ok_or_else(|| file_err("not a host key".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = HostKey::generate()?;
            std::fs::create_dir_all(dir).map_err(|e| file_err(e.to_string()))?;
            crate::files::write_private(&path, hex(&key.to_bytes()).as_bytes())
                .map_err(|e| file_err(e.to_string()))?;
            Ok(key)
        }
        Err(e) => Err(file_err(e.to_string())),
    }
}

/// A product this host activates, by name.
#[derive(Clone, Debug)]
pub struct HostedName {
    /// The product's name.
    pub name: String,
    /// Its code and threshold.
    pub rule: Hosted,
}

/// One product's figures, for `site status` on the host.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HostedStatus {
    /// The product.
    pub product: String,
    /// Distinct machines in the 30-day window.
    pub count: u32,
    /// The product's threshold.
    pub threshold: u32,
    /// Leases that have not ended.
    pub leases: u32,
    /// The most recent clients, newest first: machine, last request, lease end.
    pub recent: Vec<RecentClient>,
}

/// A client in the host's status.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RecentClient {
    /// A short name for the machine.
    pub machine: String,
    /// Its last request (Unix seconds).
    pub last_seen: i64,
    /// Its lease's end, if it holds one.
    pub lease_expires: Option<i64>,
}

/// A site host, ready to answer.
pub struct Host {
    client: Client,
    machine: Machine,
    key: HostKey,
    creds: Credentials,
    hosted: Vec<HostedName>,
    store: Mutex<Store>,
    flusher: Flusher,
    checked: Mutex<Option<Instant>>,
    dir: PathBuf,
}

impl Host {
    /// Opens the host in state `dir` for host product `product` (or the
    /// only product there): checks its activation on `machine`, its key
    /// against the key its activation was granted for, and opens its
    /// journal.
    pub fn open(
        dir: &Path,
        trust: Trust,
        product: Option<String>,
        machine: Machine,
    ) -> Result<Self, ClientError> {
        let client = Client::new(dir, trust).with_product(product);
        let (_, name, state) = client.load_one()?;
        let refuse = |why: String| {
            ClientError::Setup(format!("this machine cannot serve as a site host: {why}"))
        };
        let act = state.activation.clone().ok_or_else(|| {
            refuse(format!(
                "{name} is not activated here (activate it by phone with the site-host key first)"
            ))
        })?;
        let iid = InstallationId::parse(&act.installation_id)?;
        if iid.host_key.is_none() {
            return Err(refuse(format!(
                "{name} was activated with a normal installation ID, not a site host's (make it with the site-host key)"
            )));
        }
        let key = load_key(dir)?;
        let creds = Credentials {
            product: name.clone(),
            iid: act.installation_id.clone(),
            cid: act.confirmation_id.clone(),
            public_key: hex(&key.public()),
        };
        if iid.host_key
            != Some(actline_formats::ids::install::host_key_digest(
                &key.public(),
            ))
        {
            return Err(refuse(format!(
                "its host key ({}) is not the key {name}'s activation was granted for",
                dir.join(KEY_FILE).display()
            )));
        }
        let hosted = hosted_of(&client.trust, &name)?;
        if hosted.is_empty() {
            return Err(refuse(format!(
                "the trust data lets {name} activate no product (export {name}'s trust file again)"
            )));
        }
        // The journal last: nothing is locked, read or rewritten for a state
        // that cannot serve.
        let client = client.with_product(Some(name));
        own_activation_holds(&client, &machine)?;
        let store_err = |e: super::store::StoreError| ClientError::Setup(e.to_string());
        let store = Store::open(&dir.join(JOURNAL_FILE)).map_err(store_err)?;
        let flusher = store.flusher().map_err(store_err)?;
        let host = Host {
            client,
            machine,
            key,
            creds,
            hosted,
            store: Mutex::new(store),
            flusher,
            checked: Mutex::new(None),
            dir: dir.to_path_buf(),
        };
        *host.checked.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        Ok(host)
    }

    /// The host's product.
    pub fn product(&self) -> &str {
        &self.creds.product
    }

    /// The products it activates.
    pub fn hosted(&self) -> Vec<&str> {
        self.hosted.iter().map(|h| h.name.as_str()).collect()
    }

    /// Its state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the host's own activation holds on this machine now.
    fn self_check(&self, force: bool) -> Result<(), ClientError> {
        let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if !force && checked.is_some_and(|t| t.elapsed() < SELF_CHECK_EVERY) {
            return Ok(());
        }
        *checked = None;
        own_activation_holds(&self.client, &self.machine)?;
        *checked = Some(Instant::now());
        Ok(())
    }

    /// The reply to one request line.
    pub fn answer(&self, line: &[u8]) -> Reply {
        match self.try_answer(line) {
            Ok(r) => r,
            Err(why) => Reply::refused(why),
        }
    }

    fn try_answer(&self, line: &[u8]) -> Result<Reply, String> {
        let (ask, h, iid) = read_ask(line, &self.hosted)?;
        self.self_check(false).map_err(|e| e.to_string())?;
        let now = super::now();
        let req = super::book::Request {
            product: h.rule.product,
            machine: iid.hardware,
            client_time: ask.time,
        };
        let (answer, line) = {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            let before = store.book.products.get(&h.rule.product).cloned();
            let rules: Vec<Hosted> = self.hosted.iter().map(|h| h.rule).collect();
            let (answer, seen) = store
                .book
                .decide(&req, &rules, now)
                .map_err(|r| r.to_string())?;
            match store.append(h.rule.product, &seen) {
                Ok(line) => (answer, line),
                Err(e) => {
                    // Nothing answered from a decision the disk did not take.
                    match before {
                        Some(b) => store.book.products.insert(h.rule.product, b),
                        None => store.book.products.remove(&h.rule.product),
                    };
                    return Err(format!(
                        "the host cannot record the decision ({e}); nothing was granted, try again later"
                    ));
                }
            }
        };
        // On disk before the answer leaves, with whatever else waits.
        self.flusher.flush_to(line).map_err(|e| {
            format!(
                "the host cannot record the decision ({e}); nothing was granted, try again later"
            )
        })?;
        Ok(Reply {
            actline_site: VERSION,
            answer: Some(Signed::sign(
                &self.key,
                &ask,
                answer,
                now,
                self.creds.clone(),
            )),
            refused: None,
        })
    }

    /// Per product: count, threshold, leases and the 5 most recent clients.
    pub fn status(&self, now: i64) -> Vec<HostedStatus> {
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        status_of(&store.book, &self.hosted, now)
    }
}

/// Whether `client`'s (the host's) own activation holds on `machine` now.
fn own_activation_holds(client: &Client, machine: &Machine) -> Result<(), ClientError> {
    match client.status(&machine()?, super::day_of(super::now()))? {
        Status::Activated { .. } => Ok(()),
        other => Err(ClientError::Setup(format!(
            "this host's own activation does not hold on this machine ({}): it activates nothing",
            other.describe().replace('\n', "; ")
        ))),
    }
}

/// Reads one request line for a host that activates `hosted`: the ask,
/// the product's rule, and the client's installation ID, each checked. Any
/// bytes at all give a request or a one-line reason.
pub fn read_ask<'h>(
    line: &[u8],
    hosted: &'h [HostedName],
) -> Result<(Ask, &'h HostedName, InstallationId), String> {
    let ask: Ask =
        serde_json::from_slice(line).map_err(|e| format!("not a site activation request ({e})"))?;
    if ask.actline_site != VERSION {
        return Err(format!(
            "protocol version {} is not spoken here (this host speaks {VERSION})",
            ask.actline_site
        ));
    }
    let Some(h) = hosted.iter().find(|h| h.name == ask.product) else {
        return Err(format!(
            "this host may not activate {:?} (it activates: {})",
            ask.product,
            hosted
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let iid = InstallationId::parse(&ask.iid)
        .map_err(|e| format!("the request's installation ID: {e}"))?;
    if iid.product != h.rule.product || iid.host_key.is_some() {
        return Err(format!(
            "the request's installation ID is not one of {}",
            h.name
        ));
    }
    if iid.hardware.is_empty() {
        return Err("the request's installation ID carries no hardware evidence".into());
    }
    Ok((ask, h, iid))
}

/// The status of the host in state `dir` for `product` (or the only one),
/// read from its journal without changing it, while it serves or not.
pub fn status(
    dir: &Path,
    trust: &Trust,
    product: &str,
    now: i64,
) -> Result<Vec<HostedStatus>, ClientError> {
    let book =
        Store::read(&dir.join(JOURNAL_FILE)).map_err(|e| ClientError::Setup(e.to_string()))?;
    Ok(status_of(&book, &hosted_of(trust, product)?, now))
}

fn hosted_of(trust: &Trust, product: &str) -> Result<Vec<HostedName>, ClientError> {
    Ok(trust
        .product(product)?
        .hosts
        .iter()
        .map(|(n, h)| HostedName {
            name: n.clone(),
            rule: Hosted {
                product: h.code,
                threshold: h.threshold,
            },
        })
        .collect())
}

fn status_of(book: &super::Book, hosted: &[HostedName], now: i64) -> Vec<HostedStatus> {
    hosted
        .iter()
        .map(|h| {
            let seen = book.products.get(&h.rule.product);
            let mut recent: Vec<RecentClient> = seen
                .into_iter()
                .flatten()
                .map(|s| RecentClient {
                    machine: s.short(),
                    last_seen: s.last_seen,
                    lease_expires: s.lease_expires.filter(|e| *e > now),
                })
                .collect();
            recent.sort_by_key(|r| std::cmp::Reverse(r.last_seen));
            recent.truncate(5);
            HostedStatus {
                product: h.name.clone(),
                count: book.count(h.rule.product, now),
                threshold: h.rule.threshold,
                leases: seen.map_or(0, |s| {
                    s.iter()
                        .filter(|s| s.lease_expires.is_some_and(|e| e > now))
                        .count() as u32
                }),
                recent,
            }
        })
        .collect()
}

/// Opens the host's listening socket on `addr` with room for
/// [`BACKLOG`] connections waiting to be accepted (std's default is 128:
/// a site's machines renewing together would wait out SYN retries).
pub fn listen(addr: &str) -> std::io::Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let mut last = std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address");
    for a in addr.to_socket_addrs()? {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(a),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        #[cfg(unix)]
        socket.set_reuse_address(true)?;
        match socket.bind(&a.into()).and_then(|_| socket.listen(BACKLOG)) {
            Ok(()) => return Ok(socket.into()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Serves `host` on `listener` until the process ends: one request per
/// connection, answered by [`WORKERS`] threads from a queue of at most
/// [`MAX_WAITING`] connections; a connection beyond that is told the host
/// is busy. `log` gets one line per connection that failed.
pub fn serve(
    listener: TcpListener,
    host: Arc<Host>,
    log: Arc<dyn Fn(&str) + Send + Sync>,
) -> std::io::Result<()> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<TcpStream>(MAX_WAITING);
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..WORKERS {
        let (host, log, rx) = (host.clone(), log.clone(), rx.clone());
        std::thread::Builder::new()
            .name(format!("site-{i}"))
            .spawn(move || loop {
                let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(mut stream) = next else { return };
                if let Err(e) = one(&mut stream, &host) {
                    log(&format!("{}: {e}", peer(&stream)));
                }
            })?;
    }
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            // A connection reset before it was accepted, or out of file
            // descriptors for a moment: go on.
            Err(e) => {
                log(&format!("accept: {e}"));
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if let Err(std::sync::mpsc::TrySendError::Full(mut stream)) = tx.try_send(stream) {
            let _ = send(
                &mut stream,
                &Reply::refused("the host is busy; try again in a minute"),
            );
        }
    }
    Ok(())
}

fn peer(s: &TcpStream) -> String {
    s.peer_addr().map_or_else(|_| "?".into(), |a| a.to_string())
}

fn one(stream: &mut TcpStream, host: &Host) -> Result<(), String> {
    let reply = match read_line(stream, REQUEST_DEADLINE) {
        Ok(line) => host.answer(&line),
        Err(e) => Reply::refused(format!("unreadable request: {e}")),
    };
    if let Some(why) = &reply.refused {
        send(stream, &reply).map_err(|e| e.to_string())?;
        return Err(format!("refused: {why}"));
    }
    send(stream, &reply).map_err(|e| e.to_string())
}

fn send(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(reply).unwrap_or_default();
    line.push(b'\n');
    stream.set_write_timeout(Some(LINE_DEADLINE))?;
    stream.write_all(&line)
}
