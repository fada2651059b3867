//! The lookup screen: find an agreement, key or customer by any part of its
//! name or number, open a key to see its activations, and read the audit
//! trail with a filter.

pub mod components;
pub mod update;
pub mod view;

use super::view_model::{AgreementDetailView, AuditRow, Hit, KeyDetailView};

/// Find or audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Agreements, customers, keys.
    #[default]
    Find,
    /// The audit trail.
    Audit,
}

/// An opened hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// A key with its activations.
    Key(KeyDetailView),
    /// An agreement with its keys.
    Agreement(AgreementDetailView),
}

/// The lookup screen's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupState {
    /// Find or audit.
    pub mode: Mode,
    /// The find query.
    pub query: String,
    /// The audit filter.
    pub filter: String,
    /// Find hits.
    pub hits: Vec<Hit>,
    /// Audit rows, newest first.
    pub audit: Vec<AuditRow>,
    /// Selected row of the list.
    pub selected: usize,
    /// The opened hit.
    pub detail: Option<Detail>,
    /// Selected row in the detail (an activation, or a key).
    pub detail_selected: usize,
    /// The agreement a key detail was opened from, to go back to.
    pub back_to: Option<String>,
}
