-- actline ledger, schema version 1.
CREATE TABLE meta (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);

CREATE TABLE products (
    code INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE keys (
    serial           INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    product          INTEGER NOT NULL REFERENCES products(code),
    agreement        TEXT,
    activation_limit INTEGER NOT NULL CHECK (activation_limit >= 0),
    revoked          INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL
);

-- Every decision, granted or denied, with its trace.
CREATE TABLE activations (
    id              INTEGER PRIMARY KEY,
    key_serial      INTEGER REFERENCES keys(serial),
    product         INTEGER NOT NULL,
    iid             TEXT NOT NULL,
    hardware        TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('granted', 'denied')),
    new_seat        INTEGER NOT NULL DEFAULT 0,
    reactivation_of INTEGER REFERENCES activations(id),
    released        INTEGER NOT NULL DEFAULT 0,
    confirmation_id TEXT,
    trace           TEXT NOT NULL,
    label           TEXT,
    actor           TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX activations_by_key ON activations(key_serial, decision);
CREATE INDEX activations_by_iid ON activations(iid);

-- Append-only; each entry chains the hash of the previous one.
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL,
    prev    TEXT NOT NULL,
    hash    TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

CREATE TABLE staff (
    name     TEXT PRIMARY KEY,
    role     TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    added_at TEXT NOT NULL
);
