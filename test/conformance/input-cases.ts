/** Bad input gets a typed error and writes nothing. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { PHONE, rowCount } from './shared.js';
import type { DialectTarget } from './target.js';

export function defineInputCases(target: DialectTarget): void {
  describe('bad input gets InvalidArgumentError and writes nothing', () => {
    const badKeys: [string, unknown][] = [
      ['empty', ''],
      ['a number', 5215512345678],
      ['null', null],
      ['too long', '9'.repeat(256)],
      ['a control character', '+52155\n1234'],
      ['a lone surrogate', '+52\ud800'],
    ];
    it.each(badKeys)('key: %s', async (_label, key) => {
      const fixture = await target.createFixture();
      const attempts = [
        () => fixture.repository.getOrCreateSession(key as string),
        () => fixture.repository.updateSession(key as string, { state: 'X' }),
        () => fixture.repository.getSession(key as string),
        () => fixture.repository.deleteSession(key as string),
        () => fixture.repository.markProcessed(key as string),
      ];
      for (const attempt of attempts) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toMatch(/^(key|id)$/);
        expect((error as Error).message).not.toContain('5215512345678');
      }
      expect(await rowCount(fixture)).toBe(0);
    });

    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    const badData: [string, unknown, string][] = [
      ['an array', [1, 2], 'changes.data'],
      ['null', null, 'changes.data'],
      ['a string', '{"a":1}', 'changes.data'],
      ['a BigInt inside', { n: 10n }, 'changes.data.n'],
      ['a cycle', cycle, 'changes.data.self'],
      ['a Date inside', { at: new Date() }, 'changes.data.at'],
      ['NaN inside', { n: Number.NaN }, 'changes.data.n'],
      ['a function inside', { f: () => 1 }, 'changes.data.f'],
      ['undefined inside an array', { u: [1, undefined] }, 'changes.data.u.1'],
    ];
    it.each(badData)('data: %s', async (_label, data, argument) => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { state: 'INICIO', data: { ok: true } });
      const error = await fixture.repository
        .updateSession(PHONE, { state: 'CAMBIADO', data: data as Record<string, unknown> }, { expectedVersion: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({
        state: 'INICIO',
        data: { ok: true },
        version: 0,
      });
    });

    const badVersions: [string, unknown][] = [
      ['negative', -1],
      ['fractional', 1.5],
      ['a string', '1'],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['above INT', 2 ** 31],
    ];
    it.each(badVersions)('expectedVersion: %s', async (_label, expectedVersion) => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { state: 'INICIO' });
      for (const attempt of [
        () => fixture.repository.updateSession(PHONE, { state: 'X' }, { expectedVersion: expectedVersion as number }),
        () => fixture.repository.deleteSession(PHONE, { expectedVersion: expectedVersion as number }),
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe('options.expectedVersion');
      }
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'INICIO', version: 0 });
    });

    it('changes with an unknown field or a non-string state', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE);
      const unknownField = await fixture.repository
        .updateSession(PHONE, { estado: 'X' } as never)
        .catch((e: unknown) => e);
      expect(unknownField).toMatchObject({ name: 'InvalidArgumentError', argument: 'changes.estado' });
      const badState = await fixture.repository.updateSession(PHONE, { state: 42 as never }).catch((e: unknown) => e);
      expect(badState).toMatchObject({ name: 'InvalidArgumentError', argument: 'changes.state' });
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: null, version: 0 });
    });

    const badIdentifiers: [string, Record<string, unknown>, string][] = [
      ['a table with a quote', { table: 'sessions"; DROP TABLE x; --' }, 'table'],
      ['a table with a bracket', { table: 'a]b' }, 'table'],
      ['a table with a semicolon', { table: 'a;b' }, 'table'],
      ['a column with a space', { columns: { key: 'my key' } }, 'columns.key'],
      ['a column with NUL', { columns: { version: 'ver\u0000sion' } }, 'columns.version'],
      ['an over-long column', { columns: { data: 'd'.repeat(200) } }, 'columns.data'],
      ['an unknown column role', { columns: { phone: 'Telefono' } }, 'columns.phone'],
      ['two roles on one column', { columns: { state: 'data' } }, 'columns.data'],
    ];
    it.each(badIdentifiers)('identifier: %s', async (_label, options, argument) => {
      const fixture = await target.createFixture();
      const error = (() => {
        try {
          fixture.newStore(options);
          return undefined;
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect((error as Error).message).toMatch(
        /^Expected `[^`]+` to (be a plain \w+ identifier|name a column role|name a column of its own)/,
      );
    });
  });
}
