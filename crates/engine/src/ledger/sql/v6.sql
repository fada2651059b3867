-- actline ledger, schema version 6: a call taken from the queue and not
-- finished goes back to it. The taker holds the call until `held_until`
-- (UTC, RFC 3339); the desk renews it every few seconds while the call is
-- open, so a desk that quits or crashes lets it go. A call ends when it is
-- decided or dismissed (a caller who hung up), and is then off the queue.
ALTER TABLE handovers ADD COLUMN held_until TEXT;
ALTER TABLE handovers ADD COLUMN ended_at TEXT;
ALTER TABLE handovers ADD COLUMN ended TEXT;  -- "decided" or "dismissed: REASON"
