//! The audit trail: append-only, hash-chained.

use super::LedgerError;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// One audit entry.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// UTC time.
    pub at: String,
    /// Who (operating-system user, or "self-service").
    pub actor: String,
    /// What (for example `key.limit`).
    pub action: String,
    /// On what.
    pub subject: String,
    /// Details and reason.
    pub detail: String,
    /// Hash of this entry (chains the previous one).
    pub hash: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn hash(
    prev: &str,
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, &id.to_string(), at, actor, action, subject, detail] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an entry inside the caller's transaction.
pub(super) fn append(
    conn: &Connection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), LedgerError> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, prev) = last
        .map(|(i, h)| (i + 1, h))
        .unwrap_or((1, GENESIS.to_string()));
    let at = crate::days::now_rfc3339();
    let h = hash(&prev, id, &at, actor, action, subject, detail);
    conn.prepare_cached("INSERT INTO audit(id, at, actor, action, subject, detail, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?
        .execute(params![id, at, actor, action, subject, detail, prev, h])?;
    Ok(())
}

/// All entries, oldest first.
pub(super) fn entries(conn: &Connection) -> Result<Vec<AuditEntry>, LedgerError> {
    let mut stmt =
        conn.prepare("SELECT id, at, actor, action, subject, detail, hash FROM audit ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(AuditEntry {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            subject: r.get(4)?,
            detail: r.get(5)?,
            hash: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Recomputes the chain.
pub(super) fn verify(conn: &Connection) -> Result<(usize, String), LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT id, at, actor, action, subject, detail, prev, hash FROM audit ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expect_id = 1;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let (at, actor, action, subject, detail, p, h): (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        ) = (
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
        );
        if id != expect_id {
            return Err(LedgerError::Refused(format!(
                "audit entry {expect_id} is missing (next is {id})"
            )));
        }
        if p != prev || hash(&prev, id, &at, &actor, &action, &subject, &detail) != h {
            return Err(LedgerError::Refused(format!(
                "audit entry {id} does not chain: the trail was altered at or before entry {id}"
            )));
        }
        prev = h;
        expect_id += 1;
        n += 1;
    }
    // The chain cannot show entries cut from its end; the activations table
    // can: every decision wrote one entry.
    let unaudited: Option<i64> = conn.query_row(
        "SELECT min(id) FROM activations WHERE ('activation #' || id) NOT IN (SELECT subject FROM audit WHERE action = 'activate')",
        [],
        |r| r.get(0),
    )?;
    if let Some(id) = unaudited {
        return Err(LedgerError::Refused(format!(
            "activation #{id} has no audit entry: entries were removed from the trail"
        )));
    }
    Ok((n, prev))
}
