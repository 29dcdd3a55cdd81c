-- versioned-sessions 0006 (MySQL / MariaDB): the index behind listSessions() and pruneSessions(). Both
-- read the sessions table in (last-activity time, key) order from a position or below a cut-off: a
-- keyset page seeks this index at the previous page's last row, and a clean-up batch reads its range.
-- MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has), so the step carries a guard that the
-- migration runner evaluates against information_schema right before it: skip-if-index-exists
-- <table> <index>. `versioned-sessions print --dialect mysql` comments the guarded step out; run it by
-- hand once when the table has no index of that name. InnoDB builds it online (writes go on).

-- An index name is scoped to its table in MySQL, so a fixed one fits every configured name's length.
-- versioned-sessions:skip-if-index-exists $(SessionsTable) ix_versioned_sessions_updated_at_key
CREATE INDEX `ix_versioned_sessions_updated_at_key` ON `$(SessionsTable)` (`$(UpdatedAtColumn)`, `$(KeyColumn)`);
