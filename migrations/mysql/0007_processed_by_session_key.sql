-- versioned-sessions 0007 (MySQL / MariaDB): processed operations keyed by (session key, id). Every
-- statement of the exactly-once message path finds an operation id together with its session key, so it
-- touches that key's rows only; this unique index is that key, and the one a table sharded by session_key
-- (Vitess, with session_key as the vindex column) can keep. Existing rows stay valid: ids are unique
-- already, so (session_key, id) is. MySQL 8 has no CREATE INDEX IF NOT EXISTS (MariaDB has), so the
-- index is created through a prepared statement only when information_schema does not list it: the same
-- text runs on both, through the migration runner and in the mysql client. Idempotent: safe to run again.
SET @versioned_sessions_0007 = IF(
  EXISTS (SELECT 1 FROM information_schema.STATISTICS
           WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$(ProcessedTable)' AND INDEX_NAME = 'ux_session_key_id'),
  'DO 0',
  'CREATE UNIQUE INDEX `ux_session_key_id` ON `$(ProcessedTable)` (session_key, id)'
);
PREPARE versioned_sessions_0007 FROM @versioned_sessions_0007;
EXECUTE versioned_sessions_0007;
DEALLOCATE PREPARE versioned_sessions_0007;
