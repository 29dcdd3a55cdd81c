-- select
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- selectDataPage (first page)
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `DatosTemp` AS session_data FROM `bot`.`sesiones_chat` WHERE ? IS NULL OR `Telefono` > ? ORDER BY `Telefono` LIMIT ?;

-- selectDataPage (after a key)
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `DatosTemp` AS session_data FROM `bot`.`sesiones_chat` WHERE ? IS NULL OR `Telefono` > ? ORDER BY `Telefono` LIMIT ?;

-- selectVersion
SELECT COALESCE(`version`, 0) AS session_version FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- insertIfAbsent
INSERT INTO `bot`.`sesiones_chat` (`Telefono`, `Estado`, `DatosTemp`, `version`, `created_at`, `updated_at`) VALUES (?, ?, ?, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3));
-- then, in the same transaction (after):
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- update (expectedVersion 3, state and data)
UPDATE `bot`.`sesiones_chat` SET `Estado` = ?, `DatosTemp` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `Telefono` = ? AND COALESCE(`version`, 0) = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- update (expectedVersion 0, no field changed)
UPDATE `bot`.`sesiones_chat` SET `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `Telefono` = ? AND COALESCE(`version`, 0) = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- update (unconditional, data only)
UPDATE `bot`.`sesiones_chat` SET `DatosTemp` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `Telefono` = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- delete (expectedVersion 4)
DELETE FROM `bot`.`sesiones_chat` WHERE `Telefono` = ? AND COALESCE(`version`, 0) = ?;

-- delete (unconditional)
DELETE FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- observedUpdate (state and data)
UPDATE `bot`.`sesiones_chat` SET `Estado` = ?, `DatosTemp` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `Telefono` = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, COALESCE(`version`, 0) - 1 AS previous_version FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- observedDelete
-- first, in the same transaction (before):
SELECT COALESCE(`version`, 0) AS previous_version FROM `bot`.`sesiones_chat` WHERE `Telefono` = ? FOR UPDATE;
DELETE FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- touch
UPDATE `bot`.`sesiones_chat` SET `updated_at` = UTC_TIMESTAMP(3) WHERE `Telefono` = ?;

-- sessionColumns
SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?;

-- processedColumns
SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?;

-- insertProcessed
INSERT INTO `bot`.`processed_operations` (id, session_key, processed_at) VALUES (?, ?, UTC_TIMESTAMP(3));

-- insertProcessed (for a session key)
INSERT INTO `bot`.`processed_operations` (id, session_key, processed_at) VALUES (?, ?, UTC_TIMESTAMP(3));

-- readWithProcessed
SELECT CONVERT(s.`Telefono` USING utf8mb4) AS session_key, s.`Estado` AS session_state, s.`DatosTemp` AS session_data, COALESCE(s.`version`, 0) AS session_version, DATE_FORMAT(s.`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(s.`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, CONVERT(p.id USING utf8mb4) AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, DATE_FORMAT(p.processed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS processed_at FROM (SELECT 1 AS one) AS base LEFT JOIN `bot`.`sesiones_chat` AS s ON s.`Telefono` = ? LEFT JOIN `bot`.`processed_operations` AS p ON p.session_key = ? AND p.id = ?;

-- updateUnlessProcessed (expectedVersion 3)
UPDATE `bot`.`sesiones_chat` SET `Estado` = ?, `DatosTemp` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `Telefono` = ? AND COALESCE(`version`, 0) = ? AND NOT EXISTS (SELECT 1 FROM `bot`.`processed_operations` WHERE session_key = ? AND id = ?);
-- then, in the same transaction (after):
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `Telefono` = ?;

-- insertProcessedRecord
INSERT INTO `bot`.`processed_operations` (id, session_key, session_version, session_snapshot, commit_token, processed_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3));

-- selectProcessed
SELECT 1 AS found FROM `bot`.`processed_operations` WHERE id = ?;

-- deleteProcessedBefore
DELETE FROM `bot`.`processed_operations` WHERE processed_at < ?;

-- selectProcessedRecord
SELECT CONVERT(id USING utf8mb4) AS id, CONVERT(session_key USING utf8mb4) AS session_key, session_version, session_snapshot, commit_token, DATE_FORMAT(processed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS processed_at FROM `bot`.`processed_operations` WHERE id = ?;

-- claimProcessed
INSERT INTO `bot`.`processed_operations` (id, session_key, commit_token, processed_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3));

-- recordProcessed
UPDATE `bot`.`processed_operations` SET session_version = ?, session_snapshot = ? WHERE id = ? AND commit_token = ?;

-- releaseProcessed
DELETE FROM `bot`.`processed_operations` WHERE id = ? AND commit_token = ?;

-- selectIdle (any state)
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `updated_at` < ? ORDER BY `updated_at`, `Telefono` LIMIT ?;

-- selectIdle (two states)
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `bot`.`sesiones_chat` WHERE `updated_at` < ? AND `Estado` IN (?, ?) ORDER BY `updated_at`, `Telefono` LIMIT ?;

-- selectPage (first page, no filter)
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, DATE_FORMAT(`updated_at`, '%Y-%m-%d %H:%i:%s.%f') AS page_time FROM `bot`.`sesiones_chat` ORDER BY `updated_at`, `Telefono` LIMIT ?;

-- selectPage (after a position, two states, a time window)
SELECT CONVERT(`Telefono` USING utf8mb4) AS session_key, `Estado` AS session_state, `DatosTemp` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, DATE_FORMAT(`updated_at`, '%Y-%m-%d %H:%i:%s.%f') AS page_time FROM `bot`.`sesiones_chat` WHERE `updated_at` >= ? AND `updated_at` < ? AND `Estado` IN (?, ?) AND `updated_at` >= ? AND (`updated_at` > ? OR `Telefono` > ?) ORDER BY `updated_at`, `Telefono` LIMIT ?;

-- deleteStale (any state)
DELETE FROM `bot`.`sesiones_chat` WHERE `updated_at` < ? ORDER BY `updated_at`, `Telefono` LIMIT ?;

-- deleteStale (two states)
DELETE FROM `bot`.`sesiones_chat` WHERE `updated_at` < ? AND `Estado` IN (?, ?) ORDER BY `updated_at`, `Telefono` LIMIT ?;

-- lockRow
SELECT `Estado` AS session_state, COALESCE(`version`, 0) AS session_version FROM `bot`.`sesiones_chat` WHERE `Telefono` = ? FOR UPDATE;

-- insertHistory
INSERT INTO `bot`.`session_history` (session_key, session_version, previous_state, state, origin, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3));

-- selectHistory (first page)
SELECT CONVERT(session_key USING utf8mb4) AS session_key, session_version, previous_state, state, origin, reason, DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS changed_at FROM `bot`.`session_history` WHERE session_key = ? ORDER BY session_version DESC, id DESC LIMIT ?;

-- selectHistory (before version 9)
SELECT CONVERT(session_key USING utf8mb4) AS session_key, session_version, previous_state, state, origin, reason, DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS changed_at FROM `bot`.`session_history` WHERE session_key = ? AND session_version < ? ORDER BY session_version DESC, id DESC LIMIT ?;

-- deleteHistoryBefore
DELETE FROM `bot`.`session_history` WHERE changed_at < ?;

-- historyColumns
SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?;
