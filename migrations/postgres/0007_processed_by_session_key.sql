-- versioned-sessions 0007 (PostgreSQL): processed operations keyed by (session key, id). Every statement
-- of the exactly-once message path finds an operation id together with its session key, so it touches
-- that key's rows only; this unique index is that key. It is also the unique key a table distributed by
-- session_key can keep (Citus requires the distribution column in every unique index; see "Scaling out"
-- in docs/exactly-once.md). Existing rows stay valid: ids are unique already, so (session_key, id) is.
-- Idempotent: safe to run again.
CREATE UNIQUE INDEX IF NOT EXISTS "ux_$(ProcessedTable)_session_key_id" ON "$(Schema)"."$(ProcessedTable)" (session_key, id);
