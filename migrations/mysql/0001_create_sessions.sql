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
CREATE TABLE IF NOT EXISTS `$(SessionsTable)` (
  `$(KeyColumn)` VARBINARY(1020) NOT NULL PRIMARY KEY,
  `$(StateColumn)` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  `$(DataColumn)` LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT ('{}'),
  `$(VersionColumn)` INT NOT NULL DEFAULT 0,
  `$(CreatedAtColumn)` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3)),
  `$(UpdatedAtColumn)` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3))
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
