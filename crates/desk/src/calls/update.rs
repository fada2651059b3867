//! How the calls screen changes.

use super::CallsState;
use crate::msg::{Intent, Msg, Ui};
use crate::view_model::CallView;

impl CallsState {
    /// Replaces the list (keeps the selected call selected when it is still there).
    pub fn set(&mut self, calls: Vec<CallView>) {
        let id = self.list.get(self.selected).map(|c| c.id);
        self.list = calls;
        self.selected = id
            .and_then(|id| self.list.iter().position(|c| c.id == id))
            .unwrap_or(0);
        self.clamp();
    }

    /// Keeps the selection in range.
    pub fn clamp(&mut self) {
        self.selected = self.selected.min(self.list.len().saturating_sub(1));
    }

    /// Applies a UI message for this screen.
    pub fn update(&mut self, ui: Ui) -> Option<Msg> {
        match ui {
            Ui::CallsMove(d) => {
                if !self.list.is_empty() {
                    self.selected = (self.selected as i64 + d as i64)
                        .clamp(0, self.list.len() as i64 - 1)
                        as usize;
                }
                None
            }
            Ui::CallsTake => {
                let id = self.list.get(self.selected)?.id;
                Some(Msg::Intent(Intent::TakeCall { id }))
            }
            _ => None,
        }
    }
}
