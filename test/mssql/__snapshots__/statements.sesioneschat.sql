-- select
-- @key NVarChar(255), as the key column
SELECT [Telefono] AS session_key, [Estado] AS session_state, [DatosTemp] AS session_data, COALESCE([Version], 0) AS session_version, [CreatedAt] AS created_at, [UpdatedAt] AS updated_at FROM [bot].[SesionesChat] WHERE [Telefono] = @key

-- selectDataPage (first page)
-- @after NVarChar(255), as the key column
-- @limit Int
SELECT TOP (@limit) [Telefono] AS session_key, [DatosTemp] AS session_data FROM [bot].[SesionesChat] WHERE @after IS NULL OR [Telefono] > @after ORDER BY [Telefono]

-- selectDataPage (after a key)
-- @after NVarChar(255), as the key column
-- @limit Int
SELECT TOP (@limit) [Telefono] AS session_key, [DatosTemp] AS session_data FROM [bot].[SesionesChat] WHERE @after IS NULL OR [Telefono] > @after ORDER BY [Telefono]

-- selectVersion
-- @key NVarChar(255), as the key column
SELECT COALESCE([Version], 0) AS session_version FROM [bot].[SesionesChat] WHERE [Telefono] = @key

-- insertIfAbsent
-- @key NVarChar(255), as the key column
-- @state NVarChar(255)
-- @data NVarChar(MAX)
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
INSERT INTO [bot].[SesionesChat] ([Telefono], [Estado], [DatosTemp], [Version], [CreatedAt], [UpdatedAt])
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
SELECT @key, @state, @data, 0, SYSUTCDATETIME(), SYSUTCDATETIME()
WHERE NOT EXISTS (SELECT 1 FROM [bot].[SesionesChat] WITH (UPDLOCK, HOLDLOCK) WHERE [Telefono] = @key);
SELECT session_key, session_state, session_data, session_version, created_at, updated_at FROM @row;

-- update (expectedVersion 3, state and data)
-- @key NVarChar(255), as the key column
-- @state NVarChar(255)
-- @data NVarChar(MAX)
-- @expected Int
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
DECLARE @current INT;
UPDATE [bot].[SesionesChat] SET [Estado] = @state, [DatosTemp] = @data, [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
WHERE [Telefono] = @key AND COALESCE([Version], 0) = @expected;
IF EXISTS (SELECT 1 FROM @row)
  SELECT session_key, session_state, session_data, session_version, created_at, updated_at, 'done' AS outcome FROM @row;
ELSE BEGIN
  SELECT @current = COALESCE([Version], 0) FROM [bot].[SesionesChat] WHERE [Telefono] = @key;
  SELECT @current AS session_version, CASE WHEN @current IS NULL THEN 'missing' ELSE 'conflict' END AS outcome;
END;

-- update (expectedVersion 0, no field changed)
-- @key NVarChar(255), as the key column
-- @expected Int
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
DECLARE @current INT;
UPDATE [bot].[SesionesChat] SET [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
WHERE [Telefono] = @key AND COALESCE([Version], 0) = @expected;
IF EXISTS (SELECT 1 FROM @row)
  SELECT session_key, session_state, session_data, session_version, created_at, updated_at, 'done' AS outcome FROM @row;
ELSE BEGIN
  SELECT @current = COALESCE([Version], 0) FROM [bot].[SesionesChat] WHERE [Telefono] = @key;
  SELECT @current AS session_version, CASE WHEN @current IS NULL THEN 'missing' ELSE 'conflict' END AS outcome;
END;

-- update (unconditional, data only)
-- @key NVarChar(255), as the key column
-- @data NVarChar(MAX)
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
UPDATE [bot].[SesionesChat] SET [DatosTemp] = @data, [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
WHERE [Telefono] = @key;
SELECT session_key, session_state, session_data, session_version, created_at, updated_at, 'done' AS outcome FROM @row;

-- delete (expectedVersion 4)
-- @key NVarChar(255), as the key column
-- @expected Int
DECLARE @written TABLE (written_key NVARCHAR(MAX));
DECLARE @current INT;
DELETE FROM [bot].[SesionesChat] OUTPUT deleted.[Telefono] INTO @written (written_key) WHERE [Telefono] = @key AND COALESCE([Version], 0) = @expected;
IF EXISTS (SELECT 1 FROM @written)
  SELECT COUNT(*) AS affected_rows FROM @written;
ELSE BEGIN
  SELECT @current = COALESCE([Version], 0) FROM [bot].[SesionesChat] WHERE [Telefono] = @key;
  SELECT 0 AS affected_rows, @current AS session_version, CASE WHEN @current IS NULL THEN 'missing' ELSE 'conflict' END AS outcome;
END;

-- delete (unconditional)
-- @key NVarChar(255), as the key column
DECLARE @written TABLE (written_key NVARCHAR(MAX));
DELETE FROM [bot].[SesionesChat] OUTPUT deleted.[Telefono] INTO @written (written_key) WHERE [Telefono] = @key;
SELECT COUNT(*) AS affected_rows FROM @written;

-- observedUpdate (state and data)
-- @key NVarChar(255), as the key column
-- @state NVarChar(255)
-- @data NVarChar(MAX)
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2, previous_version INT);
UPDATE [bot].[SesionesChat] SET [Estado] = @state, [DatosTemp] = @data, [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt], deleted.[Version] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at, previous_version) WHERE [Telefono] = @key;
SELECT session_key, session_state, session_data, session_version, created_at, updated_at, COALESCE(previous_version, 0) AS previous_version, 'done' AS outcome FROM @row;

-- observedDelete
-- @key NVarChar(255), as the key column
DECLARE @row TABLE (previous_version INT);
DELETE FROM [bot].[SesionesChat] OUTPUT deleted.[Version] INTO @row (previous_version) WHERE [Telefono] = @key;
SELECT COALESCE(previous_version, 0) AS previous_version FROM @row;

-- touch
-- @key NVarChar(255), as the key column
DECLARE @written TABLE (written_key NVARCHAR(MAX));
UPDATE [bot].[SesionesChat] SET [UpdatedAt] = SYSUTCDATETIME() OUTPUT inserted.[Telefono] INTO @written (written_key) WHERE [Telefono] = @key;
SELECT COUNT(*) AS affected_rows FROM @written;

-- sessionColumns
-- @schema NVarChar(128)
-- @table NVarChar(128)
SELECT COLUMN_NAME AS column_name FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table

-- processedColumns
-- @schema NVarChar(128)
-- @table NVarChar(128)
SELECT COLUMN_NAME AS column_name FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table

-- insertProcessed
-- @id NVarChar(255), as the processed id column
-- @key NVarChar(255)
DECLARE @written TABLE (written_key NVARCHAR(MAX));
INSERT INTO [bot].[ProcessedOperations] (id, session_key, processed_at) OUTPUT inserted.id INTO @written (written_key)
SELECT @id, @key, SYSUTCDATETIME()
WHERE NOT EXISTS (SELECT 1 FROM [bot].[ProcessedOperations] WITH (UPDLOCK, HOLDLOCK) WHERE id = @id);
SELECT COUNT(*) AS affected_rows FROM @written;

-- insertProcessed (for a session key)
-- @id NVarChar(255), as the processed id column
-- @key NVarChar(255)
DECLARE @written TABLE (written_key NVARCHAR(MAX));
INSERT INTO [bot].[ProcessedOperations] (id, session_key, processed_at) OUTPUT inserted.id INTO @written (written_key)
SELECT @id, @key, SYSUTCDATETIME()
WHERE NOT EXISTS (SELECT 1 FROM [bot].[ProcessedOperations] WITH (UPDLOCK, HOLDLOCK) WHERE id = @id);
SELECT COUNT(*) AS affected_rows FROM @written;

-- readWithProcessed
-- @key NVarChar(255), as the key column
-- @id NVarChar(255), as the processed id column
SELECT s.[Telefono] AS session_key, s.[Estado] AS session_state, s.[DatosTemp] AS session_data, COALESCE(s.[Version], 0) AS session_version, s.[CreatedAt] AS created_at, s.[UpdatedAt] AS updated_at, p.id AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, p.processed_at AS processed_at FROM (SELECT 1 AS one) AS base LEFT JOIN [bot].[SesionesChat] AS s ON s.[Telefono] = @key LEFT JOIN [bot].[ProcessedOperations] AS p ON p.session_key = @key AND p.id = @id

-- updateOnce (expectedVersion 3, state and data, a transaction of its own)
-- @key NVarChar(255), as the key column
-- @id NVarChar(255), as the processed id column
-- @token NVarChar(36)
-- @expected Int
-- @state NVarChar(255)
-- @data NVarChar(MAX)
SET XACT_ABORT ON;
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
BEGIN TRANSACTION;
UPDATE [bot].[SesionesChat] SET [Estado] = @state, [DatosTemp] = @data, [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
WHERE [Telefono] = @key AND COALESCE([Version], 0) = @expected
AND NOT EXISTS (SELECT 1 FROM [bot].[ProcessedOperations] WHERE session_key = @key AND id = @id);
IF EXISTS (SELECT 1 FROM @row)
BEGIN
  INSERT INTO [bot].[ProcessedOperations] (id, session_key, session_version, session_snapshot, commit_token, processed_at)
  SELECT @id, @key, r.session_version,
    (SELECT r.session_state AS [state], r.session_data AS [dataJson], CONVERT(NVARCHAR(30), r.created_at, 126) + 'Z' AS [createdAt],
      CONVERT(NVARCHAR(30), r.updated_at, 126) + 'Z' AS [updatedAt] FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER),
    @token, SYSUTCDATETIME() FROM @row AS r;
  SELECT session_key, session_state, session_data, session_version, created_at, updated_at, NULL AS processed_id, NULL AS processed_version, NULL AS processed_snapshot, NULL AS processed_token, NULL AS processed_at, 'done' AS outcome FROM @row;
END
ELSE
  SELECT s.[Telefono] AS session_key, s.[Estado] AS session_state, s.[DatosTemp] AS session_data, COALESCE(s.[Version], 0) AS session_version, s.[CreatedAt] AS created_at, s.[UpdatedAt] AS updated_at, p.id AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, p.processed_at AS processed_at, CASE WHEN p.id IS NOT NULL THEN 'duplicate' WHEN s.[Telefono] IS NULL THEN 'missing' ELSE 'conflict' END AS outcome
  FROM (SELECT 1 AS one) AS base LEFT JOIN [bot].[SesionesChat] AS s ON s.[Telefono] = @key LEFT JOIN [bot].[ProcessedOperations] AS p ON p.session_key = @key AND p.id = @id;
COMMIT TRANSACTION;

-- updateOnce (unconditional, data only, a transaction of its own)
-- @key NVarChar(255), as the key column
-- @id NVarChar(255), as the processed id column
-- @token NVarChar(36)
-- @data NVarChar(MAX)
SET XACT_ABORT ON;
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
BEGIN TRANSACTION;
UPDATE [bot].[SesionesChat] SET [DatosTemp] = @data, [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
WHERE [Telefono] = @key
AND NOT EXISTS (SELECT 1 FROM [bot].[ProcessedOperations] WHERE session_key = @key AND id = @id);
IF EXISTS (SELECT 1 FROM @row)
BEGIN
  INSERT INTO [bot].[ProcessedOperations] (id, session_key, session_version, session_snapshot, commit_token, processed_at)
  SELECT @id, @key, r.session_version,
    (SELECT r.session_state AS [state], r.session_data AS [dataJson], CONVERT(NVARCHAR(30), r.created_at, 126) + 'Z' AS [createdAt],
      CONVERT(NVARCHAR(30), r.updated_at, 126) + 'Z' AS [updatedAt] FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER),
    @token, SYSUTCDATETIME() FROM @row AS r;
  SELECT session_key, session_state, session_data, session_version, created_at, updated_at, NULL AS processed_id, NULL AS processed_version, NULL AS processed_snapshot, NULL AS processed_token, NULL AS processed_at, 'done' AS outcome FROM @row;
END
ELSE
  SELECT s.[Telefono] AS session_key, s.[Estado] AS session_state, s.[DatosTemp] AS session_data, COALESCE(s.[Version], 0) AS session_version, s.[CreatedAt] AS created_at, s.[UpdatedAt] AS updated_at, p.id AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, p.processed_at AS processed_at, CASE WHEN p.id IS NOT NULL THEN 'duplicate' WHEN s.[Telefono] IS NULL THEN 'missing' ELSE 'conflict' END AS outcome
  FROM (SELECT 1 AS one) AS base LEFT JOIN [bot].[SesionesChat] AS s ON s.[Telefono] = @key LEFT JOIN [bot].[ProcessedOperations] AS p ON p.session_key = @key AND p.id = @id;
COMMIT TRANSACTION;

-- updateOnce (expectedVersion 3, inside the caller's transaction)
-- @key NVarChar(255), as the key column
-- @id NVarChar(255), as the processed id column
-- @token NVarChar(36)
-- @expected Int
-- @state NVarChar(255)
-- @data NVarChar(MAX)
DECLARE @row TABLE (session_key NVARCHAR(MAX), session_state NVARCHAR(MAX), session_data NVARCHAR(MAX), session_version INT, created_at DATETIME2, updated_at DATETIME2);
SAVE TRANSACTION update_once;
BEGIN TRY
UPDATE [bot].[SesionesChat] SET [Estado] = @state, [DatosTemp] = @data, [Version] = COALESCE([Version], 0) + 1, [UpdatedAt] = SYSUTCDATETIME()
OUTPUT inserted.[Telefono], inserted.[Estado], inserted.[DatosTemp], inserted.[Version], inserted.[CreatedAt], inserted.[UpdatedAt] INTO @row (session_key, session_state, session_data, session_version, created_at, updated_at)
WHERE [Telefono] = @key AND COALESCE([Version], 0) = @expected
AND NOT EXISTS (SELECT 1 FROM [bot].[ProcessedOperations] WHERE session_key = @key AND id = @id);
IF EXISTS (SELECT 1 FROM @row)
BEGIN
  INSERT INTO [bot].[ProcessedOperations] (id, session_key, session_version, session_snapshot, commit_token, processed_at)
  SELECT @id, @key, r.session_version,
    (SELECT r.session_state AS [state], r.session_data AS [dataJson], CONVERT(NVARCHAR(30), r.created_at, 126) + 'Z' AS [createdAt],
      CONVERT(NVARCHAR(30), r.updated_at, 126) + 'Z' AS [updatedAt] FOR JSON PATH, INCLUDE_NULL_VALUES, WITHOUT_ARRAY_WRAPPER),
    @token, SYSUTCDATETIME() FROM @row AS r;
  SELECT session_key, session_state, session_data, session_version, created_at, updated_at, NULL AS processed_id, NULL AS processed_version, NULL AS processed_snapshot, NULL AS processed_token, NULL AS processed_at, 'done' AS outcome FROM @row;
END
ELSE
  SELECT s.[Telefono] AS session_key, s.[Estado] AS session_state, s.[DatosTemp] AS session_data, COALESCE(s.[Version], 0) AS session_version, s.[CreatedAt] AS created_at, s.[UpdatedAt] AS updated_at, p.id AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, p.processed_at AS processed_at, CASE WHEN p.id IS NOT NULL THEN 'duplicate' WHEN s.[Telefono] IS NULL THEN 'missing' ELSE 'conflict' END AS outcome
  FROM (SELECT 1 AS one) AS base LEFT JOIN [bot].[SesionesChat] AS s ON s.[Telefono] = @key LEFT JOIN [bot].[ProcessedOperations] AS p ON p.session_key = @key AND p.id = @id;
END TRY
BEGIN CATCH
  IF XACT_STATE() = 1 ROLLBACK TRANSACTION update_once;
  THROW;
END CATCH;

-- selectProcessed
-- @id NVarChar(255), as the processed id column
SELECT 1 AS found FROM [bot].[ProcessedOperations] WHERE id = @id

-- deleteProcessedBefore
-- @olderThan DateTime2(3)
DECLARE @pruned TABLE (processed_at DATETIME2(3));
DECLARE @total INT = 0, @batch INT = 1000;
WHILE @batch = 1000
BEGIN
  DELETE TOP (1000) FROM [bot].[ProcessedOperations] OUTPUT deleted.processed_at INTO @pruned (processed_at) WHERE processed_at < @olderThan;
  SET @batch = (SELECT COUNT(*) FROM @pruned);
  SET @total += @batch;
  DELETE FROM @pruned;
END;
SELECT @total AS affected_rows;

-- selectProcessedRecord
-- @id NVarChar(255), as the processed id column
SELECT id, session_key, session_version, session_snapshot, commit_token, processed_at FROM [bot].[ProcessedOperations] WHERE id = @id

-- claimProcessed
-- @id NVarChar(255), as the processed id column
-- @key NVarChar(255)
-- @token NVarChar(36)
DECLARE @written TABLE (written_key NVARCHAR(MAX));
INSERT INTO [bot].[ProcessedOperations] (id, session_key, commit_token, processed_at) OUTPUT inserted.id INTO @written (written_key)
SELECT @id, @key, @token, SYSUTCDATETIME()
WHERE NOT EXISTS (SELECT 1 FROM [bot].[ProcessedOperations] WHERE id = @id);
SELECT COUNT(*) AS affected_rows FROM @written;

-- recordProcessed
-- @id NVarChar(255), as the processed id column
-- @token NVarChar(36)
-- @version Int
-- @snapshot NVarChar(MAX)
UPDATE [bot].[ProcessedOperations] SET session_version = @version, session_snapshot = @snapshot WHERE id = @id AND commit_token = @token;

-- releaseProcessed
-- @id NVarChar(255), as the processed id column
-- @token NVarChar(36)
DELETE FROM [bot].[ProcessedOperations] WHERE id = @id AND commit_token = @token;

-- selectIdle (any state)
-- @limit Int
-- @idleBefore DateTime2(3)
SELECT TOP (@limit) [Telefono] AS session_key, [Estado] AS session_state, [DatosTemp] AS session_data, COALESCE([Version], 0) AS session_version, [CreatedAt] AS created_at, [UpdatedAt] AS updated_at FROM [bot].[SesionesChat] WHERE [UpdatedAt] < @idleBefore ORDER BY [UpdatedAt], [Telefono]

-- selectIdle (two states)
-- @limit Int
-- @idleBefore DateTime2(3)
-- @state0 NVarChar(255)
-- @state1 NVarChar(255)
SELECT TOP (@limit) [Telefono] AS session_key, [Estado] AS session_state, [DatosTemp] AS session_data, COALESCE([Version], 0) AS session_version, [CreatedAt] AS created_at, [UpdatedAt] AS updated_at FROM [bot].[SesionesChat] WHERE [UpdatedAt] < @idleBefore AND [Estado] IN (@state0, @state1) ORDER BY [UpdatedAt], [Telefono]

-- selectPage (first page, no filter)
-- @limit Int
SELECT TOP (@limit) [Telefono] AS session_key, [Estado] AS session_state, [DatosTemp] AS session_data, COALESCE([Version], 0) AS session_version, [CreatedAt] AS created_at, [UpdatedAt] AS updated_at, CONVERT(NVARCHAR(40), [UpdatedAt], 126) AS page_time FROM [bot].[SesionesChat] ORDER BY [UpdatedAt], [Telefono]

-- selectPage (after a position, two states, a time window)
-- @limit Int
-- @updatedAfter DateTime2(3)
-- @updatedBefore DateTime2(3)
-- @state0 NVarChar(255)
-- @state1 NVarChar(255)
-- @afterTime NVarChar(40)
-- @pastTime NVarChar(40)
-- @afterKey NVarChar(255), as the key column
SELECT TOP (@limit) [Telefono] AS session_key, [Estado] AS session_state, [DatosTemp] AS session_data, COALESCE([Version], 0) AS session_version, [CreatedAt] AS created_at, [UpdatedAt] AS updated_at, CONVERT(NVARCHAR(40), [UpdatedAt], 126) AS page_time FROM [bot].[SesionesChat] WHERE [UpdatedAt] >= @updatedAfter AND [UpdatedAt] < @updatedBefore AND [Estado] IN (@state0, @state1) AND [UpdatedAt] >= @afterTime AND ([UpdatedAt] > @pastTime OR [Telefono] > @afterKey) ORDER BY [UpdatedAt], [Telefono]

-- deleteStale (any state)
-- @limit Int
-- @idleBefore DateTime2(3)
DECLARE @written TABLE (written_key NVARCHAR(MAX));
DELETE TOP (@limit) FROM [bot].[SesionesChat] OUTPUT deleted.[Telefono] INTO @written (written_key) WHERE [UpdatedAt] < @idleBefore;
SELECT COUNT(*) AS affected_rows FROM @written;

-- deleteStale (two states)
-- @limit Int
-- @idleBefore DateTime2(3)
-- @state0 NVarChar(255)
-- @state1 NVarChar(255)
DECLARE @written TABLE (written_key NVARCHAR(MAX));
DELETE TOP (@limit) FROM [bot].[SesionesChat] OUTPUT deleted.[Telefono] INTO @written (written_key) WHERE [UpdatedAt] < @idleBefore AND [Estado] IN (@state0, @state1);
SELECT COUNT(*) AS affected_rows FROM @written;

-- lockRow
-- @key NVarChar(255), as the key column
SELECT [Estado] AS session_state, COALESCE([Version], 0) AS session_version FROM [bot].[SesionesChat] WITH (UPDLOCK, ROWLOCK) WHERE [Telefono] = @key

-- insertHistory
-- @key NVarChar(255), as the key column
-- @version Int
-- @previous NVarChar(255)
-- @state NVarChar(255)
-- @origin NVarChar(32)
-- @reason NVarChar(255)
INSERT INTO [bot].[SessionHistory] (session_key, session_version, previous_state, state, origin, reason, changed_at) VALUES (@key, @version, @previous, @state, @origin, @reason, SYSUTCDATETIME());

-- selectHistory (first page)
-- @key NVarChar(255), as the key column
-- @limit Int
SELECT TOP (@limit) session_key, session_version, previous_state, state, origin, reason, changed_at FROM [bot].[SessionHistory] WHERE session_key = @key ORDER BY session_version DESC, id DESC

-- selectHistory (before version 9)
-- @key NVarChar(255), as the key column
-- @limit Int
-- @before Int
SELECT TOP (@limit) session_key, session_version, previous_state, state, origin, reason, changed_at FROM [bot].[SessionHistory] WHERE session_key = @key AND session_version < @before ORDER BY session_version DESC, id DESC

-- deleteHistoryBefore
-- @olderThan DateTime2(3)
DECLARE @written TABLE (written_key NVARCHAR(MAX));
DELETE FROM [bot].[SessionHistory] OUTPUT deleted.session_key INTO @written (written_key) WHERE changed_at < @olderThan;
SELECT COUNT(*) AS affected_rows FROM @written;

-- historyColumns
-- @schema NVarChar(128)
-- @table NVarChar(128)
SELECT COLUMN_NAME AS column_name FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table

-- keyColumnTypes (the catalog read before the first keyed statement)
-- @schema NVarChar(128)
-- @table NVarChar(128)
-- @keyColumn NVarChar(128)
-- @processedTable NVarChar(128)
SELECT TABLE_NAME AS table_name, DATA_TYPE AS data_type, CHARACTER_MAXIMUM_LENGTH AS max_length FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND ((TABLE_NAME = @table AND COLUMN_NAME = @keyColumn) OR (TABLE_NAME = @processedTable AND COLUMN_NAME = N'id'))
