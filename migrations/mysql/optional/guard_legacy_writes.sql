-- versioned-sessions optional migration guard_legacy_writes (MySQL / MariaDB): catches writers that do
-- not use the library. Applied only when asked (`versioned-sessions migrate --guard-legacy-writes`, or
-- migrate({ guardLegacyWrites: true })), recorded like the numbered migrations.
-- A BEFORE UPDATE trigger bumps the version of every row whose state or data an UPDATE changed without
-- changing the version itself: a legacy `UPDATE … SET state = …` then counts as a write, and a versioned
-- writer that read the row before it gets a ConcurrencyError instead of silently overwriting it. The
-- library's own writes set the version (no second bump); touchSession changes neither state nor data
-- (no bump). With binary logging on, creating a trigger needs the TRIGGER privilege and either SUPER or
-- log_bin_trust_function_creators = 1. Remove it with `versioned-sessions migrate --remove-legacy-guard`
-- once the legacy code is gone.
-- Idempotent: dropped and re-created (MySQL commits each DDL statement: for that instant the table has
-- no guard).
DROP TRIGGER IF EXISTS `$(SessionsTable)_vs_guard`;

CREATE TRIGGER `$(SessionsTable)_vs_guard` BEFORE UPDATE ON `$(SessionsTable)` FOR EACH ROW
  SET NEW.`$(VersionColumn)` = IF(
    NEW.`$(VersionColumn)` <=> OLD.`$(VersionColumn)`
      AND NOT (NEW.`$(StateColumn)` <=> OLD.`$(StateColumn)` AND NEW.`$(DataColumn)` <=> OLD.`$(DataColumn)`),
    COALESCE(OLD.`$(VersionColumn)`, 0) + 1,
    NEW.`$(VersionColumn)`);
