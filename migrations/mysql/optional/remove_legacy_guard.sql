-- versioned-sessions: removes the optional guard_legacy_writes trigger (MySQL / MariaDB). Run by
-- `versioned-sessions migrate --remove-legacy-guard` (which also deletes the guard's record), or by hand
-- with the mysql client in the sessions table's database. Idempotent.
DROP TRIGGER IF EXISTS `$(SessionsTable)_vs_guard`;
