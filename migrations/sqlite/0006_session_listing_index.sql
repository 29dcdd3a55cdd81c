-- versioned-sessions 0006 (SQLite): the index behind listSessions() and pruneSessions(). Both read the
-- sessions table in (last-activity time, key) order from a position or below a cut-off: a keyset page
-- seeks this index at the previous page's last row, and a clean-up batch reads its range.
-- Idempotent: safe to run again.
CREATE INDEX IF NOT EXISTS "ix_$(SessionsTable)_updated_at_key" ON "$(SessionsTable)" ("$(UpdatedAtColumn)", "$(KeyColumn)");
