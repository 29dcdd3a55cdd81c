-- versioned-sessions 0005 (PostgreSQL): the transition history table. With `history: true` every
-- versioned write records (key, version, previous state, state, origin, reason, time) here in the same
-- transaction as the write; getSessionHistory() reads it per key by version, pruneHistory() trims it by
-- age. Empty and unused until a store turns history on. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(Schema)"."$(HistoryTable)" (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_key varchar(255) NOT NULL,
  session_version integer NOT NULL,
  previous_state varchar(255),
  state varchar(255),
  origin varchar(32),
  reason varchar(255),
  changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS "ix_$(HistoryTable)_key_version" ON "$(Schema)"."$(HistoryTable)" (session_key, session_version);

CREATE INDEX IF NOT EXISTS "ix_$(HistoryTable)_changed_at" ON "$(Schema)"."$(HistoryTable)" (changed_at);
