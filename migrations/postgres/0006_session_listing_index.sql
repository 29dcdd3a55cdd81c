-- versioned-sessions 0006 (PostgreSQL): the index behind listSessions() and pruneSessions(). Both read
-- the sessions table in (last-activity time, key) order from a position or below a cut-off: a keyset
-- page seeks this index at the previous page's last row, and a clean-up batch reads its range.
-- Idempotent: safe to run again.
-- CREATE INDEX blocks writes to the table while it builds. On a large, busy table, build it first
-- without blocking, under the same name, and this migration then finds it and only records itself:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_<table>_updated_at_key" ON "<schema>"."<table>" ("<updated_at>", "<key>");
CREATE INDEX IF NOT EXISTS "ix_$(SessionsTable)_updated_at_key" ON "$(Schema)"."$(SessionsTable)" ("$(UpdatedAtColumn)", "$(KeyColumn)");
