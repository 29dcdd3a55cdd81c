-- versioned-sessions 0005 (MySQL / MariaDB): the transition history table. With `history: true` every
-- versioned write records (key, version, previous state, state, origin, reason, time) here in the same
-- transaction as the write; getSessionHistory() reads it per key by version, pruneHistory() trims it by
-- age. Empty and unused until a store turns history on. The key is VARBINARY like the session key,
-- compared byte for byte; times are DATETIME(3) UTC. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS `$(HistoryTable)` (
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
SELECT changed_at, reason, origin, state, previous_state, session_version, session_key, id FROM `$(HistoryTable)` WHERE 1 = 0;
