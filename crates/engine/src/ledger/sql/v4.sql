-- actline ledger, schema version 4: the service's tables.
-- `tokens`: bearer tokens for remote desks, one per staff member, stored as
-- the SHA-256 of the token (the token itself is shown once, when issued).
-- `idempotency`: replies to requests that changed state, by the caller's
-- idempotency key, so a retried request returns the first reply.
CREATE TABLE tokens (
    name       TEXT PRIMARY KEY REFERENCES staff(name),
    hash       TEXT NOT NULL UNIQUE,
    issued_at  TEXT NOT NULL,
    issued_by  TEXT NOT NULL
);
CREATE TABLE idempotency (
    caller     TEXT NOT NULL,
    key        TEXT NOT NULL,
    request    TEXT NOT NULL,
    reply      TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (caller, key)
);
