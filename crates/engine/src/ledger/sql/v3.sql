-- actline ledger, schema version 3: audit entries carry replay data.
-- `data` is a JSON object saying what the change did (see src/ledger/audit.rs);
-- it is part of the entry's hash. Entries written before this version have
-- none; the upgrade appends one `ledger.upgrade` entry with the state as it
-- was, from which `audit verify` replays.
ALTER TABLE audit ADD COLUMN data TEXT;
