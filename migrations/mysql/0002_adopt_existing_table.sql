-- versioned-sessions 0002 (MySQL / MariaDB): adopts an existing sessions table. Adds the version column
-- (existing rows start at 0), the time columns, and a unique index on the key when the table has none
-- (the store's race-free create relies on it). Columns and rows already there are left as they are.
-- MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB has), so each step carries a guard comment that the
-- migration runner (`versioned-sessions migrate`, or migrate() from versioned-sessions/migrations)
-- evaluates against information_schema right before the step: skip-if-column-exists <table> <column>
-- and skip-if-unique <table> <column>. The mysql client cannot evaluate guards: `versioned-sessions
-- print --dialect mysql` comments the guarded steps out, so its script runs on a new database.
-- Existing rows get the current UTC time as both times; the store writes both explicitly on every insert.

-- versioned-sessions:skip-if-column-exists $(SessionsTable) $(VersionColumn)
ALTER TABLE `$(SessionsTable)` ADD COLUMN `$(VersionColumn)` INT NOT NULL DEFAULT 0;

-- versioned-sessions:skip-if-column-exists $(SessionsTable) $(CreatedAtColumn)
ALTER TABLE `$(SessionsTable)` ADD COLUMN `$(CreatedAtColumn)` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

-- versioned-sessions:skip-if-column-exists $(SessionsTable) $(UpdatedAtColumn)
ALTER TABLE `$(SessionsTable)` ADD COLUMN `$(UpdatedAtColumn)` DATETIME(3) NOT NULL DEFAULT (UTC_TIMESTAMP(3));

-- An index name is scoped to its table in MySQL, so a fixed one fits every configured name's length.
-- versioned-sessions:skip-if-unique $(SessionsTable) $(KeyColumn)
CREATE UNIQUE INDEX `ux_versioned_sessions_key` ON `$(SessionsTable)` (`$(KeyColumn)`);
