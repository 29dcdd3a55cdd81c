-- versioned-sessions: removes the optional guard_legacy_writes trigger and its function (PostgreSQL).
-- Run by `versioned-sessions migrate --remove-legacy-guard` (which also deletes the guard's record), or
-- by hand with psql -f once rendered (`versioned-sessions print --remove-legacy-guard`). Idempotent.
DROP TRIGGER IF EXISTS "$(SessionsTable)_vs_guard" ON "$(Schema)"."$(SessionsTable)";

DROP FUNCTION IF EXISTS "$(Schema)"."$(SessionsTable)_vs_guard"();
