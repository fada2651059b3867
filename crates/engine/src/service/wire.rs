//! Requests and replies: the bodies of the HTTP/JSON API (see
//! `docs/openapi.json`), and what the command line builds and prints.

use crate::entitlement::rules::Role;
use crate::entitlement::{Agreement, Catalog, KeyRecord};
use crate::keys::KeyKind;
use crate::ledger::{ActivationRow, AuditEntry, Handover, KeyUsage};
use serde::{Deserialize, Serialize};

/// Most rows a search or a listing returns.
pub const MAX_ROWS: usize = 500;

/// Everything a caller can ask of the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Is the service up? (Anyone.)
    Health,
    /// Who the service takes the caller to be, and their role. (Anyone.)
    Whoami,
    /// Decide an installation ID; on a grant, make the confirmation ID.
    Activate {
        /// As read out, any grouping.
        installation_id: String,
        /// The agreement the caller says they are under.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agreement: Option<String>,
        /// A label stored with the activation (the IVR's call name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
        /// Decide as for a caller on the self-service line (the IVR), not
        /// as the staff member asking.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        self_service: bool,
    },
    /// Decide many installation IDs in one transaction.
    Batch {
        /// In order.
        items: Vec<BatchLine>,
    },
    /// One activation with its decision trace.
    ActivationShow {
        /// Activation number.
        id: i64,
    },
    /// Release the seat an activation holds (supervisors).
    ActivationRelease {
        /// Activation number.
        id: i64,
        /// Why (audited).
        reason: String,
    },
    /// Issue a product key (supervisors).
    KeyIssue {
        /// Product name from the catalog.
        product: String,
        /// The key's kind.
        kind: KeyKind,
        /// Activations allowed (default: the agreement's allowance; 6
        /// hosts for site-host; 1 for retail and setup).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        activations: Option<u32>,
        /// The agreement the key belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agreement: Option<String>,
        /// Why it is issued (audited next to the issue).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A key: kind, product, agreement, seats, activations.
    KeyShow {
        /// The product key, or its serial as the audit trail prints it.
        key: String,
    },
    /// Keys found by a whole key or serial, three or more characters of a
    /// key, or part of an agreement's number or customer's name (case
    /// ignored); every key when the query is empty; only `product`'s when
    /// it is given; at most `limit` (default and most: [`MAX_ROWS`]).
    KeySearch {
        /// What was typed.
        #[serde(default)]
        query: String,
        /// Only this product's keys (a catalog name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        /// Most keys returned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// Change a key's activation limit (supervisors).
    KeyLimit {
        /// The product key, or its serial.
        key: String,
        /// The new limit.
        limit: u32,
        /// Why (audited).
        reason: String,
    },
    /// Revoke a key (supervisors).
    KeyRevoke {
        /// The product key, or its serial.
        key: String,
        /// Why (audited).
        reason: String,
    },
    /// The catalog.
    CatalogShow,
    /// Replace the catalog (supervisors; all or nothing).
    CatalogLoad {
        /// Where the text came from (named in messages and the audit trail).
        source: String,
        /// The TOML text.
        text: String,
    },
    /// An agreement with its keys and activations.
    AgreementShow {
        /// Licensing ID.
        id: String,
    },
    /// Every agreement on file.
    AgreementList,
    /// Replace the agreements (supervisors; all or nothing).
    AgreementsLoad {
        /// Where the text came from.
        source: String,
        /// The TOML text.
        text: String,
    },
    /// The staff list.
    StaffList,
    /// Add a staff member or change their role (supervisors).
    StaffAdd {
        /// OS user name (or the name a token is issued to).
        name: String,
        /// The role.
        role: Role,
    },
    /// Remove a staff member, and their token (supervisors).
    StaffRemove {
        /// The staff member.
        name: String,
    },
    /// Issue a bearer token for a staff member's remote desk, replacing
    /// any earlier one (supervisors). The reply is the only time the token
    /// is shown.
    StaffToken {
        /// The staff member.
        name: String,
    },
    /// Revoke a staff member's token (supervisors).
    StaffRevokeToken {
        /// The staff member.
        name: String,
    },
    /// The trust file for one product's clients (supervisors): the
    /// fingerprint salt, the product's public key (signed) or verification
    /// secret (compact), its setup secret; nothing of other products.
    TrustExport {
        /// Product name from the catalog.
        product: String,
    },
    /// Recompute and replay the audit trail.
    AuditVerify,
    /// The audit trail, optionally filtered, oldest first.
    AuditShow {
        /// Only entries whose time, action, actor, subject or detail
        /// contains this (case ignored).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filter: Option<String>,
        /// Only entries from this day on (`YYYY-MM-DD`, UTC).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<String>,
        /// Only the newest this many of them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<usize>,
    },
    /// Activations per day, agreement and product, for account managers.
    Report {
        /// From this day on (`YYYY-MM-DD`, UTC).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<String>,
        /// Up to and including this day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    /// Recommend a key kind for a planned deployment.
    Advise {
        /// Product name.
        product: String,
        /// Machines planned.
        machines: u32,
    },
    /// Calls the IVR handed over, newest first.
    Handovers {
        /// Only those no agent has taken.
        #[serde(default)]
        waiting_only: bool,
    },
    /// Hand a call over to the agents (the IVR).
    HandOver {
        /// The call's identifier.
        call: String,
        /// Why the IVR gave up.
        reason: String,
        /// Groups entered so far.
        #[serde(default)]
        groups: Vec<String>,
        /// The installation ID, when complete.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        installation_id: Option<String>,
        /// The decision trace, when there was one.
        #[serde(default)]
        reasons: Vec<String>,
    },
    /// Take a handed-over call (exactly one agent gets it), held for 30 s
    /// unless renewed.
    HandoverTake {
        /// Handover number.
        id: i64,
    },
    /// Hold a taken call 30 s longer (the desk, while the call is open).
    HandoverKeep {
        /// Handover number.
        id: i64,
    },
    /// Give a taken call back to the queue, unfinished.
    HandoverRelease {
        /// Handover number.
        id: i64,
    },
    /// End a call: decided by its taker, or dismissed with a reason (a
    /// caller who hung up); it leaves the queue.
    HandoverEnd {
        /// Handover number.
        id: i64,
        /// Why it is dismissed; none when it was decided.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dismissed: Option<String>,
    },
}

impl Request {
    /// The role the caller needs, with the words that finish "only staff /
    /// only supervisors …" when they lack it; `None` for requests anyone may
    /// make. This table is the one place roles are decided for requests.
    pub fn needs(&self) -> Option<(Role, &'static str)> {
        use Request::*;
        let agent = |what| Some((Role::Agent, what));
        let supervisor = |what| Some((Role::Supervisor, what));
        match self {
            Health | Whoami => None,
            Activate { .. } | Batch { .. } => agent("activate"),
            ActivationShow { .. }
            | KeyShow { .. }
            | KeySearch { .. }
            | CatalogShow
            | AgreementShow { .. }
            | AgreementList => agent("look up the ledger"),
            StaffList | AuditVerify | AuditShow { .. } | Report { .. } | Advise { .. } => {
                agent("look up the ledger")
            }
            Handovers { .. }
            | HandoverTake { .. }
            | HandoverKeep { .. }
            | HandoverRelease { .. }
            | HandoverEnd { .. }
            | HandOver { .. } => agent("take calls"),
            ActivationRelease { .. } => supervisor("release seats"),
            KeyIssue { .. } => supervisor("issue keys"),
            KeyLimit { .. } => supervisor("change limits"),
            KeyRevoke { .. } => supervisor("revoke keys"),
            CatalogLoad { .. } => supervisor("load the catalog"),
            AgreementsLoad { .. } => supervisor("load agreements"),
            StaffAdd { .. } | StaffRemove { .. } => supervisor("change staff"),
            StaffToken { .. } | StaffRevokeToken { .. } => supervisor("issue tokens"),
            TrustExport { .. } => supervisor("export trust files"),
        }
    }

    /// Whether the request changes state (and so may carry an idempotency
    /// key).
    pub fn changes_state(&self) -> bool {
        use Request::*;
        !matches!(
            self,
            Health
                | Whoami
                | ActivationShow { .. }
                | KeyShow { .. }
                | KeySearch { .. }
                | CatalogShow
                | AgreementShow { .. }
                | AgreementList
                | StaffList
                | AuditVerify
                | AuditShow { .. }
                | Report { .. }
                | Advise { .. }
                | Handovers { .. }
                | TrustExport { .. }
        )
    }
}

/// One line of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchLine {
    /// The caller's label for the machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The installation ID.
    pub installation_id: String,
}

/// What the engine answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Reply {
    Health(Health),
    Activation(ActivationView),
    Batch(BatchReply),
    ActivationRow(ActivationRow),
    Released(Released),
    Key(KeyRecord),
    KeyDetail(KeyDetail),
    Keys(KeyList),
    Catalog(Catalog),
    Loaded(Loaded),
    Agreement(AgreementDetail),
    Agreements(AgreementList),
    Staff(StaffList),
    Token(Token),
    AuditIntact(AuditIntact),
    Audit(AuditList),
    Advice(Advice),
    Handovers(HandoverList),
    Taken(Taken),
    HandedOver(Taken),
    Trust(TrustFile),
    Report(Report),
}

/// Activations per day, agreement and product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// By day, then agreement (direct keys first), then product code.
    pub rows: Vec<ReportRow>,
}

/// One day's activations of one product under one agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The agreement's licensing ID; `None` for direct keys and for
    /// installation IDs that named no key on record.
    pub agreement: Option<String>,
    /// The agreement's customer.
    pub customer: Option<String>,
    /// The product's catalog name (its code, written out, if the catalog
    /// no longer has it).
    pub product: String,
    /// The product's code.
    pub product_code: u16,
    /// Grants.
    pub granted: u64,
    /// Grants that took a new seat.
    pub new_seats: u64,
    /// Denials.
    pub denied: u64,
}

/// One product's trust file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrustFile {
    /// The product's name.
    pub product: String,
    /// Whether it verifies compact confirmation IDs (it then holds the
    /// product's verification secret) rather than signed ones.
    pub compact: bool,
    /// The file's contents.
    pub trust: actline_client::Trust,
}

/// The service is up.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Health {
    /// "ok".
    pub status: String,
    /// The engine's version.
    pub version: String,
}

/// A decision, as `actline activate --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationView {
    /// "granted" or "denied".
    pub decision: String,
    /// The activation's number in the ledger.
    pub activation: i64,
    /// The installation ID, canonical.
    pub installation_id: String,
    /// The product it names (its catalog name), when known.
    pub product: Option<String>,
    /// That product's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<u16>,
    /// On a grant.
    pub confirmation_id: Option<String>,
    /// The decision trace.
    pub reasons: Vec<String>,
    /// On a denial: what would make it succeed.
    pub remedy: Option<String>,
    /// On a denial: the rule that denied it (`seats-exhausted`, …), for
    /// callers that choose what to say by it (the IVR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<crate::entitlement::rules::DenyReason>,
    /// On a denial: the denying rule's sentence, without the remedy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentence: Option<String>,
    /// On a grant: whether it took a new seat of the key.
    #[serde(default)]
    pub new_seat: bool,
    /// On a grant for a machine activated before: that activation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reactivation_of: Option<i64>,
    /// Whether this reply repeats an earlier grant of the same installation
    /// ID (same number and confirmation ID; nothing was recorded).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repeated: bool,
}

impl ActivationView {
    /// The view of a decided activation of `iid`.
    pub fn of(iid: &crate::ids::InstallationId, a: &crate::ledger::Activation) -> Self {
        Self {
            decision: a.decision.word().to_string(),
            activation: a.id,
            installation_id: iid.to_string(),
            product: a.product.as_ref().map(|p| p.name.clone()),
            product_code: a.product.as_ref().map(|p| p.code),
            confirmation_id: a.confirmation_id.clone(),
            reasons: a.decision.trace.clone(),
            remedy: a.decision.outcome.as_ref().err().map(|d| d.remedy.clone()),
            denial: a.decision.outcome.as_ref().err().map(|d| d.reason),
            sentence: a
                .decision
                .outcome
                .as_ref()
                .err()
                .map(|d| d.sentence.clone()),
            new_seat: a.decision.outcome.as_ref().is_ok_and(|g| g.new_seat),
            reactivation_of: a
                .decision
                .outcome
                .as_ref()
                .ok()
                .and_then(|g| g.reactivation_of),
            repeated: false,
        }
    }

    /// Whether the decision was a grant.
    pub fn granted(&self) -> bool {
        self.decision == "granted"
    }
}

/// A batch's decisions, in the order of its lines.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BatchReply {
    /// One per line.
    pub activations: Vec<ActivationView>,
}

/// A seat was released.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Released {
    /// The activation.
    pub activation: i64,
}

/// A key with its use.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyDetail {
    /// The key's record.
    pub key: KeyRecord,
    /// Its product's name.
    pub product: String,
    /// Seats in use.
    pub used: u32,
    /// Seats left.
    pub left: u32,
    /// Its activations, oldest first.
    pub activations: Vec<ActivationRow>,
}

/// Keys found.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyList {
    /// Each with its use.
    pub keys: Vec<KeyUsage>,
}

/// Agreements on file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgreementList {
    /// By licensing ID.
    pub agreements: Vec<Agreement>,
}

/// A file was loaded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Loaded {
    /// Products or agreements in it.
    pub count: usize,
}

/// An agreement with its keys and activations.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AgreementDetail {
    /// The agreement.
    pub agreement: Agreement,
    /// Activations it allows per key, when it says.
    pub allowance: Option<u32>,
    /// Agreements whose parent it is.
    pub affiliates: Vec<String>,
    /// Its keys.
    pub keys: Vec<KeyUsage>,
    /// Their activations.
    pub activations: Vec<ActivationRow>,
}

/// Staff members.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffList {
    /// Name and role (`None`: not staff).
    pub staff: Vec<StaffMember>,
}

/// One staff member.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffMember {
    /// Name.
    pub name: String,
    /// "agent" or "supervisor"; `None` when not on the staff list.
    pub role: Option<String>,
}

/// A bearer token, shown once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Token {
    /// Whose.
    pub name: String,
    /// The token (empty in the reply to a revocation).
    pub token: String,
}

/// The audit trail verified.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditIntact {
    /// Entries in the chain.
    pub entries: usize,
    /// The newest entry's hash.
    pub head: String,
}

/// Audit entries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuditList {
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
}

/// A recommendation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Advice {
    /// The key kind.
    pub kind: String,
    /// Why.
    pub reason: String,
}

/// Handed-over calls.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HandoverList {
    /// Newest first.
    pub handovers: Vec<Handover>,
}

/// A handed-over call was taken.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Taken {
    /// The handover.
    pub handover: i64,
}
