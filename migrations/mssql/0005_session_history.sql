-- versioned-sessions 0005 (SQL Server / Azure SQL): the transition history table. With
-- `history: true` every versioned write records (key, version, previous state, state, origin, reason,
-- time) here in the same transaction as the write; getSessionHistory() reads it per key by version,
-- pruneHistory() trims it by age. Empty and unused until a store turns history on. The packaged file
-- starts with :setvar lines for the default names, so `sqlcmd -i` runs it as-is; for configured
-- names, render it or let the runner apply it.
-- Idempotent: every step checks the catalog first, so it is safe to run again.
:setvar Schema dbo
:setvar HistoryTable SessionHistory

IF OBJECT_ID(N'[$(Schema)].[$(HistoryTable)]', N'U') IS NULL
    CREATE TABLE [$(Schema)].[$(HistoryTable)] (
        id BIGINT IDENTITY(1,1) NOT NULL CONSTRAINT [PK_$(HistoryTable)] PRIMARY KEY,
        session_key NVARCHAR(255) NOT NULL,
        session_version INT NOT NULL,
        previous_state NVARCHAR(255) NULL,
        state NVARCHAR(255) NULL,
        origin NVARCHAR(32) NULL,
        reason NVARCHAR(255) NULL,
        changed_at DATETIME2(3) NOT NULL CONSTRAINT [DF_$(HistoryTable)_changed_at] DEFAULT (SYSUTCDATETIME())
    );
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[$(Schema)].[$(HistoryTable)]')
       AND name = N'IX_$(HistoryTable)_key_version'
)
    CREATE INDEX [IX_$(HistoryTable)_key_version] ON [$(Schema)].[$(HistoryTable)] (session_key, session_version);
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[$(Schema)].[$(HistoryTable)]')
       AND name = N'IX_$(HistoryTable)_changed_at'
)
    CREATE INDEX [IX_$(HistoryTable)_changed_at] ON [$(Schema)].[$(HistoryTable)] (changed_at);
GO
