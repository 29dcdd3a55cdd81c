/**
 * Pins every statement the MySQL / MariaDB store sends, and the migrations rendered for the mysql
 * client. The same text runs on MariaDB (tested against the server in the conformance suite) and on
 * MySQL 8, where no server can be had here: for MySQL 8 these reviewed snapshots are the check, and the
 * assertions below hold the properties that make the text valid there (no RETURNING, no MariaDB-only
 * syntax, parameters only through `?`).
 */
import { describe, expect, it } from 'vitest';
import { resolveNames } from '../../src/core/sql/table-names.js';
import type { TableOptions } from '../../src/core/sql/table-names.js';
import { renderMigrations } from '../../src/migrations/index.js';
import { mysqlStatements, type MysqlQuery, type MysqlStatement } from '../../src/mysql/mysql-statements.js';
import { REPRESENTATIVE_KEY, representativeStatements } from '../support/representative-statements.js';

const KEY = REPRESENTATIVE_KEY;
const HOSTILE = "x'; DROP TABLE `sessions`; --";
const ADOPTED: TableOptions = {
  table: 'sesiones_chat',
  columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' },
};

/** Every statement the store can send, with representative values. */
function everyStatement(options: TableOptions, key = KEY): [string, MysqlStatement][] {
  return representativeStatements(mysqlStatements(resolveNames('mysql', options)), key);
}

/** Each query of a statement, in the order the store runs them. */
function queriesOf(statement: MysqlStatement): [string, MysqlQuery][] {
  return [
    ...(statement.before === undefined ? [] : [['before', statement.before] as [string, MysqlQuery]]),
    ['', statement],
    ...(statement.after === undefined ? [] : [['after', statement.after] as [string, MysqlQuery]]),
  ];
}

function snapshotOf(statements: [string, MysqlStatement][]): string {
  return statements
    .map(([label, statement]) =>
      [
        `-- ${label}`,
        ...queriesOf(statement).map(
          ([step, query]) =>
            `${step === '' ? '' : step === 'before' ? '-- first, in the same transaction (before):\n' : '-- then, in the same transaction (after):\n'}${query.sql};`,
        ),
      ].join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}

describe('MySQL / MariaDB statements', () => {
  it('match the reviewed text for the default names', async () => {
    await expect(snapshotOf(everyStatement({}))).toMatchFileSnapshot('./__snapshots__/statements.default.sql');
  });

  it('match the reviewed text for an adopted table in a database of its own', async () => {
    await expect(snapshotOf(everyStatement({ schema: 'bot', ...ADOPTED }))).toMatchFileSnapshot(
      './__snapshots__/statements.sesiones_chat.sql',
    );
  });

  it.each(everyStatement({}, HOSTILE))(
    '%s: values travel only as ? parameters, one per placeholder',
    (_label, statement) => {
      for (const [, query] of queriesOf(statement)) {
        expect(query.sql).not.toContain('DROP TABLE');
        expect(query.sql).not.toContain('wamid');
        expect(query.sql).not.toContain('2026');
        expect(query.sql.split('?').length - 1).toBe(query.values.length);
      }
    },
  );

  it('uses nothing MySQL 8 lacks: no RETURNING, no IF NOT EXISTS on columns, no MariaDB-only functions', () => {
    for (const [, statement] of everyStatement(ADOPTED)) {
      for (const [, query] of queriesOf(statement)) {
        expect(query.sql).not.toMatch(/\bRETURNING\b|\bIF NOT EXISTS\b|\bINSERT IGNORE\b|ON DUPLICATE KEY/i);
        // Server clock in UTC, whatever the session time_zone: never NOW() or CURRENT_TIMESTAMP.
        expect(query.sql).not.toMatch(/\bNOW\(|CURRENT_TIMESTAMP/i);
      }
    }
  });

  it('puts the version check in the UPDATE and DELETE themselves, and reads the written row back by key in the same transaction', () => {
    const s = mysqlStatements(resolveNames('mysql', ADOPTED));
    const update = s.update(KEY, { state: 'X' }, 7);
    expect(update.sql).toBe(
      'UPDATE `sesiones_chat` SET `Estado` = ?, `version` = COALESCE(`version`, 0) + 1, `updated_at` = UTC_TIMESTAMP(3) ' +
        'WHERE `Telefono` = ? AND COALESCE(`version`, 0) = ?',
    );
    expect(update.values).toEqual(['X', KEY, 7]);
    expect(update.after?.sql).toMatch(
      /^SELECT CONVERT\(`Telefono` USING utf8mb4\) AS session_key, .* FROM `sesiones_chat` WHERE `Telefono` = \?$/,
    );
    // Version 0 is a real version, not "no check".
    expect(s.update(KEY, {}, 0).values).toEqual([KEY, 0]);
    expect(s.update(KEY, {}, null).sql).not.toContain('COALESCE(`version`, 0) = ?');
    expect(s.delete(KEY, 7)).toEqual({
      sql: 'DELETE FROM `sesiones_chat` WHERE `Telefono` = ? AND COALESCE(`version`, 0) = ?',
      values: [KEY, 7],
    });
  });

  it('observes a delete by locking the row first (FOR UPDATE), and an update by the version it just set', () => {
    const s = mysqlStatements(resolveNames('mysql', {}));
    expect(s.observedDelete(KEY).before?.sql).toBe(
      'SELECT COALESCE(`version`, 0) AS previous_version FROM `sessions` WHERE `key` = ? FOR UPDATE',
    );
    expect(s.observedUpdate(KEY, {}).after?.sql).toContain(
      ', COALESCE(`version`, 0) - 1 AS previous_version FROM `sessions`',
    );
  });

  it('reads times as ISO-8601 UTC text and passes olderThan as UTC DATETIME text', () => {
    const s = mysqlStatements(resolveNames('mysql', {}));
    expect(s.select(KEY).sql).toContain("DATE_FORMAT(`created_at`, '%Y-%m-%dT%H:%i:%s.%fZ') AS created_at");
    expect(s.deleteProcessedBefore(new Date('2026-01-02T03:04:05.678Z')).values).toEqual(['2026-01-02 03:04:05.678']);
    expect(s.deleteHistoryBefore(new Date('2026-01-02T03:04:05.678Z')).values).toEqual(['2026-01-02 03:04:05.678']);
    expect(s.selectIdle(new Date('2026-01-02T03:04:05.678Z'), ['MENU'], 100).values).toEqual([
      '2026-01-02 03:04:05.678',
      'MENU',
      '100',
    ]);
    expect(s.selectHistory(KEY, 20, null).sql).toContain(
      "DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS changed_at",
    );
  });

  it('renders migrations for the mysql client: USE for a configured database, guarded steps commented out', async () => {
    await expect(renderMigrations({ dialect: 'mysql' })).toMatchFileSnapshot('./__snapshots__/migrations.default.sql');
    const script = renderMigrations({ dialect: 'mysql', schema: 'bot', ...ADOPTED });
    expect(script.startsWith('USE `bot`;\n')).toBe(true);
    expect(script).toContain(
      '-- Guarded: `versioned-sessions migrate` runs this only when needed. To adopt an existing table in the mysql client',
    );
    expect(script).toContain('-- ALTER TABLE `sesiones_chat` ADD COLUMN `version` INT NOT NULL DEFAULT 0;');
    expect(script).toContain('`Telefono` VARBINARY(1020) NOT NULL PRIMARY KEY');
  });
});
