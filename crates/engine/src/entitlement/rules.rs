//! The activation decision: one pure function from the facts of a request to
//! an outcome with a trace, one plain sentence per rule consulted, in order.
//!
//! Rules, in the order they are consulted:
//! 1. **product**: the installation ID names a product in the catalog.
//! 2. **key**: its serial names a key in the ledger that is not revoked.
//! 3. **proof**: the ID was made with the whole key, not just its serial.
//! 4. **agreement**: the key's agreement (and, when the caller names theirs,
//!    that the caller's agreement is the key's or an affiliate of it).
//! 5. **partner**: partner-program keys are activated by staff only.
//! 6. **coverage**: the key's product is the ID's product, or a later version
//!    of its family (downgrade), unless the catalog marks the version as
//!    needing its own key. Keys are not tied to a CPU architecture.
//! 7. **kind**: setup keys need no activation; mak keys count distinct
//!    machines; site-host keys count hosts (at most 6) and reactivations per
//!    host (at most 9); retail keys allow one machine.
//! 8. **machine**: the same machine again (by the fingerprint vote) reuses its
//!    activation and no seat; a new one takes a seat if one is left.

use super::agreement::{pool, Agreements, Program};
use super::catalog::{Catalog, Class, Product};
use crate::fingerprint::HardwareHash;
use crate::ids::InstallationId;
use crate::keys::{KeyKind, ProductKey};
use serde::{Deserialize, Serialize};

/// Most hosts a site-host key activates.
pub const SITE_HOSTS_MAX: u32 = 6;
/// Most reactivations of one site host.
pub const SITE_HOST_REACTIVATIONS_MAX: u32 = 9;

/// A staff member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Activates and looks up.
    Agent,
    /// Also raises limits, moves seats, issues partner keys.
    Supervisor,
}

impl Role {
    /// The name in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
        }
    }
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The caller, through the IVR or another unattended path.
    SelfService,
    /// A staff member at the desk.
    Staff {
        /// Operating-system user name.
        name: String,
        /// Role.
        role: Role,
    },
}

/// A key as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Serial number.
    pub serial: u64,
    /// The key itself, display form.
    pub key: String,
    /// Kind.
    pub kind: KeyKind,
    /// Catalog code of the product the key was issued for.
    pub product: u16,
    /// Agreement the key belongs to, if any.
    pub agreement: Option<String>,
    /// Activation limit (machines for mak, hosts for site-host, 1 for retail).
    pub limit: u32,
    /// Revoked keys activate nothing.
    pub revoked: bool,
}

/// An earlier activation under the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorActivation {
    /// Ledger ID.
    pub id: i64,
    /// The machine's fingerprint.
    pub hardware: HardwareHash,
    /// Product code activated.
    pub product: u16,
    /// Seat released by a supervisor (the machine was replaced).
    pub released: bool,
    /// Times this machine was reactivated since.
    pub reactivations: u32,
}

/// Everything a decision depends on.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// All agreements.
    pub agreements: &'a Agreements,
    /// The installation ID.
    pub iid: &'a InstallationId,
    /// The key its serial names, if the ledger has it.
    pub key: Option<&'a KeyRecord>,
    /// The key's seat-holding activations (one per machine).
    pub prior: &'a [PriorActivation],
    /// Who is asking.
    pub channel: &'a Channel,
    /// The agreement the caller says they are under, if they said.
    pub caller_agreement: Option<&'a str>,
    /// Today, in days from 2020-01-01.
    pub today: u16,
}

/// Why an activation was denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DenyReason {
    /// The product code is not in the catalog.
    UnknownProduct,
    /// No key with this serial.
    UnknownKey,
    /// The ID was not made with the key.
    ProofMismatch,
    /// The key is revoked.
    Revoked,
    /// The ID is dated in the future.
    FutureDate,
    /// The caller's agreement may not use this key.
    AgreementMismatch,
    /// Partner keys need staff.
    StaffOnly,
    /// The key is for another product.
    WrongProduct,
    /// The version needs its own key.
    OwnKeyRequired,
    /// Setup keys are not activated.
    SetupKey,
    /// The product cannot act as a site activation host.
    NotAHost,
    /// A site-host key with a normal installation ID, or another key with a
    /// host installation ID: a host's ID must carry its public key's digest,
    /// and only a site-host key may activate one.
    HostLayout,
    /// All seats are used.
    SeatsExhausted,
    /// A site host was reactivated too often.
    ReactivationLimit,
    /// The installation ID carries no identity component.
    NoHardware,
}

/// A granted activation. Only [`decide`] makes one, so nothing can issue a
/// confirmation ID without a decision that granted it.
// A private field, not `#[non_exhaustive]`: that would still let the rest of
// the crate build one.
#[allow(clippy::manual_non_exhaustive)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The key's kind.
    pub kind: KeyKind,
    /// A new seat is taken (false for reactivations).
    pub new_seat: bool,
    /// The activation this one reuses, for reactivations.
    pub reactivation_of: Option<i64>,
    _proof: (),
}

/// The outcome and the trace that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Granted or denied.
    pub outcome: Result<Grant, Denial>,
    /// One sentence per rule consulted, in order.
    pub trace: Vec<String>,
}

/// A denial: the reason, and what would make it succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Why.
    pub reason: DenyReason,
    /// The denying rule's sentence, without the remedy (the trace's last
    /// line is "SENTENCE: denied — REMEDY").
    pub sentence: String,
    /// What would make it succeed.
    pub remedy: String,
}

impl Decision {
    /// "granted" or "denied".
    pub fn word(&self) -> &'static str {
        if self.outcome.is_ok() {
            "granted"
        } else {
            "denied"
        }
    }
}

struct Tracer {
    trace: Vec<String>,
}

impl Tracer {
    fn note(&mut self, s: impl Into<String>) {
        self.trace.push(s.into());
    }

    fn deny(mut self, reason: DenyReason, sentence: String, remedy: &str) -> Decision {
        self.trace.push(format!("{sentence}: denied — {remedy}"));
        Decision {
            outcome: Err(Denial {
                reason,
                sentence,
                remedy: remedy.to_string(),
            }),
            trace: self.trace,
        }
    }

    fn grant(
        mut self,
        kind: KeyKind,
        new_seat: bool,
        reactivation_of: Option<i64>,
        sentence: String,
    ) -> Decision {
        self.trace.push(sentence);
        Decision {
            outcome: Ok(Grant {
                kind,
                new_seat,
                reactivation_of,
                _proof: (),
            }),
            trace: self.trace,
        }
    }
}

fn covers(
    key_product: &Product,
    target: &Product,
) -> Result<String, (DenyReason, String, &'static str)> {
    if key_product.code == target.code {
        return Ok(format!(
            "the key is for {}: the product matches",
            target.label()
        ));
    }
    if key_product.family != target.family {
        return Err((
            DenyReason::WrongProduct,
            format!(
                "the key is for {}, not {}",
                key_product.label(),
                target.label()
            ),
            "use a key issued for this product",
        ));
    }
    if target.version > key_product.version {
        return Err((
            DenyReason::WrongProduct,
            format!(
                "{} is newer than the key's {}: keys do not upgrade",
                target.label(),
                key_product.label()
            ),
            "use a key for the newer version",
        ));
    }
    if target.own_key {
        return Err((
            DenyReason::OwnKeyRequired,
            format!(
                "{} needs its own key: downgrade rights from {} do not reach it",
                target.label(),
                key_product.label()
            ),
            "use a key issued for that version",
        ));
    }
    Ok(format!(
        "{} {} is a downgrade from {} {}: allowed",
        target.family, target.version, key_product.family, key_product.version
    ))
}

/// Decides one activation request. Pure: the same request always gets the
/// same decision, whatever the clock or other requests; the ledger serializes
/// requests so the facts it passes in are current.
pub fn decide(req: &Request<'_>) -> Decision {
    let mut t = Tracer { trace: Vec::new() };
    let iid = req.iid;

    // 1. product
    let Some(target) = req.catalog.by_code(iid.product) else {
        return t.deny(
            DenyReason::UnknownProduct,
            format!("product code {} is not in the catalog", iid.product),
            "check the installation ID, or load a catalog that has this product",
        );
    };
    t.note(format!(
        "the installation ID is for {} (code {}, {})",
        target.label(),
        target.code,
        target.class.name()
    ));
    if iid.day > req.today.saturating_add(1) {
        return t.deny(
            DenyReason::FutureDate,
            "the installation ID is dated in the future".to_string(),
            "check the clock on the customer's machine and make a new installation ID",
        );
    }

    // 2. key
    let Some(key) = req.key else {
        return t.deny(
            DenyReason::UnknownKey,
            format!("no key with serial {} is on record", iid.key_serial),
            "check the product key entered on the machine",
        );
    };
    let short = ProductKey::parse(&key.key)
        .map(|k| k.short())
        .unwrap_or_else(|_| key.key.clone());
    let Some(key_product) = req.catalog.by_code(key.product) else {
        return t.deny(
            DenyReason::UnknownProduct,
            format!(
                "key {short} is for product code {}, which is not in the catalog",
                key.product
            ),
            "reload a catalog that has the key's product",
        );
    };
    t.note(format!(
        "key {short} is a {} key for {}",
        key.kind,
        key_product.label()
    ));
    if key.revoked {
        return t.deny(
            DenyReason::Revoked,
            format!("key {short} is revoked"),
            "the customer needs a new key",
        );
    }

    // 3. proof
    let proves = ProductKey::parse(&key.key)
        .map(|k| iid.proves(&k))
        .unwrap_or(false);
    if !proves {
        return t.deny(
            DenyReason::ProofMismatch,
            format!(
                "the installation ID names key serial {} but was not made with that key",
                iid.key_serial
            ),
            "re-enter the product key on the machine and read out the new installation ID",
        );
    }
    t.note("the installation ID proves knowledge of the whole key");

    // 4. agreement
    let agreement = key
        .agreement
        .as_deref()
        .and_then(|id| req.agreements.get(id));
    match (&key.agreement, agreement) {
        (None, _) => t.note(format!("key {short} is a direct key, under no agreement")),
        (Some(id), None) => t.note(format!(
            "key {short} names agreement {id}, which is not on file"
        )),
        (Some(_), Some(a)) => {
            let how = if a.program.per_pool() {
                format!("pool: {}", pool(key_product.class))
            } else if a.program.per_purchase() {
                "per purchase".to_string()
            } else {
                "staff-issued".to_string()
            };
            t.note(format!(
                "key {short} belongs to agreement {} ({}, {}, {how})",
                a.id,
                a.customer,
                a.program.label()
            ));
        }
    }
    if let (Some(caller), None) = (req.caller_agreement, key.agreement.as_deref()) {
        return t.deny(
            DenyReason::AgreementMismatch,
            format!("the caller names agreement {caller}, but key {short} is under no agreement"),
            "check the key, or activate without naming an agreement",
        );
    }
    if let (Some(caller), Some(owner)) = (req.caller_agreement, key.agreement.as_deref()) {
        if caller != owner {
            if req.agreements.may_use(caller, owner) {
                t.note(format!(
                    "agreement {caller} is an affiliate of {owner}: it may use the parent's keys"
                ));
            } else {
                return t.deny(
                    DenyReason::AgreementMismatch,
                    format!("agreement {caller} is neither {owner} nor one of its affiliates"),
                    "use a key of the caller's own agreement",
                );
            }
        }
    }

    // 5. partner
    if agreement.is_some_and(|a| a.program == Program::Partner) {
        match req.channel {
            Channel::SelfService => {
                return t.deny(
                    DenyReason::StaffOnly,
                    "partner-program keys are never self-service".to_string(),
                    "transfer the caller to an agent",
                )
            }
            Channel::Staff { name, .. } => t.note(format!(
                "partner-program key activated by staff member {name}"
            )),
        }
    }

    // 6. coverage
    match covers(key_product, target) {
        Ok(s) => t.note(s),
        Err((reason, s, remedy)) => return t.deny(reason, s, remedy),
    }
    t.note("keys are not tied to a CPU architecture");

    // 7 and 8. kind and machine
    if iid.hardware.is_empty() {
        return t.deny(
            DenyReason::NoHardware,
            "the installation ID carries no hardware evidence (no machine-id, board, disk, network adapter or volume)".to_string(),
            "make the installation ID on the machine itself with an unmodified client",
        );
    }
    let active: Vec<&PriorActivation> = req.prior.iter().filter(|p| !p.released).collect();
    // The one rule for "same machine" (crate::fingerprint): the digests are
    // keyed by the key's serial, so activations of every product the key
    // covers (downgrades included) compare with each other.
    let same = active
        .iter()
        .map(|p| (p, p.hardware.compare(&iid.hardware)))
        .filter(|(_, s)| s.same_machine())
        .max_by_key(|(p, s)| (s.weight(), p.id));
    let vm = if iid.hardware.virtual_machine {
        "virtual"
    } else {
        "physical"
    };
    match key.kind {
        KeyKind::Setup => t.deny(
            DenyReason::SetupKey,
            format!(
                "key {short} is a setup key: it unlocks {} without activation",
                key_product.label()
            ),
            "no confirmation ID is needed; to activate, use a mak or retail key",
        ),
        KeyKind::SiteHost => {
            let hosted = req.catalog.hosted_by(&target.name);
            if target.class != Class::Server || hosted.is_empty() {
                return t.deny(DenyReason::NotAHost, format!("{} may not act as a site activation host", target.label()), "install the site-host key on a host product listed in the catalog's host table");
            }
            if iid.host_key.is_none() {
                return t.deny(DenyReason::HostLayout, "a site-host key activates only a host installation ID (14 groups, with the host's key in it); this one has 10".to_string(), "make the installation ID with `actline client iid` and the site-host key on the host machine");
            }
            t.note(format!(
                "{} may host site activation for {}",
                target.label(),
                hosted.join(", ")
            ));
            let limit = key.limit.min(SITE_HOSTS_MAX);
            if let Some((p, s)) = same {
                if p.reactivations >= SITE_HOST_REACTIVATIONS_MAX {
                    return t.deny(DenyReason::ReactivationLimit, format!("host activation #{} was reactivated {} times already (at most {SITE_HOST_REACTIVATIONS_MAX})", p.id, p.reactivations), "a supervisor can move the host to a new seat");
                }
                return t.grant(key.kind, false, Some(p.id), format!("machine matches host activation #{}: {}: reactivation {} of {SITE_HOST_REACTIVATIONS_MAX}, no host seat used", p.id, s.describe(), p.reactivations + 1));
            }
            let used = active.len() as u32;
            if used >= limit {
                return t.deny(
                    DenyReason::SeatsExhausted,
                    format!("{used} of {limit} hosts activated"),
                    "a supervisor can move a host seat from a retired machine",
                );
            }
            t.grant(
                key.kind,
                true,
                None,
                format!(
                    "{used} of {limit} hosts activated: this {vm} machine becomes host {}",
                    used + 1
                ),
            )
        }
        KeyKind::Mak | KeyKind::Retail if iid.host_key.is_some() => t.deny(
            DenyReason::HostLayout,
            format!("a host installation ID (14 groups) is activated only with a site-host key; key {short} is a {} key", key.kind.name()),
            "make the installation ID again with the product's own key, or use a site-host key",
        ),
        KeyKind::Mak | KeyKind::Retail => {
            if let Some((p, s)) = same {
                return t.grant(
                    key.kind,
                    false,
                    Some(p.id),
                    format!(
                        "machine matches activation #{}: {}: reactivation, no seat used",
                        p.id,
                        s.describe()
                    ),
                );
            }
            let limit = if key.kind == KeyKind::Retail {
                1
            } else {
                key.limit
            };
            let used = active.len() as u32;
            if used >= limit {
                return if key.kind == KeyKind::Retail {
                    t.deny(
                        DenyReason::SeatsExhausted,
                        format!("retail key {short} is in use on another machine"),
                        "staff can move it to this replacement machine",
                    )
                } else {
                    t.deny(
                        DenyReason::SeatsExhausted,
                        format!("{used} of {limit} seats used"),
                        "a supervisor can raise the limit",
                    )
                };
            }
            t.grant(
                key.kind,
                true,
                None,
                format!(
                    "{used} of {limit} seats used: this {vm} machine takes seat {}",
                    used + 1
                ),
            )
        }
    }
}
