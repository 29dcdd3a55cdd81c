-- select
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `key` = ?;

-- selectDataPage (first page)
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `data` AS session_data FROM `sessions` WHERE ? IS NULL OR `key` > ? ORDER BY `key` LIMIT ?;

-- selectDataPage (after a key)
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `data` AS session_data FROM `sessions` WHERE ? IS NULL OR `key` > ? ORDER BY `key` LIMIT ?;

-- selectVersion
SELECT COALESCE(`version`, 0) AS session_version FROM `sessions` WHERE `key` = ?;

-- insertIfAbsent
INSERT INTO `sessions` (`key`, `state`, `data`, `version`, `created_at`, `updated_at`) VALUES (?, ?, ?, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3));
-- then, in the same transaction (after):
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `key` = ?;

-- update (expectedVersion 3, state and data)
UPDATE `sessions` SET `state` = ?, `data` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `key` = ? AND COALESCE(`version`, 0) = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `key` = ?;

-- update (expectedVersion 0, no field changed)
UPDATE `sessions` SET `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `key` = ? AND COALESCE(`version`, 0) = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `key` = ?;

-- update (unconditional, data only)
UPDATE `sessions` SET `data` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `key` = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `key` = ?;

-- delete (expectedVersion 4)
DELETE FROM `sessions` WHERE `key` = ? AND COALESCE(`version`, 0) = ?;

-- delete (unconditional)
DELETE FROM `sessions` WHERE `key` = ?;

-- observedUpdate (state and data)
UPDATE `sessions` SET `state` = ?, `data` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `key` = ?;
-- then, in the same transaction (after):
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, COALESCE(`version`, 0) - 1 AS previous_version FROM `sessions` WHERE `key` = ?;

-- observedDelete
-- first, in the same transaction (before):
SELECT COALESCE(`version`, 0) AS previous_version FROM `sessions` WHERE `key` = ? FOR UPDATE;
DELETE FROM `sessions` WHERE `key` = ?;

-- touch
UPDATE `sessions` SET `updated_at` = UTC_TIMESTAMP(3) WHERE `key` = ?;

-- sessionColumns
SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?;

-- processedColumns
SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?;

-- insertProcessed
INSERT INTO `processed_operations` (id, session_key, processed_at) VALUES (?, ?, UTC_TIMESTAMP(3));

-- insertProcessed (for a session key)
INSERT INTO `processed_operations` (id, session_key, processed_at) VALUES (?, ?, UTC_TIMESTAMP(3));

-- readWithProcessed
SELECT CONVERT(s.`key` USING utf8mb4) AS session_key, s.`state` AS session_state, s.`data` AS session_data, COALESCE(s.`version`, 0) AS session_version, DATE_FORMAT(s.`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(s.`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, CONVERT(p.id USING utf8mb4) AS processed_id, p.session_version AS processed_version, p.session_snapshot AS processed_snapshot, p.commit_token AS processed_token, DATE_FORMAT(p.processed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS processed_at FROM (SELECT 1 AS one) AS base LEFT JOIN `sessions` AS s ON s.`key` = ? LEFT JOIN `processed_operations` AS p ON p.session_key = ? AND p.id = ?;

-- updateUnlessProcessed (expectedVersion 3)
UPDATE `sessions` SET `state` = ?, `data` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) WHERE `key` = ? AND COALESCE(`version`, 0) = ? AND NOT EXISTS (SELECT 1 FROM `processed_operations` WHERE session_key = ? AND id = ?);
-- then, in the same transaction (after):
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `key` = ?;

-- insertProcessedRecord
INSERT INTO `processed_operations` (id, session_key, session_version, session_snapshot, commit_token, processed_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3));

-- selectProcessed
SELECT 1 AS found FROM `processed_operations` WHERE id = ?;

-- deleteProcessedBefore
DELETE FROM `processed_operations` WHERE processed_at < ?;

-- selectProcessedRecord
SELECT CONVERT(id USING utf8mb4) AS id, CONVERT(session_key USING utf8mb4) AS session_key, session_version, session_snapshot, commit_token, DATE_FORMAT(processed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS processed_at FROM `processed_operations` WHERE id = ?;

-- claimProcessed
INSERT INTO `processed_operations` (id, session_key, commit_token, processed_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3));

-- recordProcessed
UPDATE `processed_operations` SET session_version = ?, session_snapshot = ? WHERE id = ? AND commit_token = ?;

-- releaseProcessed
DELETE FROM `processed_operations` WHERE id = ? AND commit_token = ?;

-- selectIdle (any state)
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `updated_at` < ? ORDER BY `updated_at`, `key` LIMIT ?;

-- selectIdle (two states)
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at FROM `sessions` WHERE `updated_at` < ? AND `state` IN (?, ?) ORDER BY `updated_at`, `key` LIMIT ?;

-- selectPage (first page, no filter)
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, DATE_FORMAT(`updated_at`, '%Y-%m-%d %H:%i:%s.%f') AS page_time FROM `sessions` ORDER BY `updated_at`, `key` LIMIT ?;

-- selectPage (after a position, two states, a time window)
SELECT CONVERT(`key` USING utf8mb4) AS session_key, `state` AS session_state, `data` AS session_data, COALESCE(`version`, 0) AS session_version, DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at, DATE_FORMAT(`updated_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS updated_at, DATE_FORMAT(`updated_at`, '%Y-%m-%d %H:%i:%s.%f') AS page_time FROM `sessions` WHERE `updated_at` >= ? AND `updated_at` < ? AND `state` IN (?, ?) AND `updated_at` >= ? AND (`updated_at` > ? OR `key` > ?) ORDER BY `updated_at`, `key` LIMIT ?;

-- deleteStale (any state)
DELETE FROM `sessions` WHERE `updated_at` < ? ORDER BY `updated_at`, `key` LIMIT ?;

-- deleteStale (two states)
DELETE FROM `sessions` WHERE `updated_at` < ? AND `state` IN (?, ?) ORDER BY `updated_at`, `key` LIMIT ?;

-- lockRow
SELECT `state` AS session_state, COALESCE(`version`, 0) AS session_version FROM `sessions` WHERE `key` = ? FOR UPDATE;

-- insertHistory
INSERT INTO `session_history` (session_key, session_version, previous_state, state, origin, reason, changed_at) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3));

-- selectHistory (first page)
SELECT CONVERT(session_key USING utf8mb4) AS session_key, session_version, previous_state, state, origin, reason, DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS changed_at FROM `session_history` WHERE session_key = ? ORDER BY session_version DESC, id DESC LIMIT ?;

-- selectHistory (before version 9)
SELECT CONVERT(session_key USING utf8mb4) AS session_key, session_version, previous_state, state, origin, reason, DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS changed_at FROM `session_history` WHERE session_key = ? AND session_version < ? ORDER BY session_version DESC, id DESC LIMIT ?;

-- deleteHistoryBefore
DELETE FROM `session_history` WHERE changed_at < ?;

-- historyColumns
SELECT COLUMN_NAME AS column_name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?;
