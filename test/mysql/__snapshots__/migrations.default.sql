-- ==== versioned-sessions migration 0001_create_sessions (sha256 82887f8a842dd41e4f47c1e39960dfb2a3973162d0fd41299ab9331b3eebb2b9) ====
-- versioned-sessions 0001 (MySQL / MariaDB): the sessions table, for a new install, in the connection's
-- current database. Every name below is filled in from the configuration; `versioned-sessions print
-- --dialect mysql` renders this file for the mysql / mariadb client, and the runner applies it.
-- Idempotent: safe to run again.
-- The key is VARBINARY: compared byte for byte, so '+52…A' and '+52…a' are two sessions and a trailing
-- space is part of the key (a utf8mb4_*_ci column would merge the first pair, and every PAD SPACE
-- collation, utf8mb4_bin included, the second). The data is JSON as utf8mb4 text, byte for byte what the
-- store wrote; it carries no JSON_VALID check: MariaDB's refuses documents nested deeper than 32 levels
-- and MySQL's deeper than 100, which the store accepts. Times are DATETIME(3) in UTC: the store writes
-- UTC_TIMESTAMP(3), which no session time_zone changes. The defaults are for rows written by other code;
-- expression defaults need MariaDB 10.2+ or MySQL 8.0.13+.
CREATE TABLE IF NOT EXISTS `sessions` (
  `key` VARBINARY(1020) NOT NULL PRIMARY KEY,
  `state` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  `data` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT ('{}'),
  `version` INT NOT NULL DEFAULT 0,
  `created_at` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
  `updated_at` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3))
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- ==== versioned-sessions migration 0002_adopt_existing_table (sha256 3d5b0bca9803e54c5365a1b8569d4d6aebad762e9ae9e6844dec17cbf9208635) ====
-- Guarded: `versioned-sessions migrate` runs this only when needed. To adopt an existing table in the mysql client, uncomment it if its guard does not hold.
-- versioned-sessions 0002 (MySQL / MariaDB): adopts an existing sessions table. Adds the version column
-- (existing rows start at 0), the time columns, and a unique index on the key when the table has none
-- (the store's race-free create relies on it). Columns and rows already there are left as they are.
-- MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB has), so each step carries a guard comment that the
-- migration runner (`versioned-sessions migrate`, or migrate() from versioned-sessions/migrations)
-- evaluates against information_schema right before the step: skip-if-column-exists <table> <column>
-- and skip-if-unique <table> <column>. The mysql client cannot evaluate guards: `versioned-sessions
-- print --dialect mysql` comments the guarded steps out, so its script runs on a new database.
-- Existing rows get the current UTC time as both times; the store writes both explicitly on every insert.
-- 
-- versioned-sessions:skip-if-column-exists sessions version
-- ALTER TABLE `sessions` ADD COLUMN `version` INT NOT NULL DEFAULT 0;

-- Guarded: `versioned-sessions migrate` runs this only when needed. To adopt an existing table in the mysql client, uncomment it if its guard does not hold.
-- versioned-sessions:skip-if-column-exists sessions created_at
-- ALTER TABLE `sessions` ADD COLUMN `created_at` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

-- Guarded: `versioned-sessions migrate` runs this only when needed. To adopt an existing table in the mysql client, uncomment it if its guard does not hold.
-- versioned-sessions:skip-if-column-exists sessions updated_at
-- ALTER TABLE `sessions` ADD COLUMN `updated_at` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

-- Guarded: `versioned-sessions migrate` runs this only when needed. To adopt an existing table in the mysql client, uncomment it if its guard does not hold.
-- An index name is scoped to its table in MySQL, so a fixed one fits every configured name's length.
-- versioned-sessions:skip-if-unique sessions key
-- CREATE UNIQUE INDEX `ux_versioned_sessions_key` ON `sessions` (`key`);

-- ==== versioned-sessions migration 0003_processed_operations (sha256 5b54eefc50b0ca47f3162a38861ff3aca21d50d96b52853e309e3c6a5a52a92a) ====
-- versioned-sessions 0003 (MySQL / MariaDB): the processed-operations table behind markProcessed() and
-- idempotency keys. An idempotent updateSession() records, in the transaction that bumps the version,
-- the session it committed (session_version, session_snapshot) so that a duplicate delivery or a retry
-- after a lost COMMIT reply can be answered with it; commit_token tells a call its own commit apart from
-- another delivery's. Ids and keys are VARBINARY, compared byte for byte like the session key.
-- Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS `processed_operations` (
  id VARBINARY(1020) NOT NULL PRIMARY KEY,
  session_key VARBINARY(1020) NULL,
  session_version INT NULL,
  session_snapshot LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  commit_token VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  processed_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
  INDEX `ix_processed_at` (processed_at)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- A processed-operations table made elsewhere, under this name, is kept by CREATE TABLE IF NOT EXISTS;
-- this read fails (1054, naming the column) when it lacks a column the store uses, so the migration
-- fails instead of leaving a table the store cannot write.
SELECT processed_at, commit_token, session_snapshot, session_version, session_key, id FROM `processed_operations` WHERE 1 = 0;

-- ==== versioned-sessions migration 0005_session_history (sha256 6b9839cdd7de454351ac6942c78c0dfa14e021f3a02c0c12882343759d2cbab4) ====
-- versioned-sessions 0005 (MySQL / MariaDB): the transition history table. With `history: true` every
-- versioned write records (key, version, previous state, state, origin, reason, time) here in the same
-- transaction as the write; getSessionHistory() reads it per key by version, pruneHistory() trims it by
-- age. Empty and unused until a store turns history on. The key is VARBINARY like the session key,
-- compared byte for byte; times are DATETIME(3) UTC. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS `session_history` (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  session_key VARBINARY(1020) NOT NULL,
  session_version INT NOT NULL,
  previous_state VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  state VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  origin VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  reason VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  changed_at DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
  INDEX `ix_key_version` (session_key, session_version),
  INDEX `ix_changed_at` (changed_at)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- A history table made elsewhere, under this name, is kept by CREATE TABLE IF NOT EXISTS; this read
-- fails (1054, naming the column) when it lacks a column the store uses, so the migration fails
-- instead of leaving a table the store cannot write.
SELECT changed_at, reason, origin, state, previous_state, session_version, session_key, id FROM `session_history` WHERE 1 = 0;

-- ==== versioned-sessions migration 0006_session_listing_index (sha256 20c03738b8e027d416af7e4dc32814454341c714c70a2d7ff36bdaa5bfbb421f) ====
-- Guarded: `versioned-sessions migrate` runs this only when needed. To adopt an existing table in the mysql client, uncomment it if its guard does not hold.
-- versioned-sessions 0006 (MySQL / MariaDB): the index behind listSessions() and pruneSessions(). Both
-- read the sessions table in (last-activity time, key) order from a position or below a cut-off: a
-- keyset page seeks this index at the previous page's last row, and a clean-up batch reads its range.
-- MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has), so the step carries a guard that the
-- migration runner evaluates against information_schema right before it: skip-if-index-exists
-- <table> <index>. `versioned-sessions print --dialect mysql` comments the guarded step out; run it by
-- hand once when the table has no index of that name. InnoDB builds it online (writes go on).
-- 
-- An index name is scoped to its table in MySQL, so a fixed one fits every configured name's length.
-- versioned-sessions:skip-if-index-exists sessions ix_versioned_sessions_updated_at_key
-- CREATE INDEX `ix_versioned_sessions_updated_at_key` ON `sessions` (`updated_at`, `key`);

-- ==== versioned-sessions migration 0007_processed_by_session_key (sha256 ebfcb9b3681fd76091f8bd58cffb60346556248e469559d5d1c57a54550aaa33) ====
-- versioned-sessions 0007 (MySQL / MariaDB): processed operations keyed by (session key, id). Every
-- statement of the exactly-once message path finds an operation id together with its session key, so it
-- touches that key's rows only; this unique index is that key, and the one a table sharded by session_key
-- (Vitess, with session_key as the vindex column) can keep. Existing rows stay valid: ids are unique
-- already, so (session_key, id) is. MySQL 8 has no CREATE INDEX IF NOT EXISTS (MariaDB has), so the
-- index is created through a prepared statement only when information_schema does not list it: the same
-- text runs on both, through the migration runner and in the mysql client. Idempotent: safe to run again.
SET @versioned_sessions_0007 = IF(
  EXISTS (SELECT 1 FROM information_schema.STATISTICS
           WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'processed_operations' AND INDEX_NAME = 'ux_session_key_id'),
  'DO 0',
  'CREATE UNIQUE INDEX `ux_session_key_id` ON `processed_operations` (session_key, id)'
);

PREPARE versioned_sessions_0007 FROM @versioned_sessions_0007;

EXECUTE versioned_sessions_0007;

DEALLOCATE PREPARE versioned_sessions_0007;
