//! The line on tokio: one UDP socket for SIP, one per call for RTP, the
//! user-agent server ([`Ua`]) and every call's [`Media`] driven by real
//! clocks. This is the only module here with sockets, clocks and threads.
//!
//! - The SIP task owns the [`Ua`]: datagrams, timer ticks and the calls'
//!   requests (hang up, transfer) go in, its outputs are carried out.
//! - Each answered call is a task that owns its RTP socket and its
//!   [`Media`]: a 20 ms interval (missed ticks skipped, never caught up in a
//!   burst) sends the IVR's audio; received packets go to the media at once.
//! - Decisions and hand-overs go to the [`Desk`] on a thread of its own (a
//!   desk may block: a ledger, a service), answered through a channel.
//!
//! Every call writes its transcript (`DIR/<call>.json`, the JSON of
//! `actline ivr --audio`) when it ends. On shutdown the line stops
//! accepting calls (503), ends each call with a BYE, writes their
//! transcripts and returns.

use crate::media::{Media, MediaConfig, MediaOut};
use crate::sdp::Chosen;
use crate::ua::{CallRef, Input, Output, Ua, UaConfig};
use actline_ivr::call::{Desk, Engine, Outward, Transcript};
use actline_ivr::flow::CallDecision;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// How the line runs.
#[derive(Clone, Debug)]
pub struct LineConfig {
    /// The user-agent server's settings (its `local` is where SIP listens;
    /// port 0 picks one, said in the first log line).
    pub ua: UaConfig,
    /// Each call's media settings.
    pub media: MediaConfig,
    /// Where each call's transcript is written (`None`: nowhere).
    pub transcripts: Option<PathBuf>,
    /// Also write what the line sent, as `DIR/<call>.wav` (8 kHz), beside
    /// the transcript.
    pub record: bool,
}

/// Why the line could not run.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The SIP address could not be bound.
    #[error("cannot listen for SIP on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The transcripts directory is unusable.
    #[error("transcripts directory {path}: {source}")]
    Transcripts {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What a finished run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Calls answered.
    pub calls: u64,
    /// Their outcomes, by name (`activated`, `abandoned`, ...).
    pub outcomes: std::collections::BTreeMap<String, u64>,
    /// How late RTP packets left, after the moment their 20 ms tick was due.
    pub send_late: Lateness,
}

/// A histogram of how late packets were sent: 100 µs buckets up to 100 ms.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Lateness {
    #[serde(skip)]
    buckets: Vec<u64>,
    /// Packets counted.
    pub packets: u64,
}

impl Default for Lateness {
    fn default() -> Self {
        Self {
            buckets: vec![0; 1_001],
            packets: 0,
        }
    }
}

impl Lateness {
    /// Counts a packet sent `late` after its tick.
    pub fn add(&mut self, late: Duration) {
        let b = (late.as_micros() / 100).min(1_000) as usize;
        self.buckets[b] += 1;
        self.packets += 1;
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Lateness) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.packets += other.packets;
    }

    /// The `q` quantile (0 to 1) in microseconds (the bucket's upper edge;
    /// 100 ms and over are counted as 100 ms).
    pub fn quantile_us(&self, q: f64) -> u64 {
        let want = (self.packets as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= want.max(1) {
                return (i as u64 + 1) * 100;
            }
        }
        100_000
    }
}

/// A job for the desk thread.
type Job = Box<dyn FnOnce(&dyn Desk) + Send>;

/// The desk on a thread of its own.
struct DeskThread {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl DeskThread {
    fn start(desk: Arc<dyn Desk + Send + Sync>) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("actline-line-desk".into())
            .spawn(move || {
                for job in rx {
                    job(&*desk);
                }
            })
            .expect("spawn the line's desk thread");
        DeskThread { jobs }
    }

    fn decide(
        &self,
        call: String,
        iid: actline_formats::ids::InstallationId,
    ) -> oneshot::Receiver<CallDecision> {
        let (tx, rx) = oneshot::channel();
        let _ = self.jobs.send(Box::new(move |d: &dyn Desk| {
            let _ = tx.send(d.decide(&call, &iid));
        }));
        rx
    }

    fn hand_over(
        &self,
        call: String,
        reason: String,
        groups: Vec<String>,
        iid: Option<String>,
        reasons: Vec<String>,
    ) {
        let _ = self.jobs.send(Box::new(move |d: &dyn Desk| {
            d.hand_over(&call, &reason, &groups, iid.as_deref(), &reasons)
        }));
    }
}

/// What a call's task asks of the SIP task.
enum ToLine {
    HangUp(CallRef),
    Transfer(CallRef),
    Ended(CallRef, Box<Transcript>, Option<Vec<i16>>, Lateness),
}

/// What the SIP task tells a call's task.
enum ToCall {
    Update(Option<SocketAddr>, Chosen),
    Callback,
    End,
}

/// One JSON log line on standard error.
fn log(event: &str, fields: serde_json::Value) {
    let mut v = serde_json::json!({ "event": event });
    if let (Some(m), serde_json::Value::Object(f)) = (v.as_object_mut(), fields) {
        m.extend(f);
    }
    eprintln!("{v}");
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

/// Runs the line until `shutdown` completes, answering calls with
/// `engine`'s IVR and deciding them at `desk`.
pub async fn run(
    config: LineConfig,
    engine: Arc<Engine>,
    desk: Arc<dyn Desk + Send + Sync>,
    shutdown: impl Future<Output = ()>,
) -> Result<Summary, LineError> {
    let addr = config.ua.local;
    let sock = UdpSocket::bind(addr)
        .await
        .map_err(|source| LineError::Bind { addr, source })?;
    let local = sock
        .local_addr()
        .map_err(|source| LineError::Bind { addr, source })?;
    if let Some(dir) = &config.transcripts {
        std::fs::create_dir_all(dir).map_err(|source| LineError::Transcripts {
            path: dir.clone(),
            source,
        })?;
    }
    let mut ua_config = config.ua.clone();
    ua_config.local = local;
    let mut ua = Ua::new(ua_config, random_u64());
    log(
        "listening",
        serde_json::json!({ "sip": local.to_string(), "transport": "udp" }),
    );

    let desk = Arc::new(DeskThread::start(desk));
    let (to_line, mut from_calls) = mpsc::unbounded_channel::<ToLine>();
    let mut calls: HashMap<CallRef, mpsc::UnboundedSender<ToCall>> = HashMap::new();
    let mut sockets: HashMap<CallRef, std::net::UdpSocket> = HashMap::new();
    let mut summary = Summary::default();
    let epoch = Instant::now();
    let now = || epoch.elapsed().as_millis() as u64;
    let mut buf = vec![0u8; 65_536];
    let mut draining = false;
    tokio::pin!(shutdown);

    loop {
        let next = ua
            .next_tick()
            .map(|t| t.saturating_sub(now()))
            .unwrap_or(1_000);
        let outputs = tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let mut alloc = |call: CallRef| {
                        if draining {
                            return None;
                        }
                        let s = std::net::UdpSocket::bind(SocketAddr::new(local.ip(), 0)).ok()?;
                        s.set_nonblocking(true).ok()?;
                        let port = s.local_addr().ok()?.port();
                        sockets.insert(call, s);
                        Some(port)
                    };
                    ua.handle(now(), Input::Datagram { from, bytes: &buf[..n] }, &mut alloc)
                }
                // ICMP port unreachable and the like: nothing to do.
                Err(_) => Vec::new(),
            },
            Some(m) = from_calls.recv() => match m {
                ToLine::HangUp(c) => ua.handle(now(), Input::HangUp(c), &mut |_| None),
                ToLine::Transfer(c) => ua.handle(now(), Input::Transfer(c), &mut |_| None),
                ToLine::Ended(c, t, sent, late) => {
                    summary.send_late.merge(&late);
                    calls.remove(&c);
                    summary.calls += 1;
                    let outcome = serde_json::to_value(t.outcome)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    *summary.outcomes.entry(outcome.clone()).or_default() += 1;
                    log("call-ended", serde_json::json!({
                        "call": t.call,
                        "outcome": outcome,
                        "duration_ms": t.duration_ms,
                        "packets_sent": late.packets,
                        "send_late_p99_us": late.quantile_us(0.99),
                    }));
                    if let Some(dir) = &config.transcripts {
                        let path = dir.join(format!("{}.json", t.call));
                        let json = serde_json::to_string_pretty(&*t).unwrap_or_default();
                        if let Err(e) = std::fs::write(&path, json + "\n") {
                            log("transcript-error", serde_json::json!({ "path": path.display().to_string(), "error": e.to_string() }));
                        }
                        if let Some(samples) = sent {
                            let path = dir.join(format!("{}.wav", t.call));
                            let spec = actline_audio::wav::Spec::mono16(8_000);
                            if let Err(e) = actline_audio::wav::write(&path, &spec, &samples) {
                                log("transcript-error", serde_json::json!({ "path": path.display().to_string(), "error": e.to_string() }));
                            }
                        }
                    }
                    if draining && calls.is_empty() {
                        break;
                    }
                    Vec::new()
                }
            },
            _ = tokio::time::sleep(Duration::from_millis(next.clamp(1, 1_000))) => {
                ua.handle(now(), Input::Tick, &mut |_| None)
            }
            _ = &mut shutdown, if !draining => {
                draining = true;
                log("draining", serde_json::json!({ "calls": calls.len() }));
                let ids: Vec<CallRef> = calls.keys().copied().collect();
                let mut out = Vec::new();
                for c in ids {
                    out.extend(ua.handle(now(), Input::HangUp(c), &mut |_| None));
                }
                if calls.is_empty() {
                    break;
                }
                out
            }
        };
        for o in outputs {
            match o {
                Output::Send { to, bytes } => {
                    let _ = sock.send_to(&bytes, to).await;
                }
                Output::Start {
                    call,
                    call_id,
                    remote,
                    peer,
                    chosen,
                } => {
                    let Some(std_sock) = sockets.remove(&call) else {
                        continue;
                    };
                    let Ok(rtp) = UdpSocket::from_std(std_sock) else {
                        continue;
                    };
                    let name = format!("sip-{}-{call}", unix_secs());
                    log(
                        "call",
                        serde_json::json!({ "call": name, "sip_call_id": call_id, "codec": chosen.codec.name(), "remote_rtp": remote.map(|r| r.to_string()) }),
                    );
                    let (tx, rx) = mpsc::unbounded_channel();
                    calls.insert(call, tx);
                    let task_name = name.clone();
                    let task = CallTask {
                        id: call,
                        name,
                        rtp,
                        remote,
                        peer,
                        desk: desk.clone(),
                        to_line: to_line.clone(),
                        cmds: rx,
                    };
                    let media = Media::new(
                        engine.answer(&task_name),
                        chosen,
                        config.media,
                        random_u64() as u32,
                        random_u64() as u16,
                        random_u64() as u32,
                    );
                    let media = if config.record { media.record() } else { media };
                    tokio::spawn(task.run(media));
                }
                Output::Update {
                    call,
                    remote,
                    chosen,
                } => {
                    if let Some(c) = calls.get(&call) {
                        let _ = c.send(ToCall::Update(remote, chosen));
                    }
                }
                Output::End { call, .. } => {
                    sockets.remove(&call);
                    if let Some(c) = calls.get(&call) {
                        let _ = c.send(ToCall::End);
                    }
                }
                Output::TransferFailed { call, why } => {
                    log("transfer-failed", serde_json::json!({ "why": why }));
                    if let Some(c) = calls.get(&call) {
                        let _ = c.send(ToCall::Callback);
                    }
                }
                Output::Log {
                    event,
                    call_id,
                    detail,
                } => {
                    log(
                        event,
                        serde_json::json!({ "sip_call_id": call_id, "detail": detail }),
                    );
                }
            }
        }
    }
    // Let the last BYEs go out before the socket closes.
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        let outs = ua.handle(now(), Input::Tick, &mut |_| None);
        for o in outs {
            if let Output::Send { to, bytes } = o {
                let _ = sock.send_to(&bytes, to).await;
            }
        }
        if ua.active_calls() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    log(
        "stopped",
        serde_json::json!({
            "calls": summary.calls,
            "outcomes": summary.outcomes,
            "packets_sent": summary.send_late.packets,
            "send_late_p50_us": summary.send_late.quantile_us(0.50),
            "send_late_p99_us": summary.send_late.quantile_us(0.99),
            "send_late_max_us": summary.send_late.quantile_us(1.0),
        }),
    );
    Ok(summary)
}

/// Runs the line on a runtime of its own until SIGTERM or SIGINT.
pub fn serve(
    config: LineConfig,
    engine: Arc<Engine>,
    desk: Arc<dyn Desk + Send + Sync>,
) -> Result<Summary, LineError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("actline-line")
        .build()
        .map_err(|source| LineError::Bind {
            addr: config.ua.local,
            source,
        })?;
    rt.block_on(async {
        let shutdown = async {
            use tokio::signal::unix::{signal, SignalKind};
            match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        };
        run(config, engine, desk, shutdown).await
    })
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One answered call.
struct CallTask {
    id: CallRef,
    name: String,
    rtp: UdpSocket,
    remote: Option<SocketAddr>,
    /// The SIP peer's address: RTP from it or from `remote`'s is heard.
    peer: std::net::IpAddr,
    desk: Arc<DeskThread>,
    to_line: mpsc::UnboundedSender<ToLine>,
    cmds: mpsc::UnboundedReceiver<ToCall>,
}

impl CallTask {
    /// Runs the call's media (named after the call: the label of its
    /// activation and the name of its transcript) until the line ends it.
    async fn run(mut self, mut media: Media) {
        let start = tokio::time::Instant::now();
        let ms = |t: tokio::time::Instant| t.duration_since(start).as_millis() as u64;
        let mut ticks = tokio::time::interval(Duration::from_millis(20));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut decision: Option<oneshot::Receiver<CallDecision>> = None;
        let mut late = Lateness::default();
        let mut buf = vec![0u8; 2_048];
        let mut ended = false;
        loop {
            tokio::select! {
                t = ticks.tick() => {
                    // Whole 20 ms steps from the answer.
                    let now = ms(t) / 20 * 20;
                    let (packet, outs) = media.tick(now);
                    if let (Some(p), Some(to)) = (packet, self.remote) {
                        let _ = self.rtp.send_to(&p, to).await;
                        late.add(tokio::time::Instant::now().saturating_duration_since(t));
                    }
                    for o in outs {
                        match o {
                            MediaOut::Ivr(Outward::Decide(iid)) => decision = Some(self.desk.decide(self.name.clone(), iid)),
                            MediaOut::Ivr(Outward::Transfer { reason, groups, installation_id, reasons }) => {
                                self.desk.hand_over(self.name.clone(), reason, groups, installation_id, reasons);
                                let _ = self.to_line.send(ToLine::Transfer(self.id));
                            }
                            MediaOut::Ivr(Outward::HangUp) | MediaOut::Silent => {
                                let _ = self.to_line.send(ToLine::HangUp(self.id));
                            }
                        }
                    }
                }
                r = self.rtp.recv_from(&mut buf) => {
                    if let Ok((n, from)) = r {
                        // Only the caller's packets: from the SIP peer or the
                        // address its SDP named (a stranger who finds the port
                        // cannot type keys into the call).
                        if from.ip() == self.peer || self.remote.is_some_and(|r| r.ip() == from.ip()) {
                            media.rtp_in(ms(tokio::time::Instant::now()), &buf[..n]);
                        }
                    }
                }
                d = async { decision.as_mut().expect("guarded").await }, if decision.is_some() => {
                    decision = None;
                    let d = d.unwrap_or_else(|_| CallDecision {
                        granted: false,
                        confirmation_id: None,
                        reasons: vec!["the desk did not answer".into()],
                        short_reason: None,
                    });
                    media.decided(ms(tokio::time::Instant::now()), d);
                }
                c = self.cmds.recv() => match c {
                    Some(ToCall::Update(remote, chosen)) => {
                        self.remote = remote;
                        media.update(chosen, ms(tokio::time::Instant::now()));
                    }
                    Some(ToCall::Callback) => media.callback(ms(tokio::time::Instant::now())),
                    Some(ToCall::End) | None => {
                        ended = true;
                    }
                },
            }
            if ended {
                break;
            }
        }
        let now = ms(tokio::time::Instant::now());
        media.hang_up(now);
        let (transcript, sent) = media.finish(now);
        let _ = self
            .to_line
            .send(ToLine::Ended(self.id, Box::new(transcript), sent, late));
    }
}
