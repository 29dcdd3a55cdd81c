-- versioned-sessions 0004 (SQL Server / Azure SQL): two corrections that 0002 and 0003, already applied
-- by existing databases, cannot take without changing their recorded checksums.
-- The packaged file starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is; for
-- configured names, render it or let the runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.
:setvar Schema dbo
:setvar SessionsTable Sessions
:setvar KeyColumn SessionKey
:setvar VersionColumn Version
:setvar ProcessedTable ProcessedOperations

-- 0002 creates an index that leads with the key unless the table has one, but its check also counted
-- hypothetical indexes (is_hypothetical = 1: statistics-only entries the Database Engine Tuning Advisor
-- can leave behind, which no query uses). Where such an entry was all there was, the adopted table was
-- left without a usable index on the key, and every keyed statement scans. This creates the index when
-- no real one leads with the key; a table made by 0001, or with such an index, is left as it is.
IF NOT EXISTS (
    SELECT 1
      FROM sys.indexes AS i
      JOIN sys.index_columns AS ic
        ON ic.object_id = i.object_id AND ic.index_id = i.index_id AND ic.key_ordinal = 1
     WHERE i.object_id = OBJECT_ID(N'[$(Schema)].[$(SessionsTable)]')
       AND i.is_disabled = 0
       AND i.is_hypothetical = 0
       AND i.has_filter = 0
       AND COL_NAME(ic.object_id, ic.column_id) = N'$(KeyColumn)'
)
    CREATE INDEX [IX_$(SessionsTable)_$(KeyColumn)_$(VersionColumn)]
        ON [$(Schema)].[$(SessionsTable)] ([$(KeyColumn)], [$(VersionColumn)]);
GO

-- Idempotency ids (message ids such as WhatsApp's wamid.…) are case-sensitive, but 0003 gave the id
-- column the database's default collation, case-insensitive on SQL Server and Azure SQL, so two ids
-- that differ only in case counted as one. A binary collation compares code points, as PostgreSQL and
-- SQLite do. The change rebuilds the primary key, so it is made only while the table is empty (always
-- on a new install); docs/exactly-once.md shows how to convert a table that already holds ids. Ids
-- unique under any collation stay unique under a binary one, so a row that arrives meanwhile is safe.
IF EXISTS (
    SELECT 1
      FROM sys.columns
     WHERE object_id = OBJECT_ID(N'[$(Schema)].[$(ProcessedTable)]')
       AND name = N'id'
       AND collation_name NOT LIKE N'%[_]BIN2%'
)
AND OBJECT_ID(N'[$(Schema)].[PK_$(ProcessedTable)]', N'PK') IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM [$(Schema)].[$(ProcessedTable)])
BEGIN
    ALTER TABLE [$(Schema)].[$(ProcessedTable)] DROP CONSTRAINT [PK_$(ProcessedTable)];
    ALTER TABLE [$(Schema)].[$(ProcessedTable)] ALTER COLUMN id NVARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
    ALTER TABLE [$(Schema)].[$(ProcessedTable)] ADD CONSTRAINT [PK_$(ProcessedTable)] PRIMARY KEY (id);
END;
GO
