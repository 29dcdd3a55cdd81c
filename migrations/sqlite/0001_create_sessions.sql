-- versioned-sessions 0001 (SQLite): the sessions table, for a new install. Times are ISO-8601 UTC text.
-- Every name below is filled in from the configuration; `versioned-sessions print --dialect sqlite` renders
-- this file for the sqlite3 shell, and the runner applies it. Idempotent: safe to run again.
CREATE TABLE IF NOT EXISTS "$(SessionsTable)" (
  "$(KeyColumn)" TEXT NOT NULL PRIMARY KEY,
  "$(StateColumn)" TEXT,
  "$(DataColumn)" TEXT NOT NULL DEFAULT '{}',
  "$(VersionColumn)" INTEGER NOT NULL DEFAULT 0,
  "$(CreatedAtColumn)" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  "$(UpdatedAtColumn)" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
