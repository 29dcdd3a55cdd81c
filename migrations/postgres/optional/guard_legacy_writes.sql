-- versioned-sessions optional migration guard_legacy_writes (PostgreSQL): catches writers that do not
-- use the library. Applied only when asked (`versioned-sessions migrate --guard-legacy-writes`, or
-- migrate({ guardLegacyWrites: true })), recorded like the numbered migrations.
-- A BEFORE UPDATE trigger bumps the version of every row whose state or data an UPDATE changed without
-- changing the version itself: a legacy `UPDATE … SET state = …` then counts as a write, and a versioned
-- writer that read the row before it gets a ConcurrencyError instead of silently overwriting it. The
-- library's own writes set the version (no second bump); touchSession changes neither state nor data
-- (no bump). Costs one trigger call per UPDATE of the table; remove it with
-- `versioned-sessions migrate --remove-legacy-guard` once the legacy code is gone.
-- Idempotent: the function is replaced and the trigger re-created in one transaction.
CREATE OR REPLACE FUNCTION "$(Schema)"."$(SessionsTable)_vs_guard"() RETURNS trigger
LANGUAGE plpgsql AS $guard$
BEGIN
  IF NEW."$(VersionColumn)" IS NOT DISTINCT FROM OLD."$(VersionColumn)"
     AND (NEW."$(StateColumn)" IS DISTINCT FROM OLD."$(StateColumn)"
          OR NEW."$(DataColumn)"::text IS DISTINCT FROM OLD."$(DataColumn)"::text) THEN
    NEW."$(VersionColumn)" := COALESCE(OLD."$(VersionColumn)", 0) + 1;
  END IF;
  RETURN NEW;
END
$guard$;

DROP TRIGGER IF EXISTS "$(SessionsTable)_vs_guard" ON "$(Schema)"."$(SessionsTable)";

CREATE TRIGGER "$(SessionsTable)_vs_guard" BEFORE UPDATE ON "$(Schema)"."$(SessionsTable)"
  FOR EACH ROW EXECUTE FUNCTION "$(Schema)"."$(SessionsTable)_vs_guard"();
