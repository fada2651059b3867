//! How the lookup screen changes.

use super::{Detail, LookupState, Mode};
use crate::msg::{Intent, Msg, Reply, Ui};
use crate::view_model::Target;

impl LookupState {
    /// The intent that reads the current list again.
    pub fn refresh(&self) -> Option<Msg> {
        Some(Msg::Intent(match self.mode {
            Mode::Find if self.query.trim().is_empty() => return None,
            Mode::Find => Intent::Search {
                query: self.query.clone(),
            },
            Mode::Audit => Intent::Audit {
                filter: self.filter.clone(),
            },
        }))
    }

    fn rows(&self) -> usize {
        match self.mode {
            Mode::Find => self.hits.len(),
            Mode::Audit => self.audit.len(),
        }
    }

    fn detail_rows(&self) -> usize {
        match &self.detail {
            Some(Detail::Key(k)) => k.activations.len(),
            Some(Detail::Agreement(a)) => a.keys.len(),
            None => 0,
        }
    }

    /// Applies a UI message for this screen.
    pub fn update(&mut self, ui: Ui) -> Option<Msg> {
        match ui {
            Ui::LookupChar(c) => {
                self.detail = None;
                self.selected = 0;
                match self.mode {
                    Mode::Find => self.query.push(c),
                    Mode::Audit => self.filter.push(c),
                }
                self.refresh()
            }
            Ui::LookupPaste(text) => {
                self.detail = None;
                self.selected = 0;
                let text = text.trim().replace(['\n', '\r'], " ");
                match self.mode {
                    Mode::Find => self.query.push_str(&text),
                    Mode::Audit => self.filter.push_str(&text),
                }
                self.refresh()
            }
            Ui::LookupBackspace => {
                if self.detail.is_some() {
                    return self.back();
                }
                self.selected = 0;
                match self.mode {
                    Mode::Find => {
                        self.query.pop();
                        if self.query.is_empty() {
                            self.hits.clear();
                        }
                    }
                    Mode::Audit => {
                        self.filter.pop();
                    }
                }
                self.refresh()
            }
            Ui::LookupMode => {
                self.detail = None;
                self.selected = 0;
                self.mode = match self.mode {
                    Mode::Find => Mode::Audit,
                    Mode::Audit => Mode::Find,
                };
                self.refresh()
            }
            Ui::LookupMove(d) => {
                let detail = self.detail.is_some();
                let n = if detail {
                    self.detail_rows()
                } else {
                    self.rows()
                };
                let sel = if detail {
                    &mut self.detail_selected
                } else {
                    &mut self.selected
                };
                if n > 0 {
                    *sel = (*sel as i64 + d as i64).clamp(0, n as i64 - 1) as usize;
                }
                None
            }
            Ui::LookupOpen => match &self.detail {
                Some(Detail::Agreement(a)) => {
                    let serial = a.keys.get(self.detail_selected)?.serial;
                    self.back_to = Some(a.agreement.id.clone());
                    Some(Msg::Intent(Intent::KeyDetail { serial }))
                }
                Some(Detail::Key(_)) => None,
                None if self.mode == Mode::Find => {
                    self.back_to = None;
                    Some(Msg::Intent(match &self.hits.get(self.selected)?.target {
                        Target::Key(serial) => Intent::KeyDetail { serial: *serial },
                        Target::Agreement(id) => Intent::AgreementDetail { id: id.clone() },
                    }))
                }
                None => None,
            },
            Ui::LookupBack => self.back(),
            _ => None,
        }
    }

    fn back(&mut self) -> Option<Msg> {
        self.detail_selected = 0;
        match (self.detail.take(), self.back_to.take()) {
            (Some(Detail::Key(_)), Some(id)) => Some(Msg::Intent(Intent::AgreementDetail { id })),
            _ => None,
        }
    }

    /// Applies a domain reply for this screen.
    pub fn reply(&mut self, reply: Reply) {
        match reply {
            Reply::Found(hits) => {
                self.hits = hits;
                self.selected = self.selected.min(self.hits.len().saturating_sub(1));
            }
            Reply::Audit(rows) => {
                self.audit = rows;
                self.selected = self.selected.min(self.audit.len().saturating_sub(1));
            }
            Reply::Key(k) => {
                let same = matches!(&self.detail, Some(Detail::Key(old)) if old.key.serial == k.key.serial);
                if !same {
                    self.detail_selected = 0;
                }
                self.detail = Some(Detail::Key(*k));
                self.detail_selected = self
                    .detail_selected
                    .min(self.detail_rows().saturating_sub(1));
            }
            Reply::Agreement(a) => {
                self.detail_selected = 0;
                self.detail = Some(Detail::Agreement(*a));
            }
            _ => {}
        }
    }
}
