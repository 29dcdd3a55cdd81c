-- versioned-sessions 0003 (SQLite): the processed-operations table behind markProcessed() and
-- idempotency keys. An idempotent updateSession() records, in the transaction that bumps the version,
-- the session it committed (session_version, session_snapshot) so that a duplicate delivery can be
-- answered with it; commit_token tells a call its own commit apart from another delivery's.
-- Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(ProcessedTable)" (
  id TEXT NOT NULL PRIMARY KEY,
  session_key TEXT,
  session_version INTEGER,
  session_snapshot TEXT,
  commit_token TEXT,
  processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX IF NOT EXISTS "ix_$(ProcessedTable)_processed_at" ON "$(ProcessedTable)" (processed_at);
