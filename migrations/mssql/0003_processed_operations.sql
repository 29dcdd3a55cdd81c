-- versioned-sessions 0003 (SQL Server / Azure SQL): the processed-operations table behind
-- markProcessed() and idempotency keys. An idempotent updateSession() records, in the transaction
-- that bumps the version, the session it committed (session_version, session_snapshot) so that a
-- duplicate delivery or a retry after a lost COMMIT reply can be answered with it; commit_token tells
-- a call its own commit apart from another delivery's. The packaged file starts with :setvar lines
-- for the default names, so `sqlcmd -i` runs it as-is; for configured names, render it or let the
-- runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.
:setvar Schema dbo
:setvar ProcessedTable ProcessedOperations

IF OBJECT_ID(N'[$(Schema)].[$(ProcessedTable)]', N'U') IS NULL
    CREATE TABLE [$(Schema)].[$(ProcessedTable)] (
        id NVARCHAR(255) NOT NULL CONSTRAINT [PK_$(ProcessedTable)] PRIMARY KEY,
        session_key NVARCHAR(255) NULL,
        session_version INT NULL,
        session_snapshot NVARCHAR(MAX) NULL,
        commit_token NVARCHAR(36) NULL,
        processed_at DATETIME2(3) NOT NULL CONSTRAINT [DF_$(ProcessedTable)_processed_at] DEFAULT (SYSUTCDATETIME())
    );
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[$(Schema)].[$(ProcessedTable)]')
       AND name = N'IX_$(ProcessedTable)_processed_at'
)
    CREATE INDEX [IX_$(ProcessedTable)_processed_at] ON [$(Schema)].[$(ProcessedTable)] (processed_at);
GO
