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
:setvar Schema dbo
:setvar SessionsTable Sessions
:setvar KeyColumn SessionKey
:setvar UpdatedAtColumn UpdatedAt

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
     WHERE object_id = OBJECT_ID(N'[$(Schema)].[$(SessionsTable)]')
       AND name = N'IX_VersionedSessions_UpdatedAt_Key'
)
    CREATE INDEX [IX_VersionedSessions_UpdatedAt_Key]
        ON [$(Schema)].[$(SessionsTable)] ([$(UpdatedAtColumn)], [$(KeyColumn)]);
GO
