//! How a supervisor dialog changes: typing, moving between fields, the
//! confirmation step.

use super::{Dialog, Outcome};
use crate::msg::{Action, Intent, Ui};

impl Dialog {
    /// Applies a UI message.
    pub fn update(&mut self, ui: Ui) -> Outcome {
        if self.busy {
            return Outcome::Stay;
        }
        if self.result.is_some() {
            // Only closing is left to do.
            return match ui {
                Ui::DialogCancel | Ui::DialogConfirm | Ui::DialogNext => Outcome::Close,
                _ => Outcome::Stay,
            };
        }
        match ui {
            Ui::DialogCancel => {
                if self.confirming {
                    self.confirming = false;
                    Outcome::Stay
                } else {
                    Outcome::Close
                }
            }
            Ui::DialogChar(c) if !self.confirming => {
                let f = &mut self.fields[self.at];
                if f.digits && !c.is_ascii_digit() {
                    self.error = Some(format!("'{c}' refused: {} is a number", f.label));
                } else {
                    f.value.push(c);
                    self.error = None;
                }
                Outcome::Stay
            }
            Ui::DialogPaste(text) if !self.confirming => {
                for c in text.trim().chars() {
                    self.update(Ui::DialogChar(c));
                }
                Outcome::Stay
            }
            Ui::DialogBackspace if !self.confirming => {
                self.fields[self.at].value.pop();
                self.error = None;
                Outcome::Stay
            }
            Ui::DialogPrev => {
                if self.confirming {
                    self.confirming = false;
                } else {
                    self.at = self.at.saturating_sub(1);
                }
                Outcome::Stay
            }
            Ui::DialogNext if !self.confirming => {
                if self.fields[self.at].value.trim().is_empty() {
                    self.error = Some(format!("{} is needed", self.fields[self.at].label));
                } else if self.at + 1 < self.fields.len() {
                    self.at += 1;
                    self.error = None;
                } else {
                    self.ask_confirmation();
                }
                Outcome::Stay
            }
            Ui::DialogConfirm => {
                if !self.confirming {
                    self.ask_confirmation();
                    return Outcome::Stay;
                }
                match self.intent() {
                    Ok(i) => {
                        self.busy = true;
                        Outcome::Do(i)
                    }
                    Err(e) => {
                        self.confirming = false;
                        self.error = Some(e);
                        Outcome::Stay
                    }
                }
            }
            _ => Outcome::Stay,
        }
    }

    fn ask_confirmation(&mut self) {
        match self.fields.iter().position(|f| f.value.trim().is_empty()) {
            Some(i) => {
                self.at = i;
                self.error = Some(format!("{} is needed", self.fields[i].label));
            }
            None => match self.intent() {
                Ok(_) => {
                    self.confirming = true;
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            },
        }
    }

    /// The intent the fields describe, or what is wrong with them.
    pub fn intent(&self) -> Result<Intent, String> {
        let v = |i: usize| self.fields[i].value.trim().to_string();
        let number = |i: usize| -> Result<u64, String> {
            v(i).parse::<u64>()
                .map_err(|_| format!("{} must be a number", self.fields[i].label))
        };
        let reason = v(self.fields.len() - 1);
        if reason.is_empty() {
            return Err("a reason is required".into());
        }
        Ok(match self.action {
            Action::RaiseLimit => {
                crate::session::parse_key_or_serial(&v(0))?;
                Intent::RaiseLimit {
                    key: v(0),
                    limit: u32::try_from(number(1)?).map_err(|_| "the limit is too large")?,
                    reason,
                }
            }
            Action::MoveSeat => Intent::ReleaseSeat {
                activation: i64::try_from(number(0)?).map_err(|_| "no such activation")?,
                reason,
            },
            Action::IssuePartnerKey => Intent::IssuePartnerKey {
                product: v(0),
                agreement: v(1),
                limit: u32::try_from(number(2)?).map_err(|_| "too many activations")?,
                reason,
            },
            Action::DismissCall => Intent::EndCall {
                id: i64::try_from(number(0)?).map_err(|_| "no such call")?,
                dismissed: Some(reason),
            },
        })
    }
}
