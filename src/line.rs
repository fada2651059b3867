//! The telephone line wired to the engine: the IVR's [`Desk`] backed by the
//! engine service.
//!
//! The IVR crate knows nothing of the ledger or the secrets: its runner asks
//! a [`Desk`] for decisions and hand-overs. [`EngineDesk`] turns them into
//! engine [`Request`]s, so the IVR works the same on a home in process and
//! through `actline serve`.

use crate::entitlement::rules::DenyReason;
use crate::ids::InstallationId;
use crate::ivr::call::Desk;
use crate::ivr::flow::CallDecision;
use crate::service::{ApiError, Reply, Request};
use crate::voice::Prompt;

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
        | DenyReason::NotAHost
        | DenyReason::HostLayout => Prompt::ReasonProduct,
        _ => Prompt::ReasonOther,
    }
}

/// The IVR's desk backed by the engine: every decision and hand-over is a
/// [`Request`] to `call`, which is [`Service::handle`](crate::service::Service::handle)
/// in this process or a client of a running service. The caller is decided
/// as on the self-service line (no partner keys), whoever runs the IVR.
pub struct EngineDesk<F> {
    call: F,
}

impl<F> EngineDesk<F>
where
    F: Fn(&Request) -> Result<Reply, ApiError> + Sync,
{
    /// A desk sending its requests to `call`.
    pub fn new(call: F) -> Self {
        Self { call }
    }
}

impl<F> Desk for EngineDesk<F>
where
    F: Fn(&Request) -> Result<Reply, ApiError> + Sync,
{
    fn decide(&self, call: &str, iid: &InstallationId) -> CallDecision {
        let request = Request::Activate {
            installation_id: iid.to_string(),
            agreement: None,
            label: Some(call.to_string()),
            self_service: true,
        };
        match (self.call)(&request) {
            Ok(Reply::Activation(a)) => CallDecision {
                granted: a.granted(),
                short_reason: a.denial.map(reason_prompt),
                confirmation_id: a.confirmation_id,
                reasons: a.reasons,
            },
            Ok(_) => unavailable("the engine answered something else"),
            Err(e) => unavailable(&format!("the engine could not decide: {e}")),
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
        // A hand-over that cannot be stored is still a transfer; the
        // transcript has everything.
        let _ = (self.call)(&Request::HandOver {
            call: call.to_string(),
            reason: reason.to_string(),
            groups: groups.to_vec(),
            installation_id: installation_id.map(str::to_string),
            reasons: reasons.to_vec(),
        });
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
