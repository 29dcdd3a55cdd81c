-- versioned-sessions 0001 (PostgreSQL): the sessions table, for a new install.
-- Every name below is filled in from the configuration; `versioned-sessions print --dialect postgres`
-- renders this file for psql -f, and the runner applies it. Idempotent: safe to run again.
CREATE SCHEMA IF NOT EXISTS "$(Schema)";

CREATE TABLE IF NOT EXISTS "$(Schema)"."$(SessionsTable)" (
  "$(KeyColumn)" varchar(255) NOT NULL PRIMARY KEY,
  "$(StateColumn)" varchar(255),
  "$(DataColumn)" jsonb NOT NULL DEFAULT '{}'::jsonb,
  "$(VersionColumn)" integer NOT NULL DEFAULT 0,
  "$(CreatedAtColumn)" timestamptz NOT NULL DEFAULT now(),
  "$(UpdatedAtColumn)" timestamptz NOT NULL DEFAULT now()
);
