//! How the activation screen changes: typing, pasting, deciding, reading back.

use super::{ActivationState, Phase, HOST_IID_DIGITS, IID_DIGITS};
use crate::msg::{Intent, Msg, ReadBack, Reply, Ui};
use crate::view_model::CallView;
use actline_engine::ids::install::LAYOUT;

/// The hint for refused characters.
pub fn refused_hint(c: char) -> String {
    let shown = if c.is_control() {
        format!("{:?}", c)
    } else {
        format!("'{c}'")
    };
    format!(
        "{shown} refused: an installation ID is digits only — {} groups of {}; spaces and dashes are optional",
        LAYOUT.groups, LAYOUT.group_len
    )
}

/// Applies a UI message for this screen.
pub fn update(s: &mut ActivationState, ui: Ui) -> Option<Msg> {
    match ui {
        Ui::Digit(_) | Ui::Paste(_) if s.phase == Phase::Deciding => {
            s.hint = Some("deciding — the answer comes in a moment".into());
            None
        }
        Ui::Digit(d) => {
            if s.phase != Phase::Entry {
                // A new caller: a digit after a decision starts a new ID.
                s.next_caller();
            }
            if s.digits.len() >= s.iid_digits() {
                s.hint = Some(format!(
                    "all {} groups are in — Enter decides, Backspace corrects, Ctrl-U clears",
                    s.layout().groups
                ));
                return None;
            }
            s.digits.push(d.min(9));
            s.hint = None;
            preview(s)
        }
        Ui::Refused(c) => {
            s.hint = Some(refused_hint(c));
            None
        }
        Ui::Backspace if !s.check_typed.is_empty() => {
            s.check_typed.pop();
            None
        }
        Ui::Backspace => {
            if s.phase == Phase::Deciding {
                return None;
            }
            reopen(s);
            s.digits.pop();
            s.hint = None;
            preview(s)
        }
        Ui::ClearIid => {
            let wiped = std::mem::take(&mut s.digits);
            s.clear();
            if !wiped.is_empty() {
                s.hint = Some(format!(
                    "cleared {} digits — Ctrl-Z brings them back",
                    wiped.len()
                ));
                s.undo = Some(wiped);
            }
            None
        }
        Ui::Undo => match s.undo.take() {
            Some(digits) if s.phase != Phase::Deciding => {
                s.clear();
                s.digits = digits;
                s.hint = None;
                preview(s)
            }
            other => {
                s.undo = other;
                s.hint = Some("nothing to bring back".into());
                None
            }
        },
        Ui::Paste(text) => {
            if s.phase != Phase::Entry {
                s.next_caller();
            }
            let digits: Vec<u8> = text
                .chars()
                .filter_map(|c| c.to_digit(10).map(|d| d as u8))
                .collect();
            let junk = text
                .chars()
                .find(|c| !c.is_ascii_digit() && !c.is_whitespace() && *c != '-');
            s.hint = None;
            let mut digits_overflowed = false;
            if digits.len() == IID_DIGITS || digits.len() == HOST_IID_DIGITS {
                s.digits = digits; // a whole ID replaces what was there
            } else {
                // Room as far as the layout goes once these digits are in
                // (a pasted first group may make it a host's ID).
                let mut probe = s.clone();
                probe.digits.extend(&digits);
                let room = probe.iid_digits().saturating_sub(s.digits.len());
                if digits.len() > room {
                    digits_overflowed = true;
                    s.hint = Some(format!(
                        "the paste has {} digits but only {room} more fit; the rest was dropped",
                        digits.len()
                    ));
                }
                s.digits.extend(digits.into_iter().take(room));
            }
            // Only what this paste says: an earlier hint is about the digits before it.
            let overflow = s.hint.take().filter(|_| digits_overflowed);
            s.hint = match junk {
                Some(c) => Some(format!("{} (ignored in the paste)", refused_hint(c))),
                None => overflow,
            };
            preview(s)
        }
        Ui::Submit => match (&s.iid, s.phase) {
            (Some(iid), Phase::Entry) => {
                s.phase = Phase::Deciding;
                s.hint = None;
                Some(Msg::Intent(Intent::Decide { iid: iid.clone() }))
            }
            (_, Phase::Deciding) => None,
            (_, Phase::Decided) => {
                s.focus_decision = true;
                None
            }
            // The correction line already says what is wrong and how Tab fixes it.
            (None, Phase::Entry) if s.correction.is_some() => {
                s.hint = None;
                None
            }
            (None, Phase::Entry) => {
                s.hint = Some(if s.digits.len() < s.iid_digits() {
                    format!(
                        "{} of {} digits — the decision needs the whole installation ID",
                        s.digits.len(),
                        s.iid_digits()
                    )
                } else {
                    s.error
                        .clone()
                        .unwrap_or_else(|| "this is not a valid installation ID".into())
                });
                None
            }
        },
        Ui::NewEntry => {
            s.next_caller();
            None
        }
        Ui::FocusEntry => {
            s.focus_decision = false;
            None
        }
        Ui::FocusDecision => {
            s.focus_decision = s.decision.is_some();
            None
        }
        Ui::ReadBack(m) => {
            let n = s.cid_groups();
            if n == 0 {
                return None;
            }
            s.check_typed.clear();
            s.readback = match (m, s.readback) {
                (ReadBack::Toggle, Some(_)) => None,
                (ReadBack::Toggle, None) => Some(0),
                (ReadBack::Next, None) => Some(0),
                (ReadBack::Next, Some(g)) => Some((g + 1).min(n)),
                (ReadBack::Prev, None) => None,
                (ReadBack::Prev, Some(g)) => Some(g.saturating_sub(1)),
            };
            None
        }
        Ui::CheckDigit(d) => {
            check_digit(s, d);
            None
        }
        Ui::ScrollPlain(d) => {
            s.plain_scroll = (i32::from(s.plain_scroll) + i32::from(d)).clamp(0, 400) as u16;
            None
        }
        Ui::ScrollTrace(d) => {
            s.scroll = (s.scroll as i32 + d as i32).max(0) as u16;
            None
        }
        _ => None,
    }
}

/// The read-back check: `d` is the next digit the caller read back of the
/// group being read. A complete group that matches is marked right and the
/// next one comes up; one that does not is marked wrong and stays, to be read
/// again.
fn check_digit(s: &mut ActivationState, d: u8) {
    let Some(g) = s.readback else { return };
    let Some(group) = s
        .decision
        .as_ref()
        .and_then(|dec| dec.cid_groups().get(g).map(|x| x.to_string()))
    else {
        return;
    };
    let n = s.cid_groups();
    if s.checked.len() != n {
        s.checked = vec![None; n];
    }
    s.check_typed.push(char::from(b'0' + d.min(9)));
    if s.check_typed.len() < group.len() {
        return;
    }
    let heard = std::mem::take(&mut s.check_typed);
    if heard == group {
        s.checked[g] = Some(true);
        s.readback = Some(g + 1);
        s.hint = None;
    } else {
        s.checked[g] = Some(false);
        s.hint = Some(format!(
            "group {}: the caller read back {heard}, not what was read — read it again",
            g + 1
        ));
    }
}

/// After a decision, editing the ID goes back to entry.
fn reopen(s: &mut ActivationState) {
    if s.phase == Phase::Decided {
        s.phase = Phase::Entry;
        s.decision = None;
        s.readback = None;
        s.checked.clear();
        s.check_typed.clear();
        s.played = None;
        s.scroll = 0;
        s.focus_decision = false;
    }
}

/// Re-reads the digits; a complete ID asks the domain what it names.
fn preview(s: &mut ActivationState) -> Option<Msg> {
    let iid = s.reparse()?;
    if s.preview.is_some() {
        return None;
    }
    Some(Msg::Intent(Intent::Preview { iid }))
}

/// A request failed: back to entry so the agent can try again.
pub fn failed(s: &mut ActivationState) {
    if s.phase == Phase::Deciding {
        s.phase = Phase::Entry;
    }
}

/// Applies a domain reply for this screen.
pub fn reply(s: &mut ActivationState, reply: Reply) -> Option<Msg> {
    match reply {
        Reply::Preview(p) => {
            if s.iid.as_deref() == Some(p.iid.as_str()) {
                s.preview = Some(p);
            }
            None
        }
        Reply::Decided(d) => {
            if s.phase == Phase::Deciding && s.iid.as_deref() == Some(d.iid.as_str()) {
                s.phase = Phase::Decided;
                s.readback = None;
                s.checked.clear();
                s.check_typed.clear();
                s.scroll = 0;
                s.played = None;
                s.focus_decision = true;
                s.decision = Some(*d);
                // The seats the ID panel showed were those before the decision.
                if let Some(iid) = s.iid.clone() {
                    s.preview = None;
                    return Some(Msg::Intent(Intent::Preview { iid }));
                }
            }
            None
        }
        Reply::Played(what) => {
            s.played = Some(what);
            None
        }
        _ => None,
    }
}

/// A taken call: the groups the caller entered fill the ID.
pub fn continue_call(s: &mut ActivationState, call: CallView) -> Option<Msg> {
    *s = ActivationState::default();
    let text = call
        .installation_id
        .clone()
        .unwrap_or_else(|| call.groups.concat());
    s.digits = text
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| d as u8))
        .take(HOST_IID_DIGITS)
        .collect();
    let whole = s.iid_digits();
    s.digits.truncate(whole);
    s.call = Some(call);
    preview(s)
}
