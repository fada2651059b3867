//! The engine as one entry point: [`Service::handle`] takes a [`Request`]
//! from a named caller and returns a [`Reply`] or an [`ApiError`].
//!
//! Every way in goes through it: the command line on a home its user owns
//! (the caller is the OS user), and `actline serve`, whose transports (a Unix
//! socket with peer credentials, TLS with a bearer token) only establish who
//! the caller is. So the role check is here, once, for every request
//! ([`Request::needs`]): a caller who is not staff can do nothing but ask
//! for the service's health; agents activate, look up and take calls;
//! supervisors alone change limits, keys, the catalog, agreements and staff.
//! The ledger checks the role again inside each change's transaction, and
//! audits it.
//!
//! Requests and replies are plain data (serde), the bodies of the HTTP/JSON
//! API; nothing here knows HTTP. Requests that change state may carry an
//! idempotency key: the first reply is kept, and a retry with the same key
//! gets it again instead of a second change. Activating an installation ID
//! that already holds a granted seat returns that activation (same number,
//! same confirmation ID) whether or not a key was given.

mod error;
mod pool;
mod wire;

pub use error::{ApiError, ErrorKind};
pub use wire::*;

use crate::entitlement::advice;
use crate::entitlement::rules::{Channel, SITE_HOSTS_MAX};
use crate::entitlement::{Agreements, Catalog, KeyRecord, Product};
use crate::home::{Home, Secrets};
use crate::ids::InstallationId;
use crate::keys::{KeyKind, ProductKey};
use crate::ledger::{ActivationRow, BatchItem, Ledger, LedgerError};

/// Days a bearer token stays valid after it is issued.
pub const TOKEN_DAYS: u16 = 90;

/// The engine behind every request: the home's secrets and its ledger.
/// `Sync`; each request is served on a ledger of its own from the pool
/// (one for SQLite, which has one writer anyway; several connections to a
/// database server), each in its own transactions.
pub struct Service {
    home: Home,
    secrets: std::sync::Arc<Secrets>,
    ledgers: pool::Pool,
}

impl Service {
    /// Opens `home`: refuses a home others can write, reads the secrets,
    /// opens the ledger.
    pub fn open(home: Home) -> Result<Self, ApiError> {
        home.check_permissions()?;
        let secrets = home.secrets()?;
        let ledger = match home.open_ledger(&secrets) {
            Err(LedgerError::Missing(_)) => {
                return Err(ApiError::bad(format!(
                    "{}: no ledger here — run `actline --home {} init --demo` first",
                    home.dir().display(),
                    home.dir().display()
                )))
            }
            other => other?,
        };
        let size = match home.ledger_url() {
            Ok(Some(_)) => pool::SERVER_POOL,
            _ => 1,
        };
        let secrets = std::sync::Arc::new(secrets);
        let (again, keys) = (home.clone(), secrets.clone());
        let ledgers = pool::Pool::new(ledger, size, move || again.open_ledger(&keys));
        Ok(Self {
            home,
            secrets,
            ledgers,
        })
    }

    /// The home served.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// The staff member a bearer token belongs to, if it is current; an
    /// error naming them when it is older than [`TOKEN_DAYS`] days.
    pub fn token_owner(&self, token: &str) -> Result<Option<String>, ApiError> {
        let ledger = self.ledger()?;
        let Some((name, issued_at)) = ledger.token_owner(&self.secrets.token_hash(token))? else {
            return Ok(None);
        };
        let issued = issued_at.get(..10).and_then(crate::days::parse);
        let today = crate::days::clock_today();
        match issued {
            Some(day) if today.saturating_sub(day) <= TOKEN_DAYS => Ok(Some(name)),
            _ => Err(ApiError::new(
                ErrorKind::Unauthenticated,
                format!(
                    "the token of {name} expired (issued {}, valid {TOKEN_DAYS} days): a supervisor issues a new one with `actline staff token {name}`",
                    issued_at.get(..10).unwrap_or("at an unreadable time")
                ),
            )),
        }
    }

    fn ledger(&self) -> Result<pool::Lent<'_>, ApiError> {
        self.ledgers.lend()
    }

    /// Serves one request from `caller`: checks their role for it, then
    /// (for a change with an `idempotency_key` already used by this caller)
    /// returns the kept reply, or does it and keeps the reply.
    pub fn handle(
        &self,
        caller: &str,
        request: &Request,
        idempotency_key: Option<&str>,
    ) -> Result<Reply, ApiError> {
        let mut ledger = self.ledger()?;
        if let Some((need, what)) = request.needs() {
            ledger.require(caller, need, what)?;
        }
        let key = idempotency_key.filter(|_| request.changes_state());
        let Some(k) = key else {
            return self.serve(&mut ledger, caller, request);
        };
        if k.is_empty() || k.len() > 200 {
            return Err(ApiError::bad("an idempotency key has 1 to 200 characters"));
        }
        let request_json = to_json(request)?;
        if let Some((was, reply)) = ledger.idempotent_reply(caller, k)? {
            if was != request_json {
                return Err(ApiError::new(
                    ErrorKind::Conflict,
                    format!("idempotency key {k:?} was used for a different request"),
                ));
            }
            return serde_json::from_str(&reply).map_err(|e| {
                ApiError::new(ErrorKind::Internal, format!("kept reply unreadable: {e}"))
            });
        }
        let reply = self.serve(&mut ledger, caller, request)?;
        ledger.keep_reply(caller, k, &request_json, &to_json(&reply)?)?;
        Ok(reply)
    }

    fn serve(&self, ledger: &mut Ledger, me: &str, request: &Request) -> Result<Reply, ApiError> {
        let today = crate::days::today();
        let sign = |g: &_, p: &_, i: &_| self.secrets.confirmation_id(g, p, i);
        Ok(match request {
            Request::Health => Reply::Health(Health {
                status: "ok".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            }),
            Request::Whoami => Reply::Staff(StaffList {
                staff: vec![StaffMember {
                    name: me.to_string(),
                    role: ledger.role(me)?.map(|r| r.name().to_string()),
                }],
            }),
            Request::Activate {
                installation_id,
                agreement,
                label,
                self_service,
            } => {
                let iid = parse_iid(installation_id)?;
                if let Some(view) = earlier_grant(ledger, &iid)? {
                    return Ok(Reply::Activation(view));
                }
                let channel = if *self_service {
                    Channel::SelfService
                } else {
                    ledger.channel_for(me)?
                };
                let a = ledger.activate(
                    &iid,
                    &channel,
                    agreement.as_deref(),
                    label.as_deref(),
                    today,
                    &sign,
                )?;
                Reply::Activation(ActivationView::of(&iid, &a))
            }
            Request::Batch { items } => {
                let mut parsed = Vec::with_capacity(items.len());
                for (n, item) in items.iter().enumerate() {
                    let iid = InstallationId::parse(&item.installation_id).map_err(|e| {
                        ApiError::bad(format!("batch item {}: installation ID: {e}", n + 1))
                    })?;
                    parsed.push(BatchItem {
                        iid,
                        label: item.label.clone(),
                    });
                }
                // An ID granted before gets that grant again, as `activate`
                // does; an ID twice in one batch is decided once, and its
                // second line repeats the first's answer.
                enum Slot {
                    Earlier(ActivationView),
                    Fresh(usize),
                    Again(usize),
                }
                let mut slots = Vec::with_capacity(parsed.len());
                let mut fresh: Vec<BatchItem> = Vec::new();
                let mut first: std::collections::HashMap<String, usize> = Default::default();
                for item in parsed {
                    if let Some(view) = earlier_grant(ledger, &item.iid)? {
                        slots.push(Slot::Earlier(view));
                        continue;
                    }
                    let canonical = item.iid.to_string();
                    match first.get(&canonical) {
                        Some(&i) => slots.push(Slot::Again(i)),
                        None => {
                            first.insert(canonical, fresh.len());
                            slots.push(Slot::Fresh(fresh.len()));
                            fresh.push(item);
                        }
                    }
                }
                let channel = ledger.channel_for(me)?;
                let done = ledger.activate_batch(
                    &fresh,
                    fresh.len().max(1),
                    &channel,
                    today,
                    &sign,
                    &mut |_| {},
                )?;
                let decided: Vec<ActivationView> = fresh
                    .iter()
                    .zip(&done)
                    .map(|(item, a)| ActivationView::of(&item.iid, a))
                    .collect();
                if decided.len() != fresh.len() {
                    return Err(ApiError::new(
                        ErrorKind::Internal,
                        "a batch item went undecided",
                    ));
                }
                Reply::Batch(BatchReply {
                    activations: slots
                        .into_iter()
                        .map(|slot| match slot {
                            Slot::Earlier(view) => view,
                            Slot::Fresh(i) => decided[i].clone(),
                            Slot::Again(i) => ActivationView {
                                repeated: true,
                                new_seat: false,
                                ..decided[i].clone()
                            },
                        })
                        .collect(),
                })
            }
            Request::ActivationShow { id } => {
                Reply::ActivationRow(ledger.activation(*id)?.ok_or_else(|| {
                    ApiError::new(ErrorKind::NotFound, format!("no activation #{id}"))
                })?)
            }
            Request::ActivationRelease { id, reason } => {
                ledger.release_seat(me, *id, reason)?;
                Reply::Released(Released { activation: *id })
            }
            Request::KeyIssue {
                product,
                kind,
                activations,
                agreement,
                reason,
            } => {
                let catalog = ledger.catalog()?;
                let p = product_named(&catalog, product)?.clone();
                let agreements = ledger.agreements()?;
                if let Some(id) = agreement.as_deref() {
                    agreements
                        .get(id)
                        .ok_or_else(|| ApiError::bad(format!("agreement {id} is not on file")))?;
                }
                let default = match kind {
                    KeyKind::SiteHost => Some(SITE_HOSTS_MAX),
                    KeyKind::Retail | KeyKind::Setup => Some(1),
                    KeyKind::Mak => agreement
                        .as_deref()
                        .and_then(|a| agreements.get(a))
                        .and_then(|a| a.allowance()),
                };
                let limit = activations.or(default).ok_or_else(|| {
                    ApiError::bad("--activations N is needed (no agreement allowance applies)")
                })?;
                let reason = reason.as_deref().map(str::trim);
                if reason == Some("") {
                    return Err(ApiError::bad("the reason is empty"));
                }
                let rec =
                    ledger.issue_key(me, &p, *kind, agreement.as_deref(), limit, &|k, c| {
                        self.secrets.key_secret(k, c)
                    })?;
                if let Some(why) = reason {
                    let short = ProductKey::parse(&rec.key)
                        .map(|k| k.short())
                        .unwrap_or_else(|_| rec.key.clone());
                    ledger.audit(me, "key.issue.reason", &short, why)?;
                }
                Reply::Key(rec)
            }
            Request::KeyShow { key } => {
                let rec = key_on_record(ledger, key)?;
                let usage = ledger
                    .key_usage(rec.serial)?
                    .ok_or_else(|| ApiError::new(ErrorKind::NotFound, "key vanished"))?;
                let activations = ledger.activations_of(rec.serial)?;
                let product = ledger
                    .catalog()?
                    .by_code(rec.product)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| rec.product.to_string());
                Reply::KeyDetail(KeyDetail {
                    key: usage.key,
                    product,
                    used: usage.used,
                    left: usage.left,
                    activations,
                })
            }
            Request::KeySearch {
                query,
                product,
                limit,
            } => {
                let code = match product {
                    Some(name) => Some(product_named(&ledger.catalog()?, name)?.code),
                    None => None,
                };
                let limit = limit.unwrap_or(MAX_ROWS).min(MAX_ROWS);
                let keys = if query.trim().is_empty() {
                    ledger.list_keys(code, limit)?
                } else {
                    let mut found = search_keys(ledger, query, MAX_ROWS)?;
                    found.retain(|u| code.is_none_or(|c| u.key.product == c));
                    found.truncate(limit);
                    found
                };
                Reply::Keys(KeyList { keys })
            }
            Request::KeyLimit { key, limit, reason } => {
                let rec = key_on_record(ledger, key)?;
                Reply::Key(ledger.set_limit(me, rec.serial, *limit, reason)?)
            }
            Request::KeyRevoke { key, reason } => {
                let rec = key_on_record(ledger, key)?;
                ledger.revoke_key(me, rec.serial, reason)?;
                Reply::Key(key_on_record(ledger, key)?)
            }
            Request::CatalogShow => Reply::Catalog(ledger.catalog()?),
            Request::CatalogLoad { source, text } => {
                let c = Catalog::parse(source, text).map_err(|e| ApiError::bad(e.to_string()))?;
                ledger.set_catalog(&c, me, source)?;
                self.home.write_trust(&self.secrets, &c)?;
                Reply::Loaded(Loaded {
                    count: c.products.len(),
                })
            }
            Request::AgreementShow { id } => {
                let all = ledger.agreements()?;
                let a = all
                    .get(id)
                    .ok_or_else(|| ApiError::bad(format!("agreement {id} is not on file")))?;
                let keys = ledger.keys_of(id)?;
                let affiliates = all
                    .0
                    .values()
                    .filter(|x| x.parent.as_deref() == Some(id.as_str()))
                    .map(|x| x.id.clone())
                    .collect();
                let mut activations = Vec::new();
                for k in &keys {
                    activations.extend(ledger.activations_of(k.key.serial)?);
                }
                Reply::Agreement(AgreementDetail {
                    allowance: a.allowance(),
                    agreement: a.clone(),
                    affiliates,
                    keys,
                    activations,
                })
            }
            Request::AgreementList => Reply::Agreements(AgreementList {
                agreements: ledger.agreements()?.0.into_values().collect(),
            }),
            Request::AgreementsLoad { source, text } => {
                let a =
                    Agreements::parse(source, text).map_err(|e| ApiError::bad(e.to_string()))?;
                ledger.set_agreements(&a, me, source)?;
                Reply::Loaded(Loaded { count: a.0.len() })
            }
            Request::StaffList => Reply::Staff(StaffList {
                staff: ledger
                    .staff()?
                    .into_iter()
                    .map(|(name, role)| StaffMember {
                        name,
                        role: Some(role.name().to_string()),
                    })
                    .collect(),
            }),
            Request::StaffAdd { name, role } => {
                ledger.add_staff(me, name, *role)?;
                Reply::Staff(StaffList {
                    staff: vec![StaffMember {
                        name: name.clone(),
                        role: Some(role.name().to_string()),
                    }],
                })
            }
            Request::StaffRemove { name } => {
                ledger.remove_staff(me, name)?;
                Reply::Staff(StaffList {
                    staff: vec![StaffMember {
                        name: name.clone(),
                        role: None,
                    }],
                })
            }
            Request::StaffToken { name } => {
                let mut raw = [0u8; 32];
                getrandom::fill(&mut raw).map_err(|e| {
                    ApiError::new(ErrorKind::Internal, format!("no randomness: {e}"))
                })?;
                let token = format!("actl_{}", actline_formats::hex::hex(&raw));
                ledger.set_token(me, name, &self.secrets.token_hash(&token))?;
                Reply::Token(Token {
                    name: name.clone(),
                    token,
                })
            }
            Request::StaffRevokeToken { name } => {
                ledger.revoke_token(me, name)?;
                Reply::Token(Token {
                    name: name.clone(),
                    token: String::new(),
                })
            }
            Request::TrustExport { product } => {
                let catalog = ledger.catalog()?;
                let p = product_named(&catalog, product)?;
                Reply::Trust(TrustFile {
                    product: p.name.clone(),
                    compact: p.profile == crate::confirm::Profile::Compact,
                    trust: self.secrets.trust_for(p, &catalog),
                })
            }
            Request::AuditVerify => {
                let (entries, head) = ledger.verify_audit()?;
                Reply::AuditIntact(AuditIntact { entries, head })
            }
            Request::AuditShow {
                filter,
                since,
                limit,
            } => {
                if let Some(day) = since {
                    if !is_day(day) {
                        return Err(ApiError::bad(format!(
                            "--since {day:?}: a day is YYYY-MM-DD"
                        )));
                    }
                }
                let f = filter.as_deref().map(str::to_lowercase);
                let mut entries: Vec<_> = ledger
                    .audit_entries()?
                    .into_iter()
                    .filter(|e| {
                        // Times are RFC 3339 in UTC: a day compares as text.
                        since.as_deref().is_none_or(|d| e.at.as_str() >= d)
                    })
                    .filter(|e| {
                        f.as_deref().is_none_or(|f| {
                            [&e.at, &e.action, &e.actor, &e.subject, &e.detail]
                                .iter()
                                .any(|s| s.to_lowercase().contains(f))
                        })
                    })
                    .collect();
                if let Some(n) = limit {
                    entries.drain(..entries.len().saturating_sub(*n));
                }
                Reply::Audit(AuditList { entries })
            }
            Request::Report { since, until } => {
                for (flag, day) in [("--since", since), ("--until", until)] {
                    if let Some(day) = day.as_deref().filter(|d| !is_day(d)) {
                        return Err(ApiError::bad(format!(
                            "{flag} {day:?}: not a day of the calendar written YYYY-MM-DD"
                        )));
                    }
                }
                if let (Some(a), Some(b)) = (since, until) {
                    if a > b {
                        return Err(ApiError::bad(format!(
                            "--since {a} is after --until {b}: no day is in between"
                        )));
                    }
                }
                let catalog = ledger.catalog()?;
                let agreements = ledger.agreements()?;
                let rows = ledger
                    .daily_counts(since.as_deref(), until.as_deref())?
                    .into_iter()
                    .map(|c| ReportRow {
                        customer: c
                            .agreement
                            .as_ref()
                            .and_then(|a| agreements.0.get(a))
                            .map(|a| a.customer.clone()),
                        product: catalog
                            .by_code(c.product)
                            .map_or_else(|| c.product.to_string(), |p| p.name.clone()),
                        product_code: c.product,
                        day: c.day,
                        agreement: c.agreement,
                        granted: c.granted,
                        new_seats: c.new_seats,
                        denied: c.denied,
                    })
                    .collect();
                Reply::Report(Report { rows })
            }
            Request::Advise { product, machines } => {
                let catalog = ledger.catalog()?;
                let p = product_named(&catalog, product)?;
                if *machines == 0 {
                    return Err(ApiError::bad("--machines must be at least 1"));
                }
                let a = advice::recommend(&catalog, p, *machines);
                Reply::Advice(Advice {
                    kind: a.kind.to_string(),
                    reason: a.reason,
                })
            }
            Request::Handovers { waiting_only } => Reply::Handovers(HandoverList {
                handovers: ledger.handovers(*waiting_only)?,
            }),
            Request::HandOver {
                call,
                reason,
                groups,
                installation_id,
                reasons,
            } => Reply::HandedOver(Taken {
                handover: ledger.hand_over(
                    call,
                    reason,
                    groups,
                    installation_id.as_deref(),
                    reasons,
                )?,
            }),
            Request::HandoverTake { id } => {
                ledger.take_handover(*id, me)?;
                Reply::Taken(Taken { handover: *id })
            }
            Request::HandoverKeep { id } => {
                ledger.keep_handover(*id, me)?;
                Reply::Taken(Taken { handover: *id })
            }
            Request::HandoverRelease { id } => {
                ledger.release_handover(*id, me)?;
                Reply::Taken(Taken { handover: *id })
            }
            Request::HandoverEnd { id, dismissed } => {
                ledger.end_handover(*id, me, dismissed.as_deref())?;
                Reply::Taken(Taken { handover: *id })
            }
        })
    }
}

/// The engine in this process on a home its user owns, opened at the first
/// request (so input is checked before the ledger is touched) and again
/// after a failed opening; every request is made as `caller`. What the
/// command line and the desk use when no service is named.
pub struct Local {
    home: Home,
    caller: String,
    service: std::sync::OnceLock<Service>,
}

impl Local {
    /// The engine on `home`, asked by `caller` (the OS user, normally).
    pub fn new(home: Home, caller: impl Into<String>) -> Self {
        Self {
            home,
            caller: caller.into(),
            service: std::sync::OnceLock::new(),
        }
    }

    /// The home.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// Serves `request` (see [`Service::handle`]).
    pub fn call(
        &self,
        request: &Request,
        idempotency_key: Option<&str>,
    ) -> Result<Reply, ApiError> {
        let service = match self.service.get() {
            Some(s) => s,
            None => {
                let opened = Service::open(self.home.clone())?;
                self.service.get_or_init(|| opened)
            }
        };
        service.handle(&self.caller, request, idempotency_key)
    }
}

fn to_json(v: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|e| ApiError::new(ErrorKind::Internal, e.to_string()))
}

/// Whether `s` is a calendar day written `YYYY-MM-DD`.
fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0..4, 5..7, 8..10]
            .into_iter()
            .all(|r| s[r].bytes().all(|c| c.is_ascii_digit()))
        && match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) && y >= 1 => {
                let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
                let days = match m {
                    2 if leap => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                (1..=days).contains(&d)
            }
            _ => false,
        }
}

fn parse_iid(text: &str) -> Result<InstallationId, ApiError> {
    InstallationId::parse(text).map_err(|e| ApiError::bad(format!("installation ID: {e}")))
}

/// A product by name, or bad input listing the catalog's products.
pub fn product_named<'a>(catalog: &'a Catalog, name: &str) -> Result<&'a Product, ApiError> {
    catalog.by_name(name).ok_or_else(|| {
        ApiError::bad(format!(
            "product {name:?} is not in the catalog (known: {})",
            catalog
                .products
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The key `typed` names: a whole product key, or a serial as the audit
/// trail prints it.
fn key_on_record(ledger: &Ledger, typed: &str) -> Result<KeyRecord, ApiError> {
    let typed = typed.trim();
    if !typed.is_empty() && typed.bytes().all(|b| b.is_ascii_digit()) {
        let serial = typed
            .parse::<u64>()
            .map_err(|_| ApiError::bad(format!("key serial {typed} is out of range")))?;
        return ledger.key(serial)?.ok_or_else(|| {
            ApiError::new(ErrorKind::NotFound, format!("no key with serial {serial}"))
        });
    }
    let key = ProductKey::parse(typed).map_err(|e| ApiError::bad(format!("product key: {e}")))?;
    match ledger.key(key.serial())? {
        Some(rec) if rec.key == key.to_string() => Ok(rec),
        _ => Err(ApiError::bad(format!(
            "key {} is not on record",
            key.short()
        ))),
    }
}

/// Keys for a search: a whole key or serial first, then keys containing
/// three or more typed characters, then the keys of agreements whose number
/// or customer contains the query; each key once, at most `limit`.
fn search_keys(
    ledger: &Ledger,
    query: &str,
    limit: usize,
) -> Result<Vec<crate::ledger::KeyUsage>, ApiError> {
    let q = query.trim();
    let mut found = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    if q.is_empty() {
        return Ok(found);
    }
    let mut add = |u: crate::ledger::KeyUsage, found: &mut Vec<_>| {
        if found.len() < limit && seen.insert(u.key.serial) {
            found.push(u);
        }
    };
    match key_on_record(ledger, q) {
        Ok(rec) => {
            if let Some(u) = ledger.key_usage(rec.serial)? {
                add(u, &mut found);
            }
        }
        // Not a key or serial on record: the other ways may still find some.
        Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::BadInput) => {}
        Err(e) => return Err(e),
    }
    let fragment: String = q.chars().filter(|c| *c != '-').collect();
    if fragment.chars().count() >= 3 {
        for u in ledger.find_keys(&fragment, limit)? {
            add(u, &mut found);
        }
    }
    let lower = q.to_lowercase();
    for a in ledger.agreements()?.0.values() {
        if found.len() >= limit {
            break;
        }
        if a.customer.to_lowercase().contains(&lower) || a.id.to_lowercase().contains(&lower) {
            for u in ledger.keys_of(&a.id)? {
                add(u, &mut found);
            }
        }
    }
    Ok(found)
}

/// The grant `iid` already holds, as the reply to activating it again
/// (none when it holds none, or its key was revoked since).
fn earlier_grant(
    ledger: &Ledger,
    iid: &InstallationId,
) -> Result<Option<ActivationView>, ApiError> {
    let Some(row) = ledger.granted_for(&iid.to_string())? else {
        return Ok(None);
    };
    let revoked = match row.key_serial {
        Some(s) => ledger.key(s)?.is_none_or(|k| k.revoked),
        None => true,
    };
    if revoked {
        return Ok(None);
    }
    repeated(ledger, row).map(Some)
}

/// The reply to an installation ID activated again: the first grant.
fn repeated(ledger: &Ledger, row: ActivationRow) -> Result<ActivationView, ApiError> {
    let product = ledger
        .catalog()?
        .by_code(row.product)
        .map(|p| p.name.clone());
    let mut reasons = row.reasons;
    reasons.push(format!(
        "this installation ID was granted before: activation #{} and its confirmation ID again, no seat taken",
        row.id
    ));
    Ok(ActivationView {
        decision: row.decision,
        activation: row.id,
        installation_id: row.installation_id,
        product,
        product_code: Some(row.product),
        confirmation_id: row.confirmation_id,
        reasons,
        remedy: None,
        denial: None,
        sentence: None,
        new_seat: false,
        reactivation_of: None,
        repeated: true,
    })
}

#[cfg(test)]
mod tests;
