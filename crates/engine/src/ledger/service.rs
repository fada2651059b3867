//! The ledger's part of the engine service: bearer tokens for remote desks,
//! replies kept by idempotency key, the role check every request passes,
//! and the lookup that makes a retried activation return the first one.

use super::db::vals;
use super::ActivationRow;
use super::{activation_row, audit, require_role, Ledger, LedgerError, ROW_SELECT};
use crate::entitlement::rules::Role;

impl Ledger {
    /// Refuses `actor` unless they are staff with at least `need`; `what`
    /// completes "only supervisors …" in the message. The service calls
    /// this once for every request, before doing anything.
    pub fn require(&self, actor: &str, need: Role, what: &str) -> Result<(), LedgerError> {
        require_role(&*self.db, actor, need, what, None)
    }

    /// The newest granted activation of exactly this installation ID whose
    /// seat is still held, if any: activating the same ID again (a retry,
    /// a repeated call) returns it instead of adding a row.
    pub fn granted_for(&self, installation_id: &str) -> Result<Option<ActivationRow>, LedgerError> {
        self.db
            .one(
                &format!(
                    "{ROW_SELECT} WHERE iid = ?1 AND decision = 'granted' AND released = 0 ORDER BY id DESC LIMIT 1"
                ),
                vals![installation_id],
            )?
            .map(|r| activation_row(&r))
            .transpose()
    }

    /// Stores the hash of a new bearer token for staff member `name`,
    /// replacing any earlier one (supervisors only; audited, the hash not
    /// shown).
    pub fn set_token(&mut self, actor: &str, name: &str, hash: &str) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_role(db, actor, Role::Supervisor, "issue tokens", None)?;
            if super::staff_role(db, name)?.is_none() {
                return Err(LedgerError::NotFound(format!(
                    "{name} is not on the staff list; add them first"
                )));
            }
            db.exec(
                "INSERT INTO tokens(name, hash, issued_at, issued_by) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(name) DO UPDATE SET hash = excluded.hash, issued_at = excluded.issued_at, issued_by = excluded.issued_by",
                vals![name, hash, crate::days::now_rfc3339(), actor],
            )?;
            audit::append(
                db,
                trail,
                actor,
                "token.issue",
                name,
                "",
                &serde_json::json!({}),
            )
        })
    }

    /// Revokes staff member `name`'s token (supervisors only; audited).
    pub fn revoke_token(&mut self, actor: &str, name: &str) -> Result<(), LedgerError> {
        self.write(|db, trail| {
            require_role(db, actor, Role::Supervisor, "revoke tokens", None)?;
            if db.exec("DELETE FROM tokens WHERE name = ?1", vals![name])? == 0 {
                return Err(LedgerError::NotFound(format!("{name} has no token")));
            }
            audit::append(
                db,
                trail,
                actor,
                "token.revoke",
                name,
                "",
                &serde_json::json!({}),
            )
        })
    }

    /// The staff member whose token has this hash, with when it was issued
    /// (RFC 3339), if any.
    pub fn token_owner(&self, hash: &str) -> Result<Option<(String, String)>, LedgerError> {
        self.db
            .one(
                "SELECT name, issued_at FROM tokens WHERE hash = ?1",
                vals![hash],
            )?
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .transpose()
    }

    /// The reply stored for `caller`'s idempotency `key`, with the request
    /// it answered (both as JSON text).
    pub fn idempotent_reply(
        &self,
        caller: &str,
        key: &str,
    ) -> Result<Option<(String, String)>, LedgerError> {
        self.db
            .one(
                "SELECT request, reply FROM idempotency WHERE caller = ?1 AND key = ?2",
                vals![caller, key],
            )?
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .transpose()
    }

    /// Keeps `reply` to `request` under `caller`'s idempotency `key`; the
    /// first reply stays when two arrive for the same key.
    pub fn keep_reply(
        &mut self,
        caller: &str,
        key: &str,
        request: &str,
        reply: &str,
    ) -> Result<(), LedgerError> {
        self.db.exec(
            "INSERT INTO idempotency(caller, key, request, reply, at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            vals![caller, key, request, reply, crate::days::now_rfc3339()],
        )?;
        Ok(())
    }
}
