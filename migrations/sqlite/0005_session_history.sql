-- versioned-sessions 0005 (SQLite): the transition history table. With `history: true` every
-- versioned write records (key, version, previous state, state, origin, reason, time) here in the same
-- transaction as the write; getSessionHistory() reads it per key by version, pruneHistory() trims it by
-- age. Empty and unused until a store turns history on. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(HistoryTable)" (
  id INTEGER PRIMARY KEY,
  session_key TEXT NOT NULL,
  session_version INTEGER NOT NULL,
  previous_state TEXT,
  state TEXT,
  origin TEXT,
  reason TEXT,
  changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX IF NOT EXISTS "ix_$(HistoryTable)_key_version" ON "$(HistoryTable)" (session_key, session_version);

CREATE INDEX IF NOT EXISTS "ix_$(HistoryTable)_changed_at" ON "$(HistoryTable)" (changed_at);
