-- versioned-sessions optional migration guard_legacy_writes (SQL Server / Azure SQL): catches writers
-- that do not use the library. Applied only when asked (`versioned-sessions migrate
-- --guard-legacy-writes`, or migrate({ guardLegacyWrites: true })), recorded like the numbered
-- migrations; `sqlcmd -i` runs the packaged file as-is with the default names below.
-- An AFTER UPDATE trigger bumps the version of every row whose state or data an UPDATE changed without
-- changing the version itself: a legacy `UPDATE … SET Estado = …` then counts as a write, and a
-- versioned writer that read the row before it gets a ConcurrencyError instead of silently overwriting
-- it. The library's own writes set the version (no second bump); touchSession changes neither state nor
-- data (no bump). INTERSECT / EXCEPT compare NULLs as equal. The trigger's own UPDATE changes the
-- version, so if RECURSIVE_TRIGGERS is ON its nested call matches no row. Every statement of the
-- library writes with OUTPUT … INTO a table variable, which a table with an enabled trigger requires
-- (a bare OUTPUT is refused there). Remove it with `versioned-sessions migrate --remove-legacy-guard`
-- once the legacy code is gone.
-- Idempotent: CREATE OR ALTER (SQL Server 2016 SP1 and later, Azure SQL).
:setvar Schema dbo
:setvar SessionsTable Sessions
:setvar KeyColumn SessionKey
:setvar StateColumn State
:setvar DataColumn Data
:setvar VersionColumn Version

CREATE OR ALTER TRIGGER [$(Schema)].[TR_$(SessionsTable)_vs_guard] ON [$(Schema)].[$(SessionsTable)]
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE s
       SET [$(VersionColumn)] = ISNULL(d.[$(VersionColumn)], 0) + 1
      FROM [$(Schema)].[$(SessionsTable)] AS s
      JOIN inserted AS i ON i.[$(KeyColumn)] = s.[$(KeyColumn)]
      JOIN deleted AS d ON d.[$(KeyColumn)] = i.[$(KeyColumn)]
     WHERE EXISTS (SELECT i.[$(VersionColumn)] INTERSECT SELECT d.[$(VersionColumn)])
       AND EXISTS (SELECT i.[$(StateColumn)], i.[$(DataColumn)] EXCEPT SELECT d.[$(StateColumn)], d.[$(DataColumn)]);
END;
GO
