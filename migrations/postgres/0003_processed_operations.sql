-- versioned-sessions 0003 (PostgreSQL): the processed-operations table behind markProcessed() and
-- idempotency keys. An idempotent updateSession() records, in the transaction that bumps the version,
-- the session it committed (session_version, session_snapshot) so that a duplicate delivery or a retry
-- after a lost COMMIT reply can be answered with it; commit_token tells a call its own commit apart from
-- another delivery's. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(Schema)"."$(ProcessedTable)" (
  id varchar(255) NOT NULL PRIMARY KEY,
  session_key varchar(255),
  session_version integer,
  session_snapshot text,
  commit_token varchar(36),
  processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS "ix_$(ProcessedTable)_processed_at" ON "$(Schema)"."$(ProcessedTable)" (processed_at);
