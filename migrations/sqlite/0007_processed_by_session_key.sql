-- versioned-sessions 0007 (SQLite): processed operations keyed by (session key, id). Every statement of
-- the exactly-once message path finds an operation id together with its session key, so it touches that
-- key's rows only; this unique index is that key, as on the server dialects. Existing rows stay valid:
-- ids are unique already, so (session_key, id) is. Idempotent: safe to run again.
CREATE UNIQUE INDEX IF NOT EXISTS "ux_$(ProcessedTable)_session_key_id" ON "$(ProcessedTable)" (session_key, id);
