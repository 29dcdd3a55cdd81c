-- versioned-sessions 0001 (SQL Server / Azure SQL): the sessions table, for a new install.
-- The packaged file starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is (a
-- :setvar overrides sqlcmd -v: edit those lines rather than passing -v). For configured names, render
-- it (`versioned-sessions print --dialect mssql --table ...`) or let the runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.
:setvar Schema dbo
:setvar SessionsTable Sessions
:setvar KeyColumn SessionKey
:setvar StateColumn State
:setvar DataColumn Data
:setvar VersionColumn Version
:setvar CreatedAtColumn CreatedAt
:setvar UpdatedAtColumn UpdatedAt

-- CREATE SCHEMA must be alone in its batch, hence the EXEC.
IF SCHEMA_ID(N'$(Schema)') IS NULL
    EXEC (N'CREATE SCHEMA [$(Schema)]');
GO

IF OBJECT_ID(N'[$(Schema)].[$(SessionsTable)]', N'U') IS NULL
    CREATE TABLE [$(Schema)].[$(SessionsTable)] (
        [$(KeyColumn)] NVARCHAR(255) NOT NULL CONSTRAINT [PK_$(SessionsTable)] PRIMARY KEY,
        [$(StateColumn)] NVARCHAR(255) NULL,
        [$(DataColumn)] NVARCHAR(MAX) NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(DataColumn)] DEFAULT (N'{}'),
        [$(VersionColumn)] INT NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(VersionColumn)] DEFAULT (0),
        [$(CreatedAtColumn)] DATETIME2(3) NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(CreatedAtColumn)] DEFAULT (SYSUTCDATETIME()),
        [$(UpdatedAtColumn)] DATETIME2(3) NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(UpdatedAtColumn)] DEFAULT (SYSUTCDATETIME())
    );
GO
