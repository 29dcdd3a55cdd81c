-- versioned-sessions 0007 (SQL Server / Azure SQL): processed operations keyed by (session key, id).
-- Every statement of the exactly-once message path finds an operation id together with its session
-- key, so it touches that key's rows only; this unique index is that key, and the one a database
-- sharded by session key range (Elastic Database tools) keeps. Existing rows stay valid: ids are unique
-- already, so (session_key, id) is. The packaged file starts with :setvar lines for the default names,
-- so `sqlcmd -i` runs it as-is; for configured names, render it or let the runner apply it.
-- Idempotent: the catalog is checked first, so it is safe to run again.
:setvar Schema dbo
:setvar ProcessedTable ProcessedOperations

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[$(Schema)].[$(ProcessedTable)]')
       AND name = N'UX_$(ProcessedTable)_session_key_id'
)
    CREATE UNIQUE INDEX [UX_$(ProcessedTable)_session_key_id] ON [$(Schema)].[$(ProcessedTable)] (session_key, id);
GO
