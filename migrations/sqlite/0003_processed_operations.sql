-- versioned-sessions 0003 (SQLite): the processed-operations table behind markProcessed() and
-- idempotency keys. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(ProcessedTable)" (
  id TEXT NOT NULL PRIMARY KEY,
  session_key TEXT,
  session_version INTEGER,
  processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX IF NOT EXISTS "ix_$(ProcessedTable)_processed_at" ON "$(ProcessedTable)" (processed_at);
