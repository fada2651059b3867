//! The desk's session with the domain: the vendor home's ledger and secrets,
//! and who is at the desk. Every [`Intent`] is a thin call into the library,
//! answered with a [`Reply`] of plain view data.
//!
//! A [`Session`] is synchronous; the desk runs it on a worker thread
//! ([`Worker`]) so a slow or locked ledger never holds up typing, while tests
//! drive it inline.

use super::msg::{DeskEvent, Intent, Reply};
use super::play::Speaker;
use super::view_model::*;
use actline_engine::entitlement::rules::{Channel, Role};
use actline_engine::entitlement::{Agreement, Agreements, Catalog, Program};
use actline_engine::fingerprint::HardwareHash;
use actline_engine::home::{os_user, Home, Secrets};
use actline_engine::ids::InstallationId;
use actline_engine::keys::{KeyKind, ProductKey};
use actline_engine::ledger::{ActivationRow, Handover, KeyUsage, Ledger, LedgerError};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Most rows a search or the audit view returns.
pub const MAX_ROWS: usize = 500;

/// Carries out intents. The desk holds one: inline in tests, a worker
/// thread in the terminal.
pub trait Domain {
    /// Carries out `intent`; the reply now, or `None` when it will arrive
    /// later as a [`DeskEvent`].
    fn request(&mut self, intent: Intent) -> Option<Reply>;
}

/// An open session.
pub struct Session {
    ledger: Ledger,
    secrets: Secrets,
    user: String,
    role: Option<Role>,
    catalog: Catalog,
    agreements: Agreements,
    speaker: Speaker,
}

/// A ledger error in words, with the way out for the common cases.
fn describe(e: &LedgerError) -> String {
    let s = e.to_string();
    if e.is_busy() {
        format!("the ledger is locked by another process ({s}); try again in a moment")
    } else {
        s
    }
}

impl Session {
    /// Opens the home's ledger and secrets as the current user.
    pub fn open(home: &Home) -> Result<Self, String> {
        let path = home.ledger_path();
        if !path.exists() {
            return Err(format!(
                "{}: no ledger here — run `actline --home {} init --demo`, or start the desk with `actline agent --demo`",
                home.dir().display(),
                home.dir().display()
            ));
        }
        let secrets = home.secrets().map_err(|e| e.to_string())?;
        let ledger = home.open_ledger(&secrets).map_err(|e| describe(&e))?;
        let user = os_user();
        let role = ledger.role(&user).map_err(|e| describe(&e))?;
        let catalog = ledger.catalog().map_err(|e| describe(&e))?;
        let agreements = ledger.agreements().map_err(|e| describe(&e))?;
        Ok(Self {
            ledger,
            secrets,
            user,
            role,
            catalog,
            agreements,
            speaker: Speaker::new(None, None),
        })
    }

    /// Sets how confirmation IDs are played (`--player`, `--voices`).
    pub fn with_audio(mut self, player: Option<String>, voices: Option<PathBuf>) -> Self {
        self.speaker = Speaker::new(player, voices);
        self
    }

    /// Acts as `user` instead of the operating-system user (tests).
    #[cfg(test)]
    pub fn acting_as(mut self, user: &str) -> Self {
        self.role = self.ledger.role(user).ok().flatten();
        self.user = user.to_string();
        self
    }

    /// Who is at the desk.
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            user: self.user.clone(),
            role: match self.role {
                Some(r) => r.name().to_string(),
                None => "not on staff".to_string(),
            },
            supervisor: self.role == Some(Role::Supervisor),
            ledger: self.ledger.path().display().to_string(),
            products: self
                .catalog
                .products
                .iter()
                .map(|p| p.name.clone())
                .collect(),
            partner_agreements: self
                .agreements
                .0
                .values()
                .filter(|a| a.program == Program::Partner)
                .map(|a| a.id.clone())
                .collect(),
        }
    }

    /// Carries out one intent.
    pub fn handle(&mut self, intent: Intent) -> Reply {
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
            Intent::RaiseLimit { key, limit, reason } => self.raise_limit(&key, limit, &reason),
            Intent::ReleaseSeat { activation, reason } => self.release_seat(activation, &reason),
            Intent::IssuePartnerKey {
                product,
                agreement,
                limit,
                reason,
            } => self.issue_partner_key(&product, &agreement, limit, &reason),
        };
        result.unwrap_or_else(|error| Reply::Failed {
            what: what.to_string(),
            error,
        })
    }

    fn product_label(&self, code: u16) -> String {
        self.catalog
            .by_code(code)
            .map(|p| shown(&p.label()))
            .unwrap_or_else(|| format!("unknown product (code {code})"))
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

    fn preview(&self, text: &str) -> Result<Reply, String> {
        let iid = InstallationId::parse(text).map_err(|e| e.to_string())?;
        let key = match self
            .ledger
            .key_usage(iid.key_serial)
            .map_err(|e| describe(&e))?
        {
            Some(u) => {
                let k = ProductKey::parse(&u.key.key)
                    .map(|k| k.short())
                    .unwrap_or_else(|_| u.key.key.clone());
                format!(
                    "{} key {k}{}, {} used, {} left{}",
                    u.key.kind,
                    u.key
                        .agreement
                        .as_deref()
                        .map(|a| format!(", agreement {a}"))
                        .unwrap_or_default(),
                    u.used,
                    u.left,
                    if u.key.revoked { " (revoked)" } else { "" }
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

    fn channel(&self) -> Channel {
        match self.role {
            Some(role) => Channel::Staff {
                name: self.user.clone(),
                role,
            },
            None => Channel::SelfService,
        }
    }

    fn decide(&mut self, text: &str) -> Result<Reply, String> {
        let iid = InstallationId::parse(text).map_err(|e| e.to_string())?;
        let channel = self.channel();
        let secrets = &self.secrets;
        let act = self
            .ledger
            .activate(
                &iid,
                &channel,
                None,
                None,
                actline_engine::days::today(),
                &|g, p, i| secrets.confirmation_id(g, p, i),
            )
            .map_err(|e| describe(&e))?;
        let usage = self
            .ledger
            .key_usage(iid.key_serial)
            .map_err(|e| describe(&e))?;
        let agreement = usage
            .as_ref()
            .and_then(|u| u.key.agreement.as_deref())
            .and_then(|id| self.agreements.get(id))
            .map(|a| self.agreement_view(a));
        // "This machine" by the one same-machine rule, not by equal digests.
        let same_machine = |hex: &str| {
            HardwareHash::from_hex(hex).is_some_and(|h| h.compare(&iid.hardware).same_machine())
        };
        let machine_history = if usage.is_some() {
            self.ledger
                .activations_of(iid.key_serial)
                .map_err(|e| describe(&e))?
                .iter()
                .filter(|r| r.id != act.id && same_machine(&r.hardware))
                .map(activation_line)
                .collect()
        } else {
            Vec::new()
        };
        let (reason, remedy, seat) = match &act.decision.outcome {
            Ok(g) => (
                None,
                None,
                match g.reactivation_of {
                    Some(id) => format!("reactivation of #{id}: no new seat"),
                    None if g.new_seat => "a new seat".to_string(),
                    None => "no seat needed".to_string(),
                },
            ),
            Err(d) => (
                // The denying rule's sentence, without its remedy.
                Some(d.sentence.clone()),
                Some(d.remedy.clone()),
                String::new(),
            ),
        };
        Ok(Reply::Decided(Box::new(DecisionView {
            activation: act.id,
            iid: iid.to_string(),
            granted: act.decision.outcome.is_ok(),
            product: self.product_label(iid.product),
            key: usage.as_ref().map(|u| self.key_view(u)),
            agreement,
            machine_history,
            trace: act.decision.trace.iter().map(|t| shown(t)).collect(),
            reason,
            remedy,
            cid: act.confirmation_id.clone(),
            seat,
        })))
    }

    fn search(&self, query: &str) -> Result<Vec<Hit>, String> {
        let q = query.trim().to_lowercase();
        let mut hits = Vec::new();
        if q.is_empty() {
            return Ok(hits);
        }
        for a in self.agreements.0.values() {
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
        // Keys: a whole product key or serial, or three or more characters of
        // one, finds any key; a customer's name finds its agreements' keys.
        let mut seen = std::collections::BTreeSet::new();
        let exact = ProductKey::parse(query.trim())
            .map(|k| k.serial())
            .ok()
            .or_else(|| query.trim().parse::<u64>().ok());
        if let Some(serial) = exact {
            if let Some(u) = self.ledger.key_usage(serial).map_err(|e| describe(&e))? {
                seen.insert(serial);
                hits.push(self.key_hit(&u));
            }
        }
        let needle: String = q.chars().filter(|c| *c != '-').collect();
        if needle.len() >= 3 {
            for u in self
                .ledger
                .find_keys(&needle, MAX_ROWS)
                .map_err(|e| describe(&e))?
            {
                if seen.insert(u.key.serial) {
                    hits.push(self.key_hit(&u));
                }
            }
        }
        for a in self.agreements.0.values() {
            if hits.len() >= MAX_ROWS {
                break;
            }
            if !(a.customer.to_lowercase().contains(&q) || a.id.contains(&q)) {
                continue;
            }
            for u in self.ledger.keys_of(&a.id).map_err(|e| describe(&e))? {
                if seen.insert(u.key.serial) {
                    hits.push(self.key_hit(&u));
                }
            }
        }
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

    fn audit(&self, filter: &str) -> Result<Vec<AuditRow>, String> {
        let f = filter.trim().to_lowercase();
        let mut rows: Vec<AuditRow> = self
            .ledger
            .audit_entries()
            .map_err(|e| describe(&e))?
            .into_iter()
            .rev()
            .filter(|e| {
                f.is_empty()
                    || [&e.action, &e.actor, &e.subject, &e.detail, &e.at]
                        .iter()
                        .any(|s| s.to_lowercase().contains(&f))
            })
            .take(MAX_ROWS)
            .collect();
        rows.shrink_to_fit();
        Ok(rows)
    }

    fn key_detail(&self, serial: u64) -> Result<KeyDetailView, String> {
        let u = self
            .ledger
            .key_usage(serial)
            .map_err(|e| describe(&e))?
            .ok_or_else(|| format!("no key with serial {serial}"))?;
        let agreement = u
            .key
            .agreement
            .as_deref()
            .and_then(|id| self.agreements.get(id))
            .map(|a| self.agreement_view(a));
        let activations = self
            .ledger
            .activations_of(serial)
            .map_err(|e| describe(&e))?
            .iter()
            .map(activation_line)
            .collect();
        Ok(KeyDetailView {
            key: self.key_view(&u),
            agreement,
            activations,
        })
    }

    fn agreement_detail(&self, id: &str) -> Result<AgreementDetailView, String> {
        let a = self
            .agreements
            .get(id)
            .ok_or_else(|| format!("agreement {id} is not on file"))?;
        let keys = self
            .ledger
            .keys_of(id)
            .map_err(|e| describe(&e))?
            .iter()
            .map(|u| self.key_view(u))
            .collect();
        Ok(AgreementDetailView {
            agreement: self.agreement_view(a),
            affiliates: self
                .agreements
                .0
                .values()
                .filter(|x| x.parent.as_deref() == Some(id))
                .map(|x| format!("{} {}", x.id, x.customer))
                .collect(),
            keys,
        })
    }

    /// The calls waiting for an agent, newest first.
    pub fn handovers(&self) -> Result<Vec<CallView>, String> {
        Ok(self
            .ledger
            .handovers(true)
            .map_err(|e| describe(&e))?
            .into_iter()
            .map(call_view)
            .collect())
    }

    fn take_call(&mut self, id: i64) -> Result<Reply, String> {
        let call = self
            .ledger
            .handovers(false)
            .map_err(|e| describe(&e))?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| format!("handover #{id} is gone"))?;
        self.ledger
            .take_handover(id, &self.user)
            .map_err(|e| describe(&e))?;
        Ok(Reply::CallTaken(call_view(call)))
    }

    fn require_supervisor(&self) -> Result<(), String> {
        if self.role == Some(Role::Supervisor) {
            Ok(())
        } else {
            Err(format!(
                "only supervisors do this, and {} is not one",
                self.user
            ))
        }
    }

    fn raise_limit(&mut self, key: &str, limit: u32, reason: &str) -> Result<Reply, String> {
        self.require_supervisor()?;
        let serial = parse_key_or_serial(key)?;
        let rec = self
            .ledger
            .set_limit(&self.user, serial, limit, reason)
            .map_err(|e| describe(&e))?;
        Ok(Reply::Done(format!(
            "the limit of key {} is now {}",
            short_key(&rec.key),
            rec.limit
        )))
    }

    fn release_seat(&mut self, activation: i64, reason: &str) -> Result<Reply, String> {
        self.require_supervisor()?;
        self.ledger
            .release_seat(&self.user, activation, reason)
            .map_err(|e| describe(&e))?;
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
        self.require_supervisor()?;
        if reason.trim().is_empty() {
            return Err("a reason is required".into());
        }
        let p = self
            .catalog
            .by_name(product.trim())
            .cloned()
            .ok_or_else(|| format!("product {product:?} is not in the catalog"))?;
        let a = self
            .agreements
            .get(agreement.trim())
            .ok_or_else(|| format!("agreement {agreement} is not on file"))?;
        if a.program != Program::Partner {
            return Err(format!(
                "agreement {} is {}, not a partner agreement",
                a.id,
                a.program.label()
            ));
        }
        let secrets = &self.secrets;
        let rec = self
            .ledger
            .issue_key(
                &self.user,
                &p,
                KeyKind::Mak,
                Some(agreement.trim()),
                limit,
                &|k, c| secrets.key_secret(k, c),
            )
            .map_err(|e| describe(&e))?;
        // issue_key records the issue; the reason goes next to it.
        self.ledger
            .audit(
                &self.user,
                "key.issue.reason",
                &short_key(&rec.key),
                reason.trim(),
            )
            .map_err(|e| describe(&e))?;
        Ok(Reply::Done(format!(
            "issued partner key {} for {} ({} activations, agreement {})",
            rec.key,
            p.name,
            limit,
            agreement.trim()
        )))
    }
}

impl Domain for Session {
    fn request(&mut self, intent: Intent) -> Option<Reply> {
        Some(self.handle(intent))
    }
}

/// A session not yet opened or that failed to open: every intent is
/// answered by trying to open again.
pub struct Lazy {
    home: Home,
    session: Option<Session>,
    audio: (Option<String>, Option<PathBuf>),
}

impl Lazy {
    /// A lazy session on `home`.
    pub fn new(home: Home, player: Option<String>, voices: Option<PathBuf>) -> Self {
        Self {
            home,
            session: None,
            audio: (player, voices),
        }
    }

    /// Carries out one intent, opening the session first when needed.
    pub fn handle(&mut self, intent: Intent) -> Reply {
        if self.session.is_none() || intent == Intent::Connect {
            match Session::open(&self.home) {
                Ok(s) => {
                    let s = s.with_audio(self.audio.0.clone(), self.audio.1.clone());
                    let info = s.info();
                    self.session = Some(s);
                    if intent == Intent::Connect {
                        return Reply::Connected(info);
                    }
                }
                Err(e) => return Reply::Unavailable(e),
            }
        }
        match self.session.as_mut() {
            Some(s) => s.handle(intent),
            None => Reply::Unavailable("no session".into()),
        }
    }

    /// The open session, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }
}

impl Domain for Lazy {
    fn request(&mut self, intent: Intent) -> Option<Reply> {
        Some(self.handle(intent))
    }
}

/// The domain on its own thread: intents go in through a channel, replies
/// (and changes to the waiting calls, checked every `poll` while idle) come
/// out as [`DeskEvent`]s for the reply port.
pub struct Worker {
    tx: Sender<Intent>,
}

impl Worker {
    /// Starts the worker; `events` receives its replies.
    pub fn start(mut lazy: Lazy, events: Sender<DeskEvent>, poll: Duration) -> Self {
        let (tx, rx): (Sender<Intent>, Receiver<Intent>) = mpsc::channel();
        std::thread::Builder::new()
            .name("actline-desk-domain".into())
            .spawn(move || {
                let mut last: Option<Vec<CallView>> = None;
                loop {
                    let reply = match rx.recv_timeout(poll) {
                        Ok(intent) => Some(lazy.handle(intent)),
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
                    if let Some(s) = lazy.session() {
                        if let Ok(calls) = s.handovers() {
                            if last.as_ref() != Some(&calls) {
                                last = Some(calls.clone());
                                if events
                                    .send(DeskEvent::Reply(Reply::Handovers(calls)))
                                    .is_err()
                                {
                                    return;
                                }
                            }
                        }
                    }
                }
            })
            .expect("spawn the desk's domain thread");
        Self { tx }
    }
}

impl Domain for Worker {
    fn request(&mut self, intent: Intent) -> Option<Reply> {
        match self.tx.send(intent) {
            Ok(()) => None,
            Err(_) => Some(Reply::Unavailable(
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
