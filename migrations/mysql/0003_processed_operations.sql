-- versioned-sessions 0003 (MySQL / MariaDB): the processed-operations table behind markProcessed() and
-- idempotency keys. An idempotent updateSession() records, in the transaction that bumps the version,
-- the session it committed (session_version, session_snapshot) so that a duplicate delivery or a retry
-- after a lost COMMIT reply can be answered with it; commit_token tells a call its own commit apart from
-- another delivery's. Ids and keys are VARBINARY, compared byte for byte like the session key.
-- Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS `$(ProcessedTable)` (
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
SELECT processed_at, commit_token, session_snapshot, session_version, session_key, id FROM `$(ProcessedTable)` WHERE 1 = 0;
