-- ==== guard_legacy_writes ====
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

CREATE OR ALTER TRIGGER [dbo].[TR_Sessions_vs_guard] ON [dbo].[Sessions]
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE s
       SET [Version] = ISNULL(d.[Version], 0) + 1
      FROM [dbo].[Sessions] AS s
      JOIN inserted AS i ON i.[SessionKey] = s.[SessionKey]
      JOIN deleted AS d ON d.[SessionKey] = i.[SessionKey]
     WHERE EXISTS (SELECT i.[Version] INTERSECT SELECT d.[Version])
       AND EXISTS (SELECT i.[State], i.[Data] EXCEPT SELECT d.[State], d.[Data]);
END;
GO

-- ==== remove_legacy_guard ====
-- versioned-sessions: removes the optional guard_legacy_writes trigger (SQL Server / Azure SQL). Run by
-- `versioned-sessions migrate --remove-legacy-guard` (which also deletes the guard's record), or by hand
-- with `sqlcmd -i` (the default names below). Idempotent.

IF OBJECT_ID(N'[dbo].[TR_Sessions_vs_guard]', N'TR') IS NOT NULL
    DROP TRIGGER [dbo].[TR_Sessions_vs_guard];
GO

-- ==== guard_legacy_writes ====
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

CREATE OR ALTER TRIGGER [bot].[TR_SesionesChat_vs_guard] ON [bot].[SesionesChat]
AFTER UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE s
       SET [Version] = ISNULL(d.[Version], 0) + 1
      FROM [bot].[SesionesChat] AS s
      JOIN inserted AS i ON i.[Telefono] = s.[Telefono]
      JOIN deleted AS d ON d.[Telefono] = i.[Telefono]
     WHERE EXISTS (SELECT i.[Version] INTERSECT SELECT d.[Version])
       AND EXISTS (SELECT i.[Estado], i.[DatosTemp] EXCEPT SELECT d.[Estado], d.[DatosTemp]);
END;
GO

-- ==== remove_legacy_guard ====
-- versioned-sessions: removes the optional guard_legacy_writes trigger (SQL Server / Azure SQL). Run by
-- `versioned-sessions migrate --remove-legacy-guard` (which also deletes the guard's record), or by hand
-- with `sqlcmd -i` (the default names below). Idempotent.

IF OBJECT_ID(N'[bot].[TR_SesionesChat_vs_guard]', N'TR') IS NOT NULL
    DROP TRIGGER [bot].[TR_SesionesChat_vs_guard];
GO
