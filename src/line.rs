//! The telephone line wired to the engine: the IVR's [`Desk`] backed by the
//! ledger and the secrets.
//!
//! The IVR crate knows nothing of the ledger: its runner asks a [`Desk`] for
//! decisions and hand-overs. [`LedgerDesk`] is the desk that answers from an
//! open ledger, as a self-service caller.

use crate::entitlement::rules::{Channel, DenyReason};
use crate::home::Secrets;
use crate::ids::InstallationId;
use crate::ivr::call::Desk;
use crate::ivr::flow::CallDecision;
use crate::ledger::Ledger;
use crate::voice::Prompt;
use std::sync::Mutex;

/// What the IVR tells a caller for a denial reason.
pub fn reason_prompt(reason: DenyReason) -> Prompt {
    match reason {
        DenyReason::SeatsExhausted | DenyReason::ReactivationLimit => Prompt::ReasonSeats,
        DenyReason::UnknownKey | DenyReason::ProofMismatch | DenyReason::Revoked => {
            Prompt::ReasonKey
        }
        DenyReason::WrongProduct
        | DenyReason::OwnKeyRequired
        | DenyReason::UnknownProduct
        | DenyReason::NotAHost => Prompt::ReasonProduct,
        _ => Prompt::ReasonOther,
    }
}

/// The real desk: decisions and hand-overs through the ledger, as a
/// self-service caller.
pub struct LedgerDesk {
    ledger: Mutex<Ledger>,
    secrets: Secrets,
    today: u16,
}

impl LedgerDesk {
    /// A desk over an open ledger.
    pub fn new(ledger: Ledger, secrets: Secrets, today: u16) -> Self {
        Self {
            ledger: Mutex::new(ledger),
            secrets,
            today,
        }
    }
}

impl Desk for LedgerDesk {
    fn decide(&self, call: &str, iid: &InstallationId) -> CallDecision {
        let Ok(mut ledger) = self.ledger.lock() else {
            return unavailable("the ledger is unavailable");
        };
        match ledger.activate(
            iid,
            &Channel::SelfService,
            None,
            Some(call),
            self.today,
            &|g, p, i| self.secrets.confirmation_id(g, p, i),
        ) {
            Ok(a) => CallDecision {
                granted: a.decision.outcome.is_ok(),
                short_reason: a
                    .decision
                    .outcome
                    .as_ref()
                    .err()
                    .map(|d| reason_prompt(d.reason)),
                confirmation_id: a.confirmation_id,
                reasons: a.decision.trace,
            },
            Err(e) => unavailable(&format!("the ledger could not decide: {e}")),
        }
    }

    fn hand_over(
        &self,
        call: &str,
        reason: &str,
        groups: &[String],
        installation_id: Option<&str>,
        reasons: &[String],
    ) {
        if let Ok(mut ledger) = self.ledger.lock() {
            // A hand-over that cannot be stored is still a transfer; the
            // transcript has everything.
            let _ = ledger.hand_over(call, reason, groups, installation_id, reasons);
        }
    }
}

fn unavailable(why: &str) -> CallDecision {
    CallDecision {
        granted: false,
        confirmation_id: None,
        reasons: vec![format!("{why}: transfer to an agent")],
        short_reason: Some(Prompt::ReasonOther),
    }
}
