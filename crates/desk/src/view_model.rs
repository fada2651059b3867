//! Plain data the domain hands to the screens: everything a view shows,
//! already in words, so views never call the library.

/// Who is at the desk, and against which ledger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionInfo {
    /// Operating-system user.
    pub user: String,
    /// "supervisor", "agent", or "not on staff".
    pub role: String,
    /// Supervisor actions are offered.
    pub supervisor: bool,
    /// The ledger file.
    pub ledger: String,
    /// Product names in the catalog (for the partner-key dialog).
    pub products: Vec<String>,
    /// Partner-program agreements (for the partner-key dialog).
    pub partner_agreements: Vec<String>,
}

/// What a complete installation ID names, read before deciding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreviewView {
    /// The ID, grouped.
    pub iid: String,
    /// "studio 7", or "unknown product (code 17)".
    pub product: String,
    /// The key: "mak key …KX7QM, agreement 4711", or "key serial 123 is not on record".
    pub key: String,
    /// Day the ID was made.
    pub made: String,
}

/// A key with its seats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyView {
    /// The key, display form.
    pub key: String,
    /// Its serial.
    pub serial: u64,
    /// mak, site-host, setup, retail.
    pub kind: String,
    /// Product label.
    pub product: String,
    /// Seats in use.
    pub used: u32,
    /// Seats left.
    pub left: u32,
    /// The limit.
    pub limit: u32,
    /// Revoked.
    pub revoked: bool,
}

/// An agreement, in words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgreementView {
    /// Licensing ID.
    pub id: String,
    /// Customer.
    pub customer: String,
    /// Program label.
    pub program: String,
    /// "affiliate of 4711", "level B", "20 licences".
    pub note: String,
}

/// One earlier activation, in one line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivationLine {
    /// Ledger ID.
    pub id: i64,
    /// When.
    pub at: String,
    /// granted / denied.
    pub decision: String,
    /// Holds a seat (granted, new seat, not released).
    pub holds_seat: bool,
    /// "seat", "reactivation of #3", "seat released", "" ...
    pub note: String,
    /// First digits of the machine's fingerprint.
    pub machine: String,
    /// Who asked.
    pub actor: String,
}

/// A decision, as the activation screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DecisionView {
    /// Ledger activation number.
    pub activation: i64,
    /// The installation ID, grouped.
    pub iid: String,
    /// Granted.
    pub granted: bool,
    /// Product label.
    pub product: String,
    /// The key, when the ledger has it.
    pub key: Option<KeyView>,
    /// The key's agreement, when it has one.
    pub agreement: Option<AgreementView>,
    /// Earlier activations of this machine under the key.
    pub machine_history: Vec<ActivationLine>,
    /// One sentence per rule consulted.
    pub trace: Vec<String>,
    /// On a denial: the short reason.
    pub reason: Option<String>,
    /// On a denial: what would make it succeed.
    pub remedy: Option<String>,
    /// On a grant: the confirmation ID, grouped with '-'.
    pub cid: Option<String>,
    /// On a grant: "new seat" or "reactivation of #12".
    pub seat: String,
}

impl DecisionView {
    /// The confirmation ID's groups.
    pub fn cid_groups(&self) -> Vec<&str> {
        self.cid
            .as_deref()
            .map(|c| c.split('-').collect())
            .unwrap_or_default()
    }
}

/// What a search hit points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An agreement (and its customer).
    Agreement(String),
    /// A key.
    Key(u64),
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// "agreement", "key".
    pub kind: String,
    /// The main line.
    pub title: String,
    /// A second column.
    pub detail: String,
    /// What Enter opens.
    pub target: Target,
}

/// One audit entry, as the ledger keeps it.
pub use actline_engine::ledger::AuditEntry as AuditRow;

/// A key with its activations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyDetailView {
    /// The key.
    pub key: KeyView,
    /// Its agreement.
    pub agreement: Option<AgreementView>,
    /// Its activations, oldest first.
    pub activations: Vec<ActivationLine>,
}

/// An agreement with its keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgreementDetailView {
    /// The agreement.
    pub agreement: AgreementView,
    /// Affiliates that may use its keys.
    pub affiliates: Vec<String>,
    /// Its keys.
    pub keys: Vec<KeyView>,
}

/// A call the IVR handed over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallView {
    /// Handover number.
    pub id: i64,
    /// When.
    pub at: String,
    /// The call's identifier.
    pub call: String,
    /// Why it was transferred.
    pub reason: String,
    /// Groups the caller entered.
    pub groups: Vec<String>,
    /// The whole ID, when complete.
    pub installation_id: Option<String>,
    /// The IVR's decision trace, when it asked for one.
    pub trace: Vec<String>,
    /// Taken by.
    pub taken_by: Option<String>,
}
