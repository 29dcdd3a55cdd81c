-- versioned-sessions: removes the optional guard_legacy_writes trigger (SQLite). Run by
-- `versioned-sessions migrate --remove-legacy-guard` (which also deletes the guard's record), or by hand
-- in the sqlite3 shell. Idempotent.
DROP TRIGGER IF EXISTS "$(SessionsTable)_vs_guard";
