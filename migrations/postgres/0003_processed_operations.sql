-- versioned-sessions 0003 (PostgreSQL): the processed-operations table behind markProcessed() and
-- idempotency keys. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(Schema)"."$(ProcessedTable)" (
  id varchar(255) NOT NULL PRIMARY KEY,
  session_key varchar(255),
  session_version integer,
  processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS "ix_$(ProcessedTable)_processed_at" ON "$(Schema)"."$(ProcessedTable)" (processed_at);
