-- versioned-sessions 0002 (PostgreSQL): adopts an existing sessions table. Adds the version column
-- (existing rows start at 0), the time columns, and a unique index on the key when the table has none
-- (the store's race-free create relies on it). Idempotent: every step checks before it changes.
ALTER TABLE "$(Schema)"."$(SessionsTable)" ADD COLUMN IF NOT EXISTS "$(VersionColumn)" integer NOT NULL DEFAULT 0;
ALTER TABLE "$(Schema)"."$(SessionsTable)" ADD COLUMN IF NOT EXISTS "$(CreatedAtColumn)" timestamptz NOT NULL DEFAULT now();
ALTER TABLE "$(Schema)"."$(SessionsTable)" ADD COLUMN IF NOT EXISTS "$(UpdatedAtColumn)" timestamptz NOT NULL DEFAULT now();

DO $versioned_sessions$
BEGIN
  IF NOT EXISTS (
    SELECT 1
      FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE i.indrelid = '"$(Schema)"."$(SessionsTable)"'::regclass
       AND i.indisunique
       AND i.indnkeyatts = 1
       AND a.attname = '$(KeyColumn)'
  ) THEN
    CREATE UNIQUE INDEX "ux_$(SessionsTable)_$(KeyColumn)" ON "$(Schema)"."$(SessionsTable)" ("$(KeyColumn)");
  END IF;
END
$versioned_sessions$;
