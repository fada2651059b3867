//! The calls the IVR handed over: what the caller already entered and why
//! they were transferred. Taking a call fills the activation screen with the
//! groups entered, so the agent continues rather than starting over.

pub mod components;
pub mod update;
pub mod view;

use super::view_model::CallView;

/// The calls screen's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallsState {
    /// Waiting calls, newest first.
    pub list: Vec<CallView>,
    /// Selected row.
    pub selected: usize,
}
