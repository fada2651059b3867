//! The desk's session with the engine: every [`Intent`] becomes one or
//! more engine [`Request`]s, answered with a [`Reply`] of plain view data.
//!
//! The desk never opens the ledger or the secrets. It is given an
//! [`Engine`], a function that sends a request: to the engine in this
//! process on a home its user owns, or to a running `actline serve` over
//! its Unix socket or TLS. Either way the engine decides who the caller is
//! and checks their role, so an agent's desk can work while the agent's
//! account cannot read any file of the home.
//!
//! A [`Session`] is synchronous; the desk runs it on a worker thread
//! ([`Worker`]) so a slow engine or a locked ledger never holds up typing,
//! while tests drive it inline.

use super::msg::{DeskEvent, Intent, Reply};
use super::play::Speaker;
use super::view_model::*;
use actline_engine::entitlement::rules::Role;
use actline_engine::entitlement::{Agreement, Catalog, Program};
use actline_engine::fingerprint::HardwareHash;
use actline_engine::ids::InstallationId;
use actline_engine::keys::{KeyKind, ProductKey};
use actline_engine::ledger::{ActivationRow, Handover, KeyUsage};
use actline_engine::service::{self as api, ApiError, ErrorKind, Request};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

pub use actline_engine::service::MAX_ROWS;

/// Sends one request to the engine and returns its reply.
pub type Engine = Box<dyn FnMut(Request) -> Result<api::Reply, ApiError> + Send>;

/// Carries out intents. The desk holds one: inline in tests, a worker
/// thread in the terminal.
pub trait Domain {
    /// Carries out `intent`; the reply now, or `None` when it will arrive
    /// later as a [`DeskEvent`].
    fn request(&mut self, intent: Intent) -> Option<Reply>;
}

/// The desk's session: the engine, and what it said about the caller and
/// the catalog when the desk connected.
pub struct Session {
    engine: Engine,
    place: String,
    me: Option<Me>,
    /// Set when the engine stopped knowing the caller (a token revoked or
    /// expired mid-shift): the desk is then disconnected, saying why.
    lost: Option<String>,
    speaker: Speaker,
}

/// Who is at the desk, as the engine knows them, and the catalog and
/// agreements read when the desk connected.
struct Me {
    user: String,
    role: Option<Role>,
    catalog: Catalog,
    agreements: Vec<Agreement>,
}

/// An engine error in words, with the way out for the common cases.
fn describe(e: &ApiError) -> String {
    if e.kind == ErrorKind::Busy {
        format!("{}; try again in a moment", e.message)
    } else {
        e.message.clone()
    }
}

/// Unwraps the reply variant a request asks for; any other is a bug on one
/// side, said in words.
macro_rules! expect {
    ($reply:expr, $variant:ident) => {
        match $reply {
            api::Reply::$variant(x) => x,
            other => return Err(format!("unexpected reply from the engine: {other:?}")),
        }
    };
}

impl Session {
    /// A session that sends its requests to `engine`; `place` says where the
    /// ledger is, for the status bar (a file, or the service's address).
    /// Nothing is sent until the first intent.
    pub fn new(engine: Engine, place: impl Into<String>) -> Self {
        Self {
            engine,
            place: place.into(),
            me: None,
            lost: None,
            speaker: Speaker::new(None, None),
        }
    }

    /// Sets how confirmation IDs are played (`--player`, `--voices`).
    pub fn with_audio(
        mut self,
        player: Option<String>,
        voices: Option<PathBuf>,
        language: &str,
    ) -> Self {
        self.speaker = Speaker::new(player, voices).speaking(language);
        self
    }

    /// Sends `request`; an error in words.
    fn call(&mut self, request: Request) -> Result<api::Reply, String> {
        self.send(request).map_err(|e| describe(&e))
    }

    /// Sends `request`; notes when the engine no longer knows the caller.
    fn send(&mut self, request: Request) -> Result<api::Reply, ApiError> {
        (self.engine)(request).inspect_err(|e| {
            if e.kind == ErrorKind::Unauthenticated {
                self.lost = Some(e.message.clone());
            }
        })
    }

    /// The desk is disconnected when the engine stopped knowing the caller.
    fn disconnected(&mut self) -> Option<Reply> {
        let why = self.lost.take()?;
        self.me = None;
        Some(Reply::Unavailable(why))
    }

    /// Asks the engine who the caller is and reads the catalog and the
    /// agreements. A caller who is not staff still connects (the status bar
    /// says so); the engine refuses whatever they then ask.
    fn connect(&mut self) -> Result<SessionInfo, String> {
        let who = expect!(self.call(Request::Whoami)?, Staff);
        let member = who.staff.into_iter().next().unwrap_or(api::StaffMember {
            name: String::new(),
            role: None,
        });
        let role = match member.role.as_deref() {
            Some("supervisor") => Some(Role::Supervisor),
            Some("agent") => Some(Role::Agent),
            _ => None,
        };
        let (catalog, agreements) = if role.is_some() {
            let catalog = expect!(self.call(Request::CatalogShow)?, Catalog);
            let agreements = expect!(self.call(Request::AgreementList)?, Agreements).agreements;
            (catalog, agreements)
        } else {
            (Catalog::default(), Vec::new())
        };
        self.me = Some(Me {
            user: member.name,
            role,
            catalog,
            agreements,
        });
        Ok(self.info())
    }

    /// Who is at the desk (empty before the first connection).
    pub fn info(&self) -> SessionInfo {
        let Some(me) = &self.me else {
            return SessionInfo::default();
        };
        SessionInfo {
            user: me.user.clone(),
            role: match me.role {
                Some(r) => r.name().to_string(),
                None => "not on staff".to_string(),
            },
            supervisor: me.role == Some(Role::Supervisor),
            ledger: self.place.clone(),
            products: me.catalog.products.iter().map(|p| p.name.clone()).collect(),
            partner_agreements: me
                .agreements
                .iter()
                .filter(|a| a.program == Program::Partner)
                .map(|a| a.id.clone())
                .collect(),
        }
    }

    /// Carries out one intent, connecting first when the desk is not
    /// connected yet (or asks again with [`Intent::Connect`]).
    pub fn handle(&mut self, intent: Intent) -> Reply {
        if self.me.is_none() || intent == Intent::Connect {
            self.lost = None;
            match self.connect() {
                Ok(info) if intent == Intent::Connect => return Reply::Connected(info),
                Ok(_) => {}
                Err(e) => return Reply::Unavailable(e),
            }
        }
        let what = intent_name(&intent);
        let result = match intent {
            Intent::Connect => Ok(Reply::Connected(self.info())),
            Intent::Preview { iid } => self.preview(&iid),
            Intent::Decide { iid } => self.decide(&iid),
            Intent::Play { cid } => self.speaker.play(&cid).map(Reply::Played),
            Intent::Search { query } => self.search(&query).map(Reply::Found),
            Intent::Audit { filter } => self.audit(&filter).map(Reply::Audit),
            Intent::KeyDetail { serial } => {
                self.key_detail(serial).map(|k| Reply::Key(Box::new(k)))
            }
            Intent::AgreementDetail { id } => self
                .agreement_detail(&id)
                .map(|a| Reply::Agreement(Box::new(a))),
            Intent::Handovers => self.handovers().map(Reply::Handovers),
            Intent::TakeCall { id } => self.take_call(id),
            Intent::KeepCall { id } => self
                .call(Request::HandoverKeep { id })
                .map(|_| Reply::CallHeld(id)),
            Intent::ReleaseCall { id } => self
                .call(Request::HandoverRelease { id })
                .map(|_| Reply::Done(format!("call #{id} went back to the queue"))),
            Intent::EndCall { id, dismissed } => {
                let done = match &dismissed {
                    Some(why) => format!("call #{id} dismissed: {why}"),
                    None => format!("call #{id} is finished"),
                };
                self.call(Request::HandoverEnd { id, dismissed })
                    .map(|_| Reply::Done(done))
            }
            Intent::RaiseLimit { key, limit, reason } => self.raise_limit(&key, limit, &reason),
            Intent::ReleaseSeat { activation, reason } => self.release_seat(activation, &reason),
            Intent::IssuePartnerKey {
                product,
                agreement,
                limit,
                reason,
            } => self.issue_partner_key(&product, &agreement, limit, &reason),
        };
        if let Some(r) = self.disconnected() {
            return r;
        }
        result.unwrap_or_else(|error| Reply::Failed {
            what: what.to_string(),
            error,
        })
    }

    /// The waiting calls, when connected (the worker asks every few seconds);
    /// the desk disconnected when the engine no longer knows the caller.
    pub fn poll(&mut self) -> Option<Reply> {
        self.me.as_ref()?;
        match self.handovers() {
            Ok(calls) => Some(Reply::Handovers(calls)),
            Err(_) => self.disconnected(),
        }
    }

    fn me(&self) -> Result<&Me, String> {
        self.me.as_ref().ok_or_else(|| "not connected".to_string())
    }

    fn product_label(&self, code: u16) -> String {
        self.me
            .as_ref()
            .and_then(|m| m.catalog.by_code(code))
            .map(|p| shown(&p.label()))
            .unwrap_or_else(|| format!("unknown product (code {code})"))
    }

    fn agreement(&self, id: &str) -> Option<&Agreement> {
        self.me.as_ref()?.agreements.iter().find(|a| a.id == id)
    }

    fn agreement_view(&self, a: &Agreement) -> AgreementView {
        let note = match (&a.parent, a.level, a.licences) {
            (Some(p), _, _) => format!("affiliate of {}", shown(p)),
            (None, Some(l), _) => format!("level {l:?}"),
            (None, None, Some(n)) => format!("{n} licences"),
            _ => String::new(),
        };
        AgreementView {
            id: a.id.clone(),
            customer: shown(&a.customer),
            program: a.program.label().to_string(),
            note,
        }
    }

    fn key_view(&self, u: &KeyUsage) -> KeyView {
        KeyView {
            key: u.key.key.clone(),
            serial: u.key.serial,
            kind: u.key.kind.name().to_string(),
            product: self.product_label(u.key.product),
            used: u.used,
            left: u.left,
            limit: if u.key.kind == KeyKind::Retail {
                1
            } else {
                u.key.limit
            },
            revoked: u.key.revoked,
        }
    }

    /// The key with `serial` and its activations; `None` when no key has it.
    fn key_on_record(&mut self, serial: u64) -> Result<Option<api::KeyDetail>, String> {
        match self.send(Request::KeyShow {
            key: serial.to_string(),
        }) {
            Ok(reply) => Ok(Some(expect!(reply, KeyDetail))),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    fn preview(&mut self, text: &str) -> Result<Reply, String> {
        let iid = InstallationId::parse(text).map_err(|e| e.to_string())?;
        let key = match self.key_on_record(iid.key_serial)? {
            Some(d) => {
                let k = short_key(&d.key.key);
                format!(
                    "{} key {k}{}, {} used, {} left{}",
                    d.key.kind,
                    d.key
                        .agreement
                        .as_deref()
                        .map(|a| format!(", agreement {a}"))
                        .unwrap_or_default(),
                    d.used,
                    d.left,
                    if d.key.revoked { " (revoked)" } else { "" }
                )
            }
            None => format!("key serial {} is not on record", iid.key_serial),
        };
        Ok(Reply::Preview(PreviewView {
            iid: iid.to_string(),
            product: self.product_label(iid.product),
            key,
            made: actline_engine::days::format(iid.day),
        }))
    }

    fn decide(&mut self, text: &str) -> Result<Reply, String> {
        let iid = InstallationId::parse(text).map_err(|e| e.to_string())?;
        let act = expect!(
            self.call(Request::Activate {
                installation_id: iid.to_string(),
                agreement: None,
                label: None,
                self_service: false,
            })?,
            Activation
        );
        let detail = self.key_on_record(iid.key_serial)?;
        let agreement = detail
            .as_ref()
            .and_then(|d| d.key.agreement.as_deref())
            .and_then(|id| self.agreement(id))
            .map(|a| self.agreement_view(a));
        // "This machine" by the one same-machine rule, not by equal digests.
        let same_machine = |hex: &str| {
            HardwareHash::from_hex(hex).is_some_and(|h| h.compare(&iid.hardware).same_machine())
        };
        let machine_history = detail
            .as_ref()
            .map(|d| {
                d.activations
                    .iter()
                    .filter(|r| r.id != act.activation && same_machine(&r.hardware))
                    .map(activation_line)
                    .collect()
            })
            .unwrap_or_default();
        let seat = match (act.granted(), act.repeated, act.reactivation_of) {
            (false, _, _) => String::new(),
            (true, true, _) => format!(
                "granted before as #{}: the same confirmation ID, no new seat",
                act.activation
            ),
            (true, false, Some(id)) => format!("reactivation of #{id}: no new seat"),
            (true, false, None) if act.new_seat => "a new seat".to_string(),
            (true, false, None) => "no seat needed".to_string(),
        };
        let key = detail.as_ref().map(|d| {
            self.key_view(&KeyUsage {
                key: d.key.clone(),
                used: d.used,
                left: d.left,
            })
        });
        Ok(Reply::Decided(Box::new(DecisionView {
            activation: act.activation,
            iid: iid.to_string(),
            granted: act.granted(),
            product: self.product_label(iid.product),
            key,
            agreement,
            machine_history,
            trace: act.reasons.iter().map(|t| shown(t)).collect(),
            // The denying rule's sentence, without its remedy.
            reason: act.sentence.as_deref().map(shown),
            remedy: act.remedy.as_deref().map(shown),
            cid: act.confirmation_id,
            seat,
        })))
    }

    fn search(&mut self, query: &str) -> Result<Vec<Hit>, String> {
        let q = query.trim().to_lowercase();
        let mut hits = Vec::new();
        if q.is_empty() {
            return Ok(hits);
        }
        // The agreements as they are now, not as they were at connection.
        let agreements = expect!(self.call(Request::AgreementList)?, Agreements).agreements;
        for a in &agreements {
            let text = format!("{} {} {}", a.id, a.customer, a.program.label()).to_lowercase();
            if text.contains(&q) {
                let v = self.agreement_view(a);
                hits.push(Hit {
                    kind: "agreement".into(),
                    title: shown(&format!("{} {}", a.id, a.customer)),
                    detail: format!("{} {}", v.program, v.note).trim().to_string(),
                    target: Target::Agreement(a.id.clone()),
                });
            }
        }
        if let Some(me) = self.me.as_mut() {
            me.agreements = agreements;
        }
        let keys = expect!(
            self.call(Request::KeySearch {
                product: None,
                query: query.trim().to_string(),
                limit: Some(MAX_ROWS),
            })?,
            Keys
        );
        hits.extend(keys.keys.iter().map(|u| self.key_hit(u)));
        hits.truncate(MAX_ROWS);
        Ok(hits)
    }

    fn key_hit(&self, u: &KeyUsage) -> Hit {
        Hit {
            kind: "key".into(),
            title: u.key.key.clone(),
            detail: format!(
                "{} {} · {} used, {} left{}",
                u.key.kind,
                self.product_label(u.key.product),
                u.used,
                u.left,
                u.key
                    .agreement
                    .as_deref()
                    .map(|a| format!(" · agreement {a}"))
                    .unwrap_or_default()
            ),
            target: Target::Key(u.key.serial),
        }
    }

    fn audit(&mut self, filter: &str) -> Result<Vec<AuditRow>, String> {
        let f = filter.trim();
        let list = expect!(
            self.call(Request::AuditShow {
                since: None,
                filter: (!f.is_empty()).then(|| f.to_string()),
                limit: Some(MAX_ROWS),
            })?,
            Audit
        );
        Ok(list.entries.into_iter().rev().collect())
    }

    fn key_detail(&mut self, serial: u64) -> Result<KeyDetailView, String> {
        let d = self
            .key_on_record(serial)?
            .ok_or_else(|| format!("no key with serial {serial}"))?;
        let agreement = d
            .key
            .agreement
            .as_deref()
            .and_then(|id| self.agreement(id))
            .map(|a| self.agreement_view(a));
        Ok(KeyDetailView {
            key: self.key_view(&KeyUsage {
                key: d.key.clone(),
                used: d.used,
                left: d.left,
            }),
            agreement,
            activations: d.activations.iter().map(activation_line).collect(),
        })
    }

    fn agreement_detail(&mut self, id: &str) -> Result<AgreementDetailView, String> {
        let d = expect!(
            self.call(Request::AgreementShow { id: id.to_string() })?,
            Agreement
        );
        let affiliates = d
            .affiliates
            .iter()
            .map(|x| match self.agreement(x) {
                Some(a) => format!("{} {}", a.id, a.customer),
                None => x.clone(),
            })
            .collect();
        Ok(AgreementDetailView {
            agreement: self.agreement_view(&d.agreement),
            affiliates,
            keys: d.keys.iter().map(|u| self.key_view(u)).collect(),
        })
    }

    /// The calls waiting for an agent, newest first.
    pub fn handovers(&mut self) -> Result<Vec<CallView>, String> {
        let list = expect!(
            self.call(Request::Handovers { waiting_only: true })?,
            Handovers
        );
        Ok(list.handovers.into_iter().map(call_view).collect())
    }

    fn take_call(&mut self, id: i64) -> Result<Reply, String> {
        let all = expect!(
            self.call(Request::Handovers {
                waiting_only: false
            })?,
            Handovers
        );
        let call = all
            .handovers
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| format!("handover #{id} is gone"))?;
        expect!(self.call(Request::HandoverTake { id })?, Taken);
        Ok(Reply::CallTaken(call_view(call)))
    }

    fn raise_limit(&mut self, key: &str, limit: u32, reason: &str) -> Result<Reply, String> {
        let rec = expect!(
            self.call(Request::KeyLimit {
                key: key.trim().to_string(),
                limit,
                reason: reason.to_string(),
            })?,
            Key
        );
        Ok(Reply::Done(format!(
            "the limit of key {} is now {}",
            short_key(&rec.key),
            rec.limit
        )))
    }

    fn release_seat(&mut self, activation: i64, reason: &str) -> Result<Reply, String> {
        expect!(
            self.call(Request::ActivationRelease {
                id: activation,
                reason: reason.to_string(),
            })?,
            Released
        );
        Ok(Reply::Done(format!(
            "the seat of activation #{activation} is released: the replacement machine can take it"
        )))
    }

    fn issue_partner_key(
        &mut self,
        product: &str,
        agreement: &str,
        limit: u32,
        reason: &str,
    ) -> Result<Reply, String> {
        if reason.trim().is_empty() {
            return Err("a reason is required".into());
        }
        let id = agreement.trim();
        let a = self
            .agreement(id)
            .ok_or_else(|| format!("agreement {id} is not on file"))?;
        if a.program != Program::Partner {
            return Err(format!(
                "agreement {} is {}, not a partner agreement",
                a.id,
                a.program.label()
            ));
        }
        let product = product.trim();
        self.me()?
            .catalog
            .by_name(product)
            .ok_or_else(|| format!("product {product:?} is not in the catalog"))?;
        let rec = expect!(
            self.call(Request::KeyIssue {
                product: product.to_string(),
                kind: KeyKind::Mak,
                activations: Some(limit),
                agreement: Some(id.to_string()),
                reason: Some(reason.trim().to_string()),
            })?,
            Key
        );
        Ok(Reply::Done(format!(
            "issued partner key {} for {product} ({limit} activations, agreement {id})",
            rec.key
        )))
    }
}

impl Domain for Session {
    fn request(&mut self, intent: Intent) -> Option<Reply> {
        Some(self.handle(intent))
    }
}

/// The session on its own thread: intents go in through a channel, replies
/// (and changes to the waiting calls, checked every `poll` while idle) come
/// out as [`DeskEvent`]s for the reply port.
pub struct Worker {
    tx: Option<Sender<Intent>>,
    /// Closed when the thread ends.
    ended: Receiver<()>,
}

impl Drop for Worker {
    /// Lets the thread finish the intents sent last (a taken call given
    /// back when the desk quits), waiting at most 3 s for them.
    fn drop(&mut self) {
        drop(self.tx.take());
        let _ = self.ended.recv_timeout(Duration::from_secs(3));
    }
}

impl Worker {
    /// Starts the worker; `events` receives its replies.
    pub fn start(mut session: Session, events: Sender<DeskEvent>, poll: Duration) -> Self {
        let (tx, rx): (Sender<Intent>, Receiver<Intent>) = mpsc::channel();
        let (end_tx, ended) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("actline-desk-domain".into())
            .spawn(move || {
                let _end = end_tx;
                let mut last: Option<Vec<CallView>> = None;
                loop {
                    let reply = match rx.recv_timeout(poll) {
                        Ok(intent) => Some(session.handle(intent)),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    };
                    if let Some(r) = reply {
                        if let Reply::Handovers(calls) = &r {
                            last = Some(calls.clone());
                        }
                        if events.send(DeskEvent::Reply(r)).is_err() {
                            return;
                        }
                    }
                    // The IVR's handovers: sent whenever they change.
                    let news = match session.poll() {
                        Some(Reply::Handovers(calls)) if last.as_ref() == Some(&calls) => None,
                        Some(Reply::Handovers(calls)) => {
                            last = Some(calls.clone());
                            Some(Reply::Handovers(calls))
                        }
                        other => other,
                    };
                    if let Some(r) = news {
                        if events.send(DeskEvent::Reply(r)).is_err() {
                            return;
                        }
                    }
                }
            })
            .expect("spawn the desk's domain thread");
        Self {
            tx: Some(tx),
            ended,
        }
    }
}

impl Domain for Worker {
    fn request(&mut self, intent: Intent) -> Option<Reply> {
        match self.tx.as_ref().map(|tx| tx.send(intent)) {
            Some(Ok(())) => None,
            _ => Some(Reply::Unavailable(
                "the desk's domain thread stopped".into(),
            )),
        }
    }
}

fn intent_name(i: &Intent) -> &'static str {
    match i {
        Intent::Connect => "opening the ledger",
        Intent::Preview { .. } => "reading the installation ID",
        Intent::Decide { .. } => "deciding",
        Intent::Play { .. } => "playing the confirmation ID",
        Intent::Search { .. } => "searching",
        Intent::Audit { .. } => "reading the audit trail",
        Intent::KeyDetail { .. } => "reading the key",
        Intent::AgreementDetail { .. } => "reading the agreement",
        Intent::Handovers => "reading the waiting calls",
        Intent::TakeCall { .. } => "taking the call",
        Intent::KeepCall { .. } => "holding the call",
        Intent::ReleaseCall { .. } => "giving the call back",
        Intent::EndCall { .. } => "ending the call",
        Intent::RaiseLimit { .. } => "changing the limit",
        Intent::ReleaseSeat { .. } => "moving the seat",
        Intent::IssuePartnerKey { .. } => "issuing the partner key",
    }
}

fn activation_line(r: &ActivationRow) -> ActivationLine {
    let holds_seat = r.decision == "granted" && r.new_seat && !r.released;
    let note = if let Some(of) = r.reactivation_of {
        format!("reactivation of #{of}")
    } else if r.released {
        "seat released".to_string()
    } else if holds_seat {
        "holds a seat".to_string()
    } else if r.decision == "denied" {
        shown(r.reasons.last().map(String::as_str).unwrap_or_default())
    } else {
        String::new()
    };
    ActivationLine {
        id: r.id,
        at: r.created_at.clone(),
        decision: r.decision.clone(),
        holds_seat,
        note,
        machine: r
            .hardware
            .trim_start_matches("h2:")
            .chars()
            .take(8)
            .collect(),
        actor: r.actor.clone(),
    }
}

fn call_view(h: Handover) -> CallView {
    CallView {
        id: h.id,
        at: h.at,
        call: shown(&h.call),
        reason: shown(&h.reason),
        groups: h.groups,
        installation_id: h.installation_id,
        trace: h.trace.iter().map(|t| shown(t)).collect(),
        taken_by: h.taken_by,
    }
}

/// Text from outside (customer names, labels, traces, call names) for the
/// screen, its control characters made visible by the one function the
/// command line uses too (the terminal backend would drop them silently).
fn shown(s: &str) -> String {
    actline_engine::display::visible(s).into_owned()
}

/// A product key's short form, or the text itself.
fn short_key(key: &str) -> String {
    ProductKey::parse(key)
        .map(|k| k.short())
        .unwrap_or_else(|_| key.to_string())
}

/// A product key or a serial number, as typed.
pub fn parse_key_or_serial(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(n);
    }
    ProductKey::parse(s)
        .map(|k| k.serial())
        .map_err(|e| format!("{s:?} is neither a product key nor a serial: {e}"))
}
