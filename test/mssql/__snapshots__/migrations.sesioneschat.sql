-- ==== 0001_create_sessions
-- versioned-sessions 0001 (SQL Server / Azure SQL): the sessions table, for a new install.
-- The packaged file starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is (a
-- :setvar overrides sqlcmd -v: edit those lines rather than passing -v). For configured names, render
-- it (`versioned-sessions print --dialect mssql --table ...`) or let the runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.

-- CREATE SCHEMA must be alone in its batch, hence the EXEC.
IF SCHEMA_ID(N'dbo') IS NULL
    EXEC (N'CREATE SCHEMA [dbo]');
GO

IF OBJECT_ID(N'[dbo].[SesionesChat]', N'U') IS NULL
    CREATE TABLE [dbo].[SesionesChat] (
        [Telefono] NVARCHAR(255) NOT NULL CONSTRAINT [PK_SesionesChat] PRIMARY KEY,
        [Estado] NVARCHAR(255) NULL,
        [DatosTemp] NVARCHAR(MAX) NOT NULL CONSTRAINT [DF_SesionesChat_DatosTemp] DEFAULT (N'{}'),
        [Version] INT NOT NULL CONSTRAINT [DF_SesionesChat_Version] DEFAULT (0),
        [CreatedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_SesionesChat_CreatedAt] DEFAULT (SYSUTCDATETIME()),
        [UpdatedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_SesionesChat_UpdatedAt] DEFAULT (SYSUTCDATETIME())
    );
GO

-- ==== 0002_adopt_existing_table
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

-- NOT NULL with a default fills existing rows with 0 (metadata-only on Azure SQL and SQL Server Enterprise).
IF COL_LENGTH(N'[dbo].[SesionesChat]', N'Version') IS NULL
    ALTER TABLE [dbo].[SesionesChat]
        ADD [Version] INT NOT NULL CONSTRAINT [DF_SesionesChat_Version] DEFAULT (0);
GO

IF COL_LENGTH(N'[dbo].[SesionesChat]', N'CreatedAt') IS NULL
    ALTER TABLE [dbo].[SesionesChat]
        ADD [CreatedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_SesionesChat_CreatedAt] DEFAULT (SYSUTCDATETIME());
GO

IF COL_LENGTH(N'[dbo].[SesionesChat]', N'UpdatedAt') IS NULL
    ALTER TABLE [dbo].[SesionesChat]
        ADD [UpdatedAt] DATETIME2(3) NOT NULL CONSTRAINT [DF_SesionesChat_UpdatedAt] DEFAULT (SYSUTCDATETIME());
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
     WHERE i.object_id = OBJECT_ID(N'[dbo].[SesionesChat]')
       AND i.is_disabled = 0
       AND i.has_filter = 0
       AND COL_NAME(ic.object_id, ic.column_id) = N'Telefono'
)
    CREATE INDEX [IX_SesionesChat_Telefono_Version]
        ON [dbo].[SesionesChat] ([Telefono], [Version]);
GO

-- ==== 0003_processed_operations
-- versioned-sessions 0003 (SQL Server / Azure SQL): the processed-operations table behind
-- markProcessed() and idempotency keys. An idempotent updateSession() records, in the transaction
-- that bumps the version, the session it committed (session_version, session_snapshot) so that a
-- duplicate delivery or a retry after a lost COMMIT reply can be answered with it; commit_token tells
-- a call its own commit apart from another delivery's. The packaged file starts with :setvar lines
-- for the default names, so `sqlcmd -i` runs it as-is; for configured names, render it or let the
-- runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.

IF OBJECT_ID(N'[dbo].[ProcessedOperations]', N'U') IS NULL
    CREATE TABLE [dbo].[ProcessedOperations] (
        id NVARCHAR(255) NOT NULL CONSTRAINT [PK_ProcessedOperations] PRIMARY KEY,
        session_key NVARCHAR(255) NULL,
        session_version INT NULL,
        session_snapshot NVARCHAR(MAX) NULL,
        commit_token NVARCHAR(36) NULL,
        processed_at DATETIME2(3) NOT NULL CONSTRAINT [DF_ProcessedOperations_processed_at] DEFAULT (SYSUTCDATETIME())
    );
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[dbo].[ProcessedOperations]')
       AND name = N'IX_ProcessedOperations_processed_at'
)
    CREATE INDEX [IX_ProcessedOperations_processed_at] ON [dbo].[ProcessedOperations] (processed_at);
GO

-- ==== 0004_key_index_and_binary_ids
-- versioned-sessions 0004 (SQL Server / Azure SQL): two corrections that 0002 and 0003, already applied
-- by existing databases, cannot take without changing their recorded checksums.
-- The packaged file starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is; for
-- configured names, render it or let the runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.

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
     WHERE i.object_id = OBJECT_ID(N'[dbo].[SesionesChat]')
       AND i.is_disabled = 0
       AND i.is_hypothetical = 0
       AND i.has_filter = 0
       AND COL_NAME(ic.object_id, ic.column_id) = N'Telefono'
)
    CREATE INDEX [IX_SesionesChat_Telefono_Version]
        ON [dbo].[SesionesChat] ([Telefono], [Version]);
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
     WHERE object_id = OBJECT_ID(N'[dbo].[ProcessedOperations]')
       AND name = N'id'
       AND collation_name NOT LIKE N'%[_]BIN2%'
)
AND OBJECT_ID(N'[dbo].[PK_ProcessedOperations]', N'PK') IS NOT NULL
AND NOT EXISTS (SELECT 1 FROM [dbo].[ProcessedOperations])
BEGIN
    ALTER TABLE [dbo].[ProcessedOperations] DROP CONSTRAINT [PK_ProcessedOperations];
    ALTER TABLE [dbo].[ProcessedOperations] ALTER COLUMN id NVARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL;
    ALTER TABLE [dbo].[ProcessedOperations] ADD CONSTRAINT [PK_ProcessedOperations] PRIMARY KEY (id);
END;
GO

-- ==== 0005_session_history
-- versioned-sessions 0005 (SQL Server / Azure SQL): the transition history table. With
-- `history: true` every versioned write records (key, version, previous state, state, origin, reason,
-- time) here in the same transaction as the write; getSessionHistory() reads it per key by version,
-- pruneHistory() trims it by age. Empty and unused until a store turns history on. The packaged file
-- starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is; for configured
-- names, render it or let the runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.

IF OBJECT_ID(N'[dbo].[SessionHistory]', N'U') IS NULL
    CREATE TABLE [dbo].[SessionHistory] (
        id BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT [PK_SessionHistory] PRIMARY KEY,
        session_key NVARCHAR(255) NOT NULL,
        session_version INT NOT NULL,
        previous_state NVARCHAR(255) NULL,
        state NVARCHAR(255) NULL,
        origin NVARCHAR(32) NULL,
        reason NVARCHAR(255) NULL,
        changed_at DATETIME2(3) NOT NULL CONSTRAINT [DF_SessionHistory_changed_at] DEFAULT (SYSUTCDATETIME())
    );
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[dbo].[SessionHistory]')
       AND name = N'IX_SessionHistory_key_version'
)
    CREATE INDEX [IX_SessionHistory_key_version] ON [dbo].[SessionHistory] (session_key, session_version);
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[dbo].[SessionHistory]')
       AND name = N'IX_SessionHistory_changed_at'
)
    CREATE INDEX [IX_SessionHistory_changed_at] ON [dbo].[SessionHistory] (changed_at);
GO

-- ==== 0006_session_listing_index
-- versioned-sessions 0006 (SQL Server / Azure SQL): the index behind listSessions() and
-- pruneSessions(). Both read the sessions table in (last-activity time, key) order from a position or
-- below a cut-off: a keyset page (TOP with a keyset WHERE, no OFFSET) seeks this index at the previous
-- page's last row, and a clean-up batch (DELETE TOP) reads its range.
-- The packaged file starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is; for
-- configured names, render it or let the runner apply it.
-- Idempotent: the step checks the catalog first, so it is safe to run again.
-- An index name is scoped to its table in SQL Server, so a fixed one fits every configured name's
-- length. On a large, busy table on an edition with online index operations, build it first with
-- WITH (ONLINE = ON) under the same name; this migration then finds it and only records itself.

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[dbo].[SesionesChat]')
       AND name = N'IX_VersionedSessions_UpdatedAt_Key'
)
    CREATE INDEX [IX_VersionedSessions_UpdatedAt_Key]
        ON [dbo].[SesionesChat] ([UpdatedAt], [Telefono]);
GO

-- ==== 0007_processed_by_session_key
-- versioned-sessions 0007 (SQL Server / Azure SQL): processed operations keyed by (session key, id).
-- Every statement of the exactly-once message path finds an operation id together with its session
-- key, so it touches that key's rows only; this unique index is that key, and the one a database
-- sharded by session key range (Elastic Database tools) keeps. Existing rows stay valid: ids are unique
-- already, so (session_key, id) is. The packaged file starts with :setvar lines for the default names,
-- so `sqlcmd -i` runs it as-is; for configured names, render it or let the runner apply it.
-- Idempotent: the catalog is checked first, so it is safe to run again.

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[dbo].[ProcessedOperations]')
       AND name = N'UX_ProcessedOperations_session_key_id'
)
    CREATE UNIQUE INDEX [UX_ProcessedOperations_session_key_id] ON [dbo].[ProcessedOperations] (session_key, id);
GO
