//! The user-agent server (RFC 3261): what the line says to the calls it is
//! offered, with no I/O. [`Ua::handle`] takes a datagram, a timer tick or a
//! request from a call's media, and returns [`Output`]s: datagrams to send
//! and media to start, change or end.
//!
//! Each dialog is a [`State`], a closed enum whose variants own what that
//! stage needs:
//!
//! ```text
//!  INVITE ──▶ Ringing ──(answer time)──▶ Answering ──ACK──▶ Confirmed ◀──ACK── Reanswering
//!    │           │ CANCEL: 487                │ no ACK in 32 s: BYE    │ re-INVITE ──────▲
//!    │           ▼                            ▼                        │ BYE in: 200
//!    │          Gone ◀───────────── Ending (BYE out, until answered) ◀─┘ hang-up: BYE out
//!    └─ 403 (address not allowed), 486 (--max-calls), 488 (no common codec), 400, 503
//! ```
//!
//! Gone dialogs are kept 32 s (64·T1) so retransmissions still get their
//! answer. Responses are sent to the address the request came from (with
//! `received`/`rport` stamped on the Via, RFC 3581), which is what every
//! PBX and phone here expects on UDP; requests the line sends in a dialog
//! (BYE, REFER) follow the route set and remote target (§12.2.1.1), when
//! their hosts are IP addresses, else go back to where the INVITE came from.

use crate::msg::{uri_socket, Message, Method, NameAddr, StartLine};
use crate::sdp::{self, Chosen, Offer, SdpError};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// RFC 3261 timer T1 (round-trip estimate).
pub const T1_MS: u64 = 500;
/// RFC 3261 timer T2 (longest retransmission interval).
pub const T2_MS: u64 = 4_000;
/// How long transactions and gone dialogs are remembered (64·T1).
pub const TX_LIFETIME_MS: u64 = 64 * T1_MS;

/// An address range (`10.0.0.0/8`, `::1/128`, or one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    /// Parses `ADDR[/BITS]`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (a, bits) = match s.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("--allow {s:?}: {a:?} is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits =
            match bits {
                Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                    format!("--allow {s:?}: the prefix length must be 0 to {max}")
                })?,
                None => max,
            };
        Ok(Cidr { addr, bits })
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX.checked_shl(32 - self.bits as u32).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX.checked_shl(128 - self.bits as u32).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

/// How the line answers.
#[derive(Clone, Debug)]
pub struct UaConfig {
    /// The address the line listens on (Contact, Via, SDP).
    pub local: SocketAddr,
    /// Calls at once; more get 486 Busy Here.
    pub max_calls: usize,
    /// Addresses calls may come from (empty: loopback only).
    pub allow: Vec<Cidr>,
    /// Where a transfer to an agent goes (REFER); none: the caller is told
    /// an agent will call back.
    pub agent_uri: Option<String>,
    /// Ringing time before the answer (0: at once).
    pub answer_after_ms: u64,
}

/// A call, as the line and its media know it.
pub type CallRef = u64;

/// What comes in.
#[derive(Clone, Debug)]
pub enum Input<'a> {
    /// A datagram from `from`.
    Datagram {
        /// Its source.
        from: SocketAddr,
        /// Its bytes.
        bytes: &'a [u8],
    },
    /// Time passed (retransmissions, answers due).
    Tick,
    /// The call's IVR is done: hang up.
    HangUp(CallRef),
    /// The call's IVR hands the caller to an agent.
    Transfer(CallRef),
}

/// What the line must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send a datagram.
    Send {
        /// Where.
        to: SocketAddr,
        /// What.
        bytes: Vec<u8>,
    },
    /// The call is answered: start its media on the RTP port it was given.
    Start {
        /// The call.
        call: CallRef,
        /// Its SIP Call-ID (for the log).
        call_id: String,
        /// Where the caller receives RTP (`None`: on hold from the start).
        remote: Option<SocketAddr>,
        /// Where the INVITE came from: RTP is taken from this address or
        /// the SDP's, from nobody else.
        peer: IpAddr,
        /// Codec, events, direction.
        chosen: Chosen,
    },
    /// A new offer was answered (hold, resume, new codec or address).
    Update {
        /// The call.
        call: CallRef,
        /// Where the caller now receives RTP.
        remote: Option<SocketAddr>,
        /// Codec, events, direction.
        chosen: Chosen,
    },
    /// The call is over: stop its media, free its port.
    End {
        /// The call.
        call: CallRef,
        /// Why, in words ("caller hung up", "cancelled", ...).
        reason: &'static str,
    },
    /// The transfer cannot be made: tell the caller an agent will call
    /// back, then hang up.
    TransferFailed {
        /// The call.
        call: CallRef,
        /// Why.
        why: String,
    },
    /// Something to log.
    Log {
        /// What (`"invite"`, `"rejected"`, `"malformed"`, ...).
        event: &'static str,
        /// The SIP Call-ID, when known.
        call_id: String,
        /// Details.
        detail: String,
    },
}

/// A retransmitted datagram (a 2xx until its ACK, a request until its
/// response): doubling intervals from T1 up to T2, for 64·T1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retx {
    to: SocketAddr,
    bytes: Vec<u8>,
    next: u64,
    interval: u64,
    deadline: u64,
}

impl Retx {
    fn new(to: SocketAddr, bytes: Vec<u8>, now: u64) -> Self {
        Retx {
            to,
            bytes,
            next: now + T1_MS,
            interval: T1_MS,
            deadline: now + TX_LIFETIME_MS,
        }
    }

    /// The datagram again, when it is due.
    fn due(&mut self, now: u64, out: &mut Vec<Output>) {
        if now >= self.next && now < self.deadline {
            out.push(Output::Send {
                to: self.to,
                bytes: self.bytes.clone(),
            });
            self.interval = (self.interval * 2).min(T2_MS);
            self.next = now + self.interval;
        }
    }
}

/// A request the line sent in a dialog, until its final response.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ClientTx {
    branch: String,
    method: Method,
    retx: Retx,
}

/// Where a dialog is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// 180 sent; answered at `answer_at`.
    Ringing {
        /// When to answer.
        answer_at: u64,
    },
    /// 200 sent, until the ACK.
    Answering {
        /// The 200, again and again.
        ok: Retx,
    },
    /// Established.
    Confirmed,
    /// A re-INVITE answered, until its ACK (media goes on).
    Reanswering {
        /// The 200, again and again.
        ok: Retx,
    },
    /// The line sent BYE, until it is answered.
    Ending,
    /// Over; remembered until `until` for retransmissions.
    Gone {
        /// When to forget it.
        until: u64,
    },
}

/// Where a transfer is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Transfer {
    None,
    /// REFER sent or accepted, waiting for the NOTIFY that says how it went.
    Pending {
        deadline: u64,
    },
    Done,
}

struct Dialog {
    id: CallRef,
    call_id: String,
    local_tag: String,
    /// The INVITE's From (the caller), To (the line, with our tag added).
    remote: String,
    local: String,
    remote_target: String,
    route_set: Vec<String>,
    peer: SocketAddr,
    local_cseq: u32,
    remote_cseq: u32,
    invite: Message,
    invite_branch: String,
    last_invite_response: Option<Vec<u8>>,
    rtp_port: u16,
    offer: Offer,
    chosen: Chosen,
    sdp_session: u64,
    sdp_version: u64,
    state: State,
    txs: Vec<ClientTx>,
    transfer: Transfer,
    started: bool,
}

/// The user-agent server.
pub struct Ua {
    config: UaConfig,
    dialogs: HashMap<String, Dialog>,
    /// Failure responses to INVITEs, retransmitted until their ACK, by branch.
    rejected: HashMap<String, Retx>,
    next_id: CallRef,
    rng: u64,
    now: u64,
}

/// Most dialogs and rejected transactions remembered at once (a flood of
/// INVITEs is answered 503 without state beyond this).
pub const MAX_REMEMBERED: usize = 20_000;

/// Most refused INVITEs whose answer is retransmitted until their ACK; past
/// this a refusal is sent once (so a flood from forged addresses is not
/// answered seven times over).
pub const MAX_REJECTED: usize = 1_000;

impl Ua {
    /// A user-agent server; `seed` feeds its tags and branches.
    pub fn new(config: UaConfig, seed: u64) -> Self {
        Ua {
            config,
            dialogs: HashMap::new(),
            rejected: HashMap::new(),
            next_id: 1,
            rng: seed | 1,
            now: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &UaConfig {
        &self.config
    }

    /// Calls in progress (ringing or answered).
    pub fn active_calls(&self) -> usize {
        self.dialogs
            .values()
            .filter(|d| !matches!(d.state, State::Gone { .. }))
            .count()
    }

    /// The state of the dialog with `call_id` (tests, logs).
    pub fn state(&self, call_id: &str) -> Option<&State> {
        self.dialogs.get(call_id).map(|d| &d.state)
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: tags and branches need to be unique, not secret.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn token(&mut self) -> String {
        format!("{:016x}", self.random())
    }

    fn contact(&self) -> String {
        format!("<sip:ivr@{}>", self.config.local)
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        if self.config.allow.is_empty() {
            return ip.is_loopback();
        }
        self.config.allow.iter().any(|c| c.contains(ip))
    }

    /// Handles one input at `now` (milliseconds of a monotonic clock);
    /// `rtp_port` gives a fresh RTP port for a call being accepted (`None`:
    /// none free, 503).
    pub fn handle(
        &mut self,
        now: u64,
        input: Input<'_>,
        rtp_port: &mut dyn FnMut(CallRef) -> Option<u16>,
    ) -> Vec<Output> {
        self.now = self.now.max(now);
        let mut out = Vec::new();
        match input {
            Input::Datagram { from, bytes } => self.datagram(from, bytes, rtp_port, &mut out),
            Input::Tick => self.tick(&mut out),
            Input::HangUp(call) => self.hang_up(call, &mut out),
            Input::Transfer(call) => self.transfer(call, &mut out),
        }
        out
    }

    /// When [`Input::Tick`] is next needed, if ever.
    pub fn next_tick(&self) -> Option<u64> {
        let mut due: Option<u64> = None;
        let mut at = |t: u64| due = Some(due.map_or(t, |d| d.min(t)));
        for r in self.rejected.values() {
            at(r.next.min(r.deadline));
        }
        for d in self.dialogs.values() {
            match &d.state {
                State::Ringing { answer_at } => at(*answer_at),
                State::Answering { ok } | State::Reanswering { ok } => at(ok.next.min(ok.deadline)),
                State::Gone { until } => at(*until),
                State::Confirmed | State::Ending => {}
            }
            for tx in &d.txs {
                at(tx.retx.next.min(tx.retx.deadline));
            }
            if let Transfer::Pending { deadline } = d.transfer {
                at(deadline);
            }
        }
        due
    }

    fn datagram(
        &mut self,
        from: SocketAddr,
        bytes: &[u8],
        rtp_port: &mut dyn FnMut(CallRef) -> Option<u16>,
        out: &mut Vec<Output>,
    ) {
        // Keep-alives (CRLF pings, RFC 5626) are not messages.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let msg = match Message::parse(bytes) {
            Ok(m) => m,
            Err(e) => {
                out.push(log("malformed", "", format!("from {from}: {e}")));
                return;
            }
        };
        let call_id = msg.header("Call-ID").unwrap_or("").to_string();
        match &msg.start {
            StartLine::Response { .. } => self.response(from, &msg, out),
            StartLine::Request { method, .. } => {
                // The headers every request needs to be answered at all.
                let missing = ["Via", "From", "To", "Call-ID", "CSeq"]
                    .into_iter()
                    .find(|h| msg.header(h).is_none());
                let broken = match missing {
                    Some(h) => Some(format!("no {h} header")),
                    None => [
                        msg.top_via().err(),
                        msg.from().err(),
                        msg.to().err(),
                        msg.call_id().err(),
                        msg.cseq().err(),
                    ]
                    .into_iter()
                    .flatten()
                    .next()
                    .map(|e| e.0),
                };
                if let Some(why) = broken {
                    out.push(log("malformed", &call_id, format!("from {from}: {why}")));
                    // Answerable only when Via, From, To, Call-ID and CSeq read.
                    if msg.top_via().is_ok()
                        && msg.cseq().is_ok()
                        && msg.header("Call-ID").is_some()
                        && *method != Method::Ack
                    {
                        self.reply(&msg, from, 400, "Bad Request", out);
                    }
                    return;
                }
                if let Ok((_, m)) = msg.cseq() {
                    if m != *method && *method != Method::Ack && *method != Method::Cancel {
                        self.reply(&msg, from, 400, "CSeq method does not match", out);
                        return;
                    }
                }
                if !self.allowed(from.ip()) {
                    out.push(log(
                        "refused",
                        &call_id,
                        format!("{method} from {from}: not in --allow"),
                    ));
                    if *method != Method::Ack {
                        self.reply(&msg, from, 403, "Forbidden", out);
                    }
                    return;
                }
                if msg.header("Max-Forwards").is_some_and(|v| v.trim() == "0")
                    && *method != Method::Ack
                {
                    self.reply(&msg, from, 483, "Too Many Hops", out);
                    return;
                }
                match method {
                    Method::Invite => self.invite(from, msg, rtp_port, out),
                    Method::Ack => self.ack(&msg),
                    Method::Bye => self.bye(from, &msg, out),
                    Method::Cancel => self.cancel(from, &msg, out),
                    Method::Options => {
                        let mut r = self.response_to(&msg, from, 200, "OK");
                        r.push("Allow", ALLOW).push("Accept", "application/sdp");
                        send(from, &r, out);
                    }
                    Method::Notify => self.notify(from, &msg, out),
                    _ => {
                        let mut r = self.response_to(&msg, from, 405, "Method Not Allowed");
                        r.push("Allow", ALLOW);
                        send(from, &r, out);
                    }
                }
            }
        }
    }

    /// A response to `req`: Via (the top one stamped), From, To (with our
    /// tag for the dialog, when it has none), Call-ID, CSeq (§8.2.6.2).
    fn response_to(&mut self, req: &Message, from: SocketAddr, code: u16, reason: &str) -> Message {
        let mut r = Message {
            start: StartLine::Response {
                code,
                reason: reason.to_string(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        for (n, v) in req.values("Via").iter().enumerate() {
            match (n, crate::msg::Via::parse(v)) {
                (0, Ok(via)) => r.push("Via", via.stamped(from)),
                _ => r.push("Via", v.clone()),
            };
        }
        if let Some(f) = req.header("From") {
            r.push("From", f);
        }
        if let Some(t) = req.header("To") {
            let tag = req
                .header("Call-ID")
                .and_then(|c| self.dialogs.get(c))
                .map(|d| d.local_tag.clone());
            match NameAddr::parse(t) {
                Ok(to) if to.tag().is_none() && code != 100 => {
                    let tag = tag.unwrap_or_else(|| self.token());
                    r.push("To", to.with_tag(&tag))
                }
                _ => r.push("To", t),
            };
        }
        for h in ["Call-ID", "CSeq"] {
            if let Some(v) = req.header(h) {
                r.push(h, v);
            }
        }
        r.push("Server", "actline");
        r
    }

    fn reply(
        &mut self,
        req: &Message,
        from: SocketAddr,
        code: u16,
        reason: &str,
        out: &mut Vec<Output>,
    ) {
        let r = self.response_to(req, from, code, reason);
        // A failure to an INVITE is retransmitted until its ACK (§17.2.1).
        let branch = req.branch();
        match branch {
            Some(b) if req.method() == Some(Method::Invite) && code >= 300 => {
                self.remember_refusal(b, from, &r, out)
            }
            _ => send(from, &r, out),
        }
    }

    /// Sends a refusal of an INVITE, kept for retransmission until its ACK
    /// while fewer than [`MAX_REJECTED`] are.
    fn remember_refusal(
        &mut self,
        branch: String,
        from: SocketAddr,
        r: &Message,
        out: &mut Vec<Output>,
    ) {
        let bytes = r.to_bytes();
        if self.rejected.len() < MAX_REJECTED {
            self.rejected
                .insert(branch, Retx::new(from, bytes.clone(), self.now));
        }
        out.push(Output::Send { to: from, bytes });
    }

    fn invite(
        &mut self,
        from: SocketAddr,
        msg: Message,
        rtp_port: &mut dyn FnMut(CallRef) -> Option<u16>,
        out: &mut Vec<Output>,
    ) {
        let call_id = msg.header("Call-ID").unwrap_or("").to_string();
        let branch = msg.branch().unwrap_or_default();
        let has_to_tag = msg
            .to()
            .ok()
            .and_then(|t| t.tag().map(str::to_string))
            .is_some();
        if let Some(d) = self.dialogs.get(&call_id) {
            if d.invite_branch == branch {
                // A retransmission: the last answer again.
                if let Some(b) = d.last_invite_response.clone() {
                    out.push(Output::Send { to: from, bytes: b });
                }
                return;
            }
            if has_to_tag {
                return self.reinvite(from, msg, out);
            }
            self.reply(&msg, from, 482, "Loop Detected", out);
            return;
        }
        if has_to_tag {
            self.reply(&msg, from, 481, "Call/Transaction Does Not Exist", out);
            return;
        }
        if let Some(r) = self.rejected.get(&branch) {
            out.push(Output::Send {
                to: from,
                bytes: r.bytes.clone(),
            });
            return;
        }
        if self.dialogs.len() + self.rejected.len() >= MAX_REMEMBERED {
            let r = self.response_to(&msg, from, 503, "Service Unavailable");
            send(from, &r, out);
            return;
        }
        if self.active_calls() >= self.config.max_calls {
            out.push(log(
                "busy",
                &call_id,
                format!("{} calls already", self.active_calls()),
            ));
            let mut r = self.response_to(&msg, from, 486, "Busy Here");
            r.push("Retry-After", "30");
            self.remember_refusal(branch, from, &r, out);
            return;
        }
        let offer = match offer_of(&msg) {
            Ok(o) => o,
            Err((code, why)) => {
                out.push(log("rejected", &call_id, why.clone()));
                let reason = if code == 488 {
                    "Not Acceptable Here"
                } else {
                    "Bad Request"
                };
                let mut r = self.response_to(&msg, from, code, reason);
                r.push(
                    "Warning",
                    format!("399 actline \"{}\"", why.replace('"', "'")),
                );
                self.remember_refusal(branch, from, &r, out);
                return;
            }
        };
        let chosen = match offer.choose() {
            Ok(c) => c,
            Err(e) => {
                out.push(log("rejected", &call_id, e.to_string()));
                let mut r = self.response_to(&msg, from, 488, "Not Acceptable Here");
                r.push(
                    "Warning",
                    format!("304 actline \"{}\"", e.to_string().replace('"', "'")),
                );
                self.remember_refusal(branch, from, &r, out);
                return;
            }
        };
        let id = self.next_id;
        let Some(port) = rtp_port(id) else {
            let mut r = self.response_to(&msg, from, 503, "Service Unavailable");
            r.push("Retry-After", "5");
            send(from, &r, out);
            return;
        };
        self.next_id += 1;
        let local_tag = self.token();
        let to = msg.to().map(|t| t.with_tag(&local_tag)).unwrap_or_default();
        let remote_target = msg.contact_uri().unwrap_or_else(|| format!("sip:{from}"));
        let (cseq, _) = msg.cseq().unwrap_or((0, Method::Invite));
        let session = self.random() >> 1;
        out.push(log(
            "invite",
            &call_id,
            format!("from {from}, codec {}", chosen.codec.name()),
        ));
        let dialog = Dialog {
            id,
            call_id: call_id.clone(),
            local_tag,
            remote: msg.header("From").unwrap_or("").to_string(),
            local: to,
            remote_target,
            route_set: msg.values("Record-Route"),
            peer: from,
            local_cseq: (self.random() % 10_000) as u32 + 1,
            remote_cseq: cseq,
            invite: msg.clone(),
            invite_branch: branch,
            last_invite_response: None,
            rtp_port: port,
            offer,
            chosen,
            sdp_session: session,
            sdp_version: 1,
            state: State::Confirmed,
            txs: Vec::new(),
            transfer: Transfer::None,
            started: false,
        };
        self.dialogs.insert(call_id.clone(), dialog);
        let trying = self.response_to(&msg, from, 100, "Trying");
        send(from, &trying, out);
        if self.config.answer_after_ms > 0 {
            let ringing = self.response_to(&msg, from, 180, "Ringing");
            let bytes = ringing.to_bytes();
            let d = self.dialogs.get_mut(&call_id).expect("just inserted");
            d.last_invite_response = Some(bytes.clone());
            d.state = State::Ringing {
                answer_at: self.now + self.config.answer_after_ms,
            };
            out.push(Output::Send { to: from, bytes });
        } else {
            self.answer(&call_id, out);
        }
    }

    /// The 200 OK with the SDP answer for the dialog's INVITE; the media starts.
    fn answer(&mut self, call_id: &str, out: &mut Vec<Output>) {
        let Some(d) = self.dialogs.get(call_id) else {
            return;
        };
        let (invite, peer) = (d.invite.clone(), d.peer);
        // The route set is the INVITE's Record-Route, echoed once (§12.1.1).
        let bytes = self.ok_with_answer(call_id, &invite, peer, true);
        let d = self.dialogs.get_mut(call_id).expect("present");
        d.state = State::Answering {
            ok: Retx::new(peer, bytes.clone(), self.now),
        };
        d.started = true;
        out.push(Output::Send { to: peer, bytes });
        out.push(Output::Start {
            call: d.id,
            call_id: d.call_id.clone(),
            remote: remote_of(&d.offer),
            peer: d.peer.ip(),
            chosen: d.chosen,
        });
    }

    /// The 200 OK to the INVITE `req` of dialog `call_id`, with Contact,
    /// Allow and the dialog's current SDP answer (and the Record-Route set
    /// when `record_route`); kept as the answer to its retransmissions.
    fn ok_with_answer(
        &mut self,
        call_id: &str,
        req: &Message,
        to: SocketAddr,
        record_route: bool,
    ) -> Vec<u8> {
        let mut ok = self.response_to(req, to, 200, "OK");
        if record_route {
            for rr in req.values("Record-Route") {
                ok.push("Record-Route", rr);
            }
        }
        ok.push("Contact", self.contact())
            .push("Allow", ALLOW)
            .push("Content-Type", "application/sdp");
        let local_ip = self.config.local.ip();
        let d = self
            .dialogs
            .get_mut(call_id)
            .expect("a dialog being answered");
        ok.body = sdp::answer(
            &d.offer,
            &d.chosen,
            local_ip,
            d.rtp_port,
            d.sdp_session,
            d.sdp_version,
        );
        let bytes = ok.to_bytes();
        d.last_invite_response = Some(bytes.clone());
        bytes
    }

    fn reinvite(&mut self, from: SocketAddr, msg: Message, out: &mut Vec<Output>) {
        let call_id = msg.header("Call-ID").unwrap_or("").to_string();
        let Some(d) = self.dialogs.get(&call_id) else {
            return;
        };
        if !dialog_matches(d, &msg) || matches!(d.state, State::Gone { .. } | State::Ending) {
            self.reply(&msg, from, 481, "Call/Transaction Does Not Exist", out);
            return;
        }
        let (cseq, _) = msg.cseq().unwrap_or((0, Method::Invite));
        if cseq <= d.remote_cseq {
            self.reply(&msg, from, 500, "Server Internal Error", out);
            return;
        }
        if matches!(
            d.state,
            State::Answering { .. } | State::Reanswering { .. } | State::Ringing { .. }
        ) {
            // An offer while ours is outstanding (§14.2).
            let mut r = self.response_to(&msg, from, 491, "Request Pending");
            r.push("Retry-After", "1");
            send(from, &r, out);
            return;
        }
        let (offer, chosen) = match offer_of(&msg).and_then(|o| {
            let c = o.choose().map_err(|e| (488, e.to_string()))?;
            Ok((o, c))
        }) {
            Ok(x) => x,
            Err((code, why)) => {
                // The call goes on as it was (§14.2).
                out.push(log("reinvite-rejected", &call_id, why));
                let reason = if code == 488 {
                    "Not Acceptable Here"
                } else {
                    "Bad Request"
                };
                self.reply(&msg, from, code, reason, out);
                return;
            }
        };
        let d = self.dialogs.get_mut(&call_id).expect("present");
        d.remote_cseq = cseq;
        d.invite_branch = msg.branch().unwrap_or_default();
        d.sdp_version += 1;
        d.offer = offer;
        d.chosen = chosen;
        if let Some(uri) = msg.contact_uri() {
            d.remote_target = uri;
        }
        let bytes = self.ok_with_answer(&call_id, &msg, from, false);
        let d = self.dialogs.get_mut(&call_id).expect("present");
        d.state = State::Reanswering {
            ok: Retx::new(from, bytes.clone(), self.now),
        };
        out.push(log(
            "reinvite",
            &call_id,
            format!("{:?}", d.chosen.direction),
        ));
        out.push(Output::Send { to: from, bytes });
        out.push(Output::Update {
            call: d.id,
            remote: remote_of(&d.offer),
            chosen: d.chosen,
        });
    }

    fn ack(&mut self, msg: &Message) {
        let branch = msg.branch().unwrap_or_default();
        if self.rejected.remove(&branch).is_some() {
            return;
        }
        let Some(d) = msg.header("Call-ID").and_then(|c| self.dialogs.get_mut(c)) else {
            return;
        };
        if matches!(d.state, State::Answering { .. } | State::Reanswering { .. })
            && dialog_matches(d, msg)
        {
            d.state = State::Confirmed;
        }
    }

    /// Answers a request inside a dialog: 200 when it carries the dialog's
    /// tags (its Call-ID returned), else 481 with `unknown` (`None`).
    fn accept_in_dialog(
        &mut self,
        from: SocketAddr,
        msg: &Message,
        unknown: &str,
        out: &mut Vec<Output>,
    ) -> Option<String> {
        let call_id = msg.header("Call-ID").unwrap_or("").to_string();
        let known = self
            .dialogs
            .get(&call_id)
            .is_some_and(|d| dialog_matches(d, msg));
        if !known {
            self.reply(msg, from, 481, unknown, out);
            return None;
        }
        let ok = self.response_to(msg, from, 200, "OK");
        send(from, &ok, out);
        Some(call_id)
    }

    fn bye(&mut self, from: SocketAddr, msg: &Message, out: &mut Vec<Output>) {
        let Some(call_id) =
            self.accept_in_dialog(from, msg, "Call/Transaction Does Not Exist", out)
        else {
            return;
        };
        let until = self.now + TX_LIFETIME_MS;
        let d = self.dialogs.get_mut(&call_id).expect("known");
        if !matches!(d.state, State::Gone { .. }) {
            d.state = State::Gone { until };
            d.txs.clear();
            out.push(log("bye", &call_id, "the caller hung up".into()));
            out.push(Output::End {
                call: d.id,
                reason: "caller hung up",
            });
        }
    }

    fn cancel(&mut self, from: SocketAddr, msg: &Message, out: &mut Vec<Output>) {
        let call_id = msg.header("Call-ID").unwrap_or("").to_string();
        let branch = msg.branch().unwrap_or_default();
        let Some(d) = self
            .dialogs
            .get(&call_id)
            .filter(|d| d.invite_branch == branch)
        else {
            self.reply(msg, from, 481, "Call/Transaction Does Not Exist", out);
            return;
        };
        let ringing = matches!(d.state, State::Ringing { .. });
        let invite = d.invite.clone();
        let ok = self.response_to(msg, from, 200, "OK");
        send(from, &ok, out);
        if ringing {
            // The INVITE ends with 487, retransmitted until its ACK.
            self.reply(&invite, from, 487, "Request Terminated", out);
            let until = self.now + TX_LIFETIME_MS;
            let d = self.dialogs.get_mut(&call_id).expect("present");
            d.last_invite_response = self.rejected.get(&branch).map(|r| r.bytes.clone());
            d.state = State::Gone { until };
            out.push(log(
                "cancel",
                &call_id,
                "cancelled before the answer".into(),
            ));
            out.push(Output::End {
                call: d.id,
                reason: "cancelled",
            });
        }
    }

    fn notify(&mut self, from: SocketAddr, msg: &Message, out: &mut Vec<Output>) {
        let Some(call_id) = self.accept_in_dialog(from, msg, "Subscription Does Not Exist", out)
        else {
            return;
        };
        // The body is a sipfrag (RFC 3420): the agent leg's status line.
        let status = std::str::from_utf8(&msg.body)
            .ok()
            .and_then(|b| b.lines().next())
            .and_then(|l| l.strip_prefix("SIP/2.0 "))
            .and_then(|l| l.get(..3))
            .and_then(|c| c.parse::<u16>().ok());
        let terminated = msg
            .header("Subscription-State")
            .is_some_and(|s| s.trim_start().starts_with("terminated"));
        let d = self.dialogs.get_mut(&call_id).expect("known");
        if !matches!(d.transfer, Transfer::Pending { .. }) {
            return;
        }
        match status {
            Some(200..=299) => {
                d.transfer = Transfer::Done;
                out.push(log("transferred", &call_id, "the agent answered".into()));
                let id = d.id;
                self.hang_up(id, out);
            }
            Some(300..) => {
                d.transfer = Transfer::Done;
                let why = format!("the agent's line answered {}", status.unwrap_or(0));
                out.push(Output::TransferFailed { call: d.id, why });
            }
            _ if terminated => {
                d.transfer = Transfer::Done;
                out.push(Output::TransferFailed {
                    call: d.id,
                    why: "the transfer ended without an answer".into(),
                });
            }
            _ => {}
        }
    }

    fn response(&mut self, _from: SocketAddr, msg: &Message, out: &mut Vec<Output>) {
        let Some(code) = msg.code() else { return };
        let branch = msg.branch().unwrap_or_default();
        let Some(d) = msg.header("Call-ID").and_then(|c| self.dialogs.get_mut(c)) else {
            return;
        };
        let Some(n) = d.txs.iter().position(|t| t.branch == branch) else {
            return;
        };
        if code < 200 {
            // Provisional: stop retransmitting (§17.1.2.2 keeps T2 pacing; enough here).
            d.txs[n].retx.next = d.txs[n].retx.deadline;
            return;
        }
        let tx = d.txs.remove(n);
        match tx.method {
            Method::Bye => {
                d.state = State::Gone {
                    until: self.now + TX_LIFETIME_MS,
                };
            }
            Method::Refer if (200..300).contains(&code) => {
                out.push(log(
                    "refer",
                    &d.call_id.clone(),
                    format!("accepted ({code})"),
                ));
            }
            Method::Refer => {
                d.transfer = Transfer::Done;
                out.push(Output::TransferFailed {
                    call: d.id,
                    why: format!("the REFER was refused ({code})"),
                });
            }
            _ => {}
        }
    }

    /// A request in the dialog (§12.2.1.1): to the remote target, through
    /// the route set.
    fn in_dialog(
        &mut self,
        call_id: &str,
        method: Method,
    ) -> Option<(SocketAddr, Message, String)> {
        let branch = format!("z9hG4bK{}", self.token());
        let local = self.config.local;
        let contact = self.contact();
        let d = self.dialogs.get_mut(call_id)?;
        d.local_cseq += 1;
        let mut m = Message::request(method.clone(), d.remote_target.clone());
        m.push("Via", format!("SIP/2.0/UDP {local};branch={branch};rport"));
        m.push("Max-Forwards", "70");
        for r in &d.route_set {
            m.push("Route", r.clone());
        }
        m.push("From", d.local.clone())
            .push("To", d.remote.clone())
            .push("Call-ID", d.call_id.clone())
            .push("CSeq", format!("{} {method}", d.local_cseq))
            .push("Contact", contact);
        let first_hop = d
            .route_set
            .first()
            .and_then(|r| NameAddr::parse(r).ok())
            .map(|r| r.uri)
            .unwrap_or_else(|| d.remote_target.clone());
        let to = uri_socket(&first_hop).unwrap_or(d.peer);
        Some((to, m, branch))
    }

    fn send_in_dialog(
        &mut self,
        call_id: &str,
        method: Method,
        extra: &[(&str, String)],
        out: &mut Vec<Output>,
    ) {
        let Some((to, mut m, branch)) = self.in_dialog(call_id, method.clone()) else {
            return;
        };
        for (n, v) in extra {
            m.push(n, v.clone());
        }
        let bytes = m.to_bytes();
        let now = self.now;
        if let Some(d) = self.dialogs.get_mut(call_id) {
            d.txs.push(ClientTx {
                branch,
                method,
                retx: Retx::new(to, bytes.clone(), now),
            });
        }
        out.push(Output::Send { to, bytes });
    }

    fn call_id_of(&self, call: CallRef) -> Option<String> {
        self.dialogs
            .values()
            .find(|d| d.id == call)
            .map(|d| d.call_id.clone())
    }

    fn hang_up(&mut self, call: CallRef, out: &mut Vec<Output>) {
        let Some(call_id) = self.call_id_of(call) else {
            return;
        };
        let d = &self.dialogs[&call_id];
        if matches!(d.state, State::Gone { .. } | State::Ending) {
            return;
        }
        if matches!(d.state, State::Ringing { .. }) {
            // Not answered yet: decline instead.
            let invite = d.invite.clone();
            let peer = d.peer;
            self.reply(&invite, peer, 480, "Temporarily Unavailable", out);
            let until = self.now + TX_LIFETIME_MS;
            let d = self.dialogs.get_mut(&call_id).expect("present");
            d.state = State::Gone { until };
            out.push(Output::End {
                call,
                reason: "declined",
            });
            return;
        }
        self.send_in_dialog(&call_id, Method::Bye, &[], out);
        let d = self.dialogs.get_mut(&call_id).expect("present");
        d.state = State::Ending;
        out.push(log("bye-sent", &call_id, "the line hung up".into()));
        out.push(Output::End {
            call,
            reason: "line hung up",
        });
    }

    fn transfer(&mut self, call: CallRef, out: &mut Vec<Output>) {
        let Some(call_id) = self.call_id_of(call) else {
            return;
        };
        let Some(agent) = self.config.agent_uri.clone() else {
            out.push(Output::TransferFailed {
                call,
                why: "no agent URI is set (--agent-uri)".into(),
            });
            return;
        };
        let d = &self.dialogs[&call_id];
        if !matches!(
            d.state,
            State::Confirmed | State::Reanswering { .. } | State::Answering { .. }
        ) {
            return;
        }
        let referred_by = format!("<sip:ivr@{}>", self.config.local);
        self.send_in_dialog(
            &call_id,
            Method::Refer,
            &[
                ("Refer-To", format!("<{agent}>")),
                ("Referred-By", referred_by),
            ],
            out,
        );
        let deadline = self.now + 2 * TX_LIFETIME_MS;
        if let Some(d) = self.dialogs.get_mut(&call_id) {
            d.transfer = Transfer::Pending { deadline };
        }
        out.push(log("refer-sent", &call_id, agent));
    }

    fn tick(&mut self, out: &mut Vec<Output>) {
        let now = self.now;
        self.rejected.retain(|_, r| {
            r.due(now, out);
            now < r.deadline
        });
        let ids: Vec<String> = self.dialogs.keys().cloned().collect();
        for call_id in ids {
            let Some(d) = self.dialogs.get_mut(&call_id) else {
                continue;
            };
            for tx in &mut d.txs {
                tx.retx.due(now, out);
            }
            let timed_out: Vec<Method> = d
                .txs
                .iter()
                .filter(|t| now >= t.retx.deadline)
                .map(|t| t.method.clone())
                .collect();
            d.txs.retain(|t| now < t.retx.deadline);
            let id = d.id;
            for m in timed_out {
                match m {
                    Method::Bye => {
                        d.state = State::Gone {
                            until: now + TX_LIFETIME_MS,
                        }
                    }
                    Method::Refer => {
                        d.transfer = Transfer::Done;
                        out.push(Output::TransferFailed {
                            call: id,
                            why: "the REFER was not answered".into(),
                        });
                    }
                    _ => {}
                }
            }
            if let Transfer::Pending { deadline } = d.transfer {
                if now >= deadline {
                    d.transfer = Transfer::Done;
                    out.push(Output::TransferFailed {
                        call: id,
                        why: "no word from the agent's line".into(),
                    });
                }
            }
            let d = self.dialogs.get_mut(&call_id).expect("present");
            match &mut d.state {
                State::Ringing { answer_at } if now >= *answer_at => self.answer(&call_id, out),
                State::Answering { ok } | State::Reanswering { ok } => {
                    ok.due(now, out);
                    if now >= ok.deadline {
                        // No ACK in 64·T1: end the call (§13.3.1.4).
                        let answering = matches!(d.state, State::Answering { .. });
                        d.state = State::Confirmed;
                        out.push(log("no-ack", &call_id, "no ACK for the 200 OK".into()));
                        if answering {
                            self.hang_up(id, out);
                        }
                    }
                }
                State::Gone { until } if now >= *until => {
                    self.dialogs.remove(&call_id);
                }
                _ => {}
            }
        }
    }
}

/// The methods the line answers.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY";

fn send(to: SocketAddr, m: &Message, out: &mut Vec<Output>) {
    out.push(Output::Send {
        to,
        bytes: m.to_bytes(),
    });
}

fn log(event: &'static str, call_id: &str, detail: String) -> Output {
    Output::Log {
        event,
        call_id: call_id.to_string(),
        detail,
    }
}

/// Whether a request in a dialog carries its tags: From the caller's, To ours.
fn dialog_matches(d: &Dialog, msg: &Message) -> bool {
    let to_tag = msg.to().ok().and_then(|t| t.tag().map(str::to_string));
    let from_tag = msg.from().ok().and_then(|f| f.tag().map(str::to_string));
    let remote_tag = NameAddr::parse(&d.remote)
        .ok()
        .and_then(|f| f.tag().map(str::to_string));
    to_tag.as_deref() == Some(d.local_tag.as_str()) && from_tag == remote_tag
}

/// The SDP offer of an INVITE, or the code and words to refuse it with.
fn offer_of(msg: &Message) -> Result<Offer, (u16, String)> {
    if msg.body.is_empty() {
        return Err((
            488,
            "the INVITE carries no SDP offer (offerless INVITEs are not answered)".into(),
        ));
    }
    let ct = msg.header("Content-Type").unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/sdp") {
        return Err((488, format!("the body is {ct:?}, not application/sdp")));
    }
    Offer::parse(&msg.body).map_err(|e| match e {
        SdpError::Malformed { .. } => (400, e.to_string()),
        SdpError::NotAcceptable(m) => (488, m),
    })
}

fn remote_of(o: &Offer) -> Option<SocketAddr> {
    o.addr.map(|a| SocketAddr::new(a, o.port))
}

#[cfg(test)]
mod tests;
