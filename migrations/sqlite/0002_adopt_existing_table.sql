-- versioned-sessions 0002 (SQLite): adopts an existing sessions table. Adds the version column
-- (existing rows start at 0), the time columns, and a unique index on the key when the table has none
-- (the store's race-free create relies on it).
-- SQLite has no ADD COLUMN IF NOT EXISTS, so each step carries a guard comment that the migration
-- runner (`versioned-sessions migrate`, or migrate() from versioned-sessions/migrations) evaluates
-- right before the step: skip-if-column-exists <table> <column> and skip-if-unique <table> <column>.
-- The sqlite3 shell cannot evaluate guards: `versioned-sessions print --dialect sqlite` comments the
-- guarded steps out, so its script runs on a new database, and says how to adopt a table by hand.
-- SQLite adds a NOT NULL column only with a constant default: existing rows get the Unix epoch, then
-- the current time; the store writes both times explicitly on every insert.

-- versioned-sessions:skip-if-column-exists $(SessionsTable) $(VersionColumn)
ALTER TABLE "$(SessionsTable)" ADD COLUMN "$(VersionColumn)" INTEGER NOT NULL DEFAULT 0;

-- versioned-sessions:skip-if-column-exists $(SessionsTable) $(CreatedAtColumn)
ALTER TABLE "$(SessionsTable)" ADD COLUMN "$(CreatedAtColumn)" TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000Z';

-- versioned-sessions:skip-if-column-exists $(SessionsTable) $(UpdatedAtColumn)
ALTER TABLE "$(SessionsTable)" ADD COLUMN "$(UpdatedAtColumn)" TEXT NOT NULL DEFAULT '1970-01-01T00:00:00.000Z';

UPDATE "$(SessionsTable)"
   SET "$(CreatedAtColumn)" = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE "$(CreatedAtColumn)" = '1970-01-01T00:00:00.000Z';

UPDATE "$(SessionsTable)"
   SET "$(UpdatedAtColumn)" = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE "$(UpdatedAtColumn)" = '1970-01-01T00:00:00.000Z';

-- versioned-sessions:skip-if-unique $(SessionsTable) $(KeyColumn)
CREATE UNIQUE INDEX IF NOT EXISTS "ux_$(SessionsTable)_$(KeyColumn)" ON "$(SessionsTable)" ("$(KeyColumn)");
