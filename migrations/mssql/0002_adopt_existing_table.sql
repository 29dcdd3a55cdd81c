-- versioned-sessions 0002 (SQL Server / Azure SQL): adopts an existing sessions table, such as a
-- SesionesChat keyed by Telefono. Adds the version column (existing rows start at 0), the time columns,
-- and an index that leads with the key when the table has none. Columns and rows already there are
-- left as they are.
-- The packaged file starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is (a
-- :setvar overrides sqlcmd -v: edit those lines rather than passing -v). For configured names, render
-- it (`versioned-sessions print --dialect mssql --table SesionesChat --key-column Telefono ...`) or let
-- the runner apply it.
-- Idempotent: every step checks the catalog first. Each step is its own batch, because a batch that
-- adds a column cannot also compile a statement that uses it.
:setvar Schema dbo
:setvar SessionsTable Sessions
:setvar KeyColumn SessionKey
:setvar VersionColumn Version
:setvar CreatedAtColumn CreatedAt
:setvar UpdatedAtColumn UpdatedAt

-- NOT NULL with a default fills existing rows with 0 (metadata-only on Azure SQL and SQL Server Enterprise).
IF COL_LENGTH(N'[$(Schema)].[$(SessionsTable)]', N'$(VersionColumn)') IS NULL
    ALTER TABLE [$(Schema)].[$(SessionsTable)]
        ADD [$(VersionColumn)] INT NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(VersionColumn)] DEFAULT (0);
GO

IF COL_LENGTH(N'[$(Schema)].[$(SessionsTable)]', N'$(CreatedAtColumn)') IS NULL
    ALTER TABLE [$(Schema)].[$(SessionsTable)]
        ADD [$(CreatedAtColumn)] DATETIME2(3) NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(CreatedAtColumn)] DEFAULT (SYSUTCDATETIME());
GO

IF COL_LENGTH(N'[$(Schema)].[$(SessionsTable)]', N'$(UpdatedAtColumn)') IS NULL
    ALTER TABLE [$(Schema)].[$(SessionsTable)]
        ADD [$(UpdatedAtColumn)] DATETIME2(3) NOT NULL CONSTRAINT [DF_$(SessionsTable)_$(UpdatedAtColumn)] DEFAULT (SYSUTCDATETIME());
GO

-- Every statement of the store finds its row by the key, and its race-free create takes a key-range
-- lock there: without an index that leads with the key both become whole-table scans and locks. A
-- primary key or any other index on the key already serves, so this index is created only when none
-- exists (never on a table made by 0001, whose primary key is the key).
IF NOT EXISTS (
    SELECT 1
      FROM sys.indexes AS i
      JOIN sys.index_columns AS ic
        ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal = 1
     WHERE i.object_id = OBJECT_ID(N'[$(Schema)].[$(SessionsTable)]')
       AND i.is_disabled = 0
       AND i.has_filter = 0
       AND COL_NAME(ic.object_id, ic.column_id) = N'$(KeyColumn)'
)
    CREATE INDEX [IX_$(SessionsTable)_$(KeyColumn)_$(VersionColumn)]
        ON [$(Schema)].[$(SessionsTable)] ([$(KeyColumn)], [$(VersionColumn)]);
GO
