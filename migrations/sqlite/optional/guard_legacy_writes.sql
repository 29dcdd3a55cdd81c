-- versioned-sessions optional migration guard_legacy_writes (SQLite): catches writers that do not use
-- the library. Applied only when asked (`versioned-sessions migrate --guard-legacy-writes`, or
-- migrate({ guardLegacyWrites: true })), recorded like the numbered migrations.
-- An AFTER UPDATE trigger bumps the version of every row whose state or data an UPDATE changed without
-- changing the version itself: a legacy `UPDATE … SET state = …` then counts as a write, and a versioned
-- writer that read the row before it gets a ConcurrencyError instead of silently overwriting it. The
-- library's own writes set the version (the WHEN clause skips them); touchSession sets neither state nor
-- data (`UPDATE OF` does not fire). The trigger's own UPDATE sets only the version, so it never fires
-- the trigger again, with or without PRAGMA recursive_triggers. Remove it with
-- `versioned-sessions migrate --remove-legacy-guard` once the legacy code is gone.
-- Idempotent: dropped and re-created in one transaction.
DROP TRIGGER IF EXISTS "$(SessionsTable)_vs_guard";

CREATE TRIGGER "$(SessionsTable)_vs_guard"
AFTER UPDATE OF "$(StateColumn)", "$(DataColumn)" ON "$(SessionsTable)"
FOR EACH ROW
WHEN NEW."$(VersionColumn)" IS OLD."$(VersionColumn)"
  AND (NEW."$(StateColumn)" IS NOT OLD."$(StateColumn)" OR NEW."$(DataColumn)" IS NOT OLD."$(DataColumn)")
BEGIN
  UPDATE "$(SessionsTable)" SET "$(VersionColumn)" = COALESCE(OLD."$(VersionColumn)", 0) + 1
   WHERE "$(KeyColumn)" = OLD."$(KeyColumn)";
END;
