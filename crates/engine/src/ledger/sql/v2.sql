-- actline ledger, schema version 2: calls the IVR hands over to the agent desk.
CREATE TABLE handovers (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    call            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    groups          TEXT NOT NULL,   -- JSON array: the groups the caller entered and the IVR accepted
    installation_id TEXT,            -- when the caller completed it
    trace           TEXT NOT NULL,   -- JSON array: the decision trace, when one was made
    taken_by        TEXT,
    taken_at        TEXT
);
CREATE INDEX handovers_waiting ON handovers(taken_by, id);

-- Reactivation counts per seat (site hosts) without a scan.
CREATE INDEX activations_by_origin ON activations(reactivation_of);
