-- versioned-sessions: removes the optional guard_legacy_writes trigger (SQL Server / Azure SQL). Run by
-- `versioned-sessions migrate --remove-legacy-guard` (which also deletes the guard's record), or by hand
-- with `sqlcmd -i` (the default names below). Idempotent.
:setvar Schema dbo
:setvar SessionsTable Sessions

IF OBJECT_ID(N'[$(Schema)].[TR_$(SessionsTable)_vs_guard]', N'TR') IS NOT NULL
    DROP TRIGGER [$(Schema)].[TR_$(SessionsTable)_vs_guard];
GO
