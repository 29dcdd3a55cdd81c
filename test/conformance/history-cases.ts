/** The transition history: written atomically with each versioned write, per key by version. */
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, InvalidArgumentError, type SessionTransition } from '../../src/index.js';
import { runParallel } from '../support/parallel.js';
import { PHONE } from './shared.js';
import type { DialectTarget, Fixture } from './target.js';

async function historyCount(fixture: Fixture): Promise<number> {
  const table =
    fixture.names.schema === null
      ? fixture.quote(fixture.names.historyTable)
      : `${fixture.quote(fixture.names.schema)}.${fixture.quote(fixture.names.historyTable)}`;
  return Number((await fixture.exec(`SELECT COUNT(*) AS n FROM ${table}`))[0]!['n']);
}

const brief = (transitions: SessionTransition[]): unknown[] =>
  transitions.map(({ version, previousState, state, origin, reason }) => ({
    version,
    previousState,
    state,
    origin,
    reason,
  }));

export function defineHistoryCases(target: DialectTarget): void {
  const withHistory = (): Promise<Fixture> => target.createFixture({ tableOptions: { history: true } });

  describe('transition history (history: true)', () => {
    it('records each versioned write with the previous state, origin and reason; newest first, paged by version', async () => {
      const fixture = await withHistory();
      const { repository } = fixture;
      await repository.getOrCreateSession(PHONE, { state: 'INICIO' });
      await repository.updateSession(PHONE, { state: 'MENU' }, { expectedVersion: 0, origin: 'bot' });
      await repository.updateSession(
        PHONE,
        { state: 'EQUIPO_CONFIRMADO', data: { equipo: 'refri' } },
        { expectedVersion: 1, origin: 'user', reason: 'Equipo confirmado' },
      );
      await repository.updateSession(PHONE, { data: { equipo: 'lavadora' } }, { expectedVersion: 2 });
      const all = await repository.getSessionHistory(PHONE);
      expect(brief(all)).toEqual([
        { version: 3, previousState: 'EQUIPO_CONFIRMADO', state: 'EQUIPO_CONFIRMADO', origin: null, reason: null },
        { version: 2, previousState: 'MENU', state: 'EQUIPO_CONFIRMADO', origin: 'user', reason: 'Equipo confirmado' },
        { version: 1, previousState: 'INICIO', state: 'MENU', origin: 'bot', reason: null },
      ]);
      expect(all.every((transition) => transition.key === PHONE && transition.changedAt instanceof Date)).toBe(true);
      expect(Math.abs(all[0]!.changedAt.getTime() - Date.now())).toBeLessThan(60_000);
      const page = await repository.getSessionHistory(PHONE, { limit: 2 });
      expect(page.map((transition) => transition.version)).toEqual([3, 2]);
      const next = await repository.getSessionHistory(PHONE, { limit: 2, before: page.at(-1)!.version });
      expect(next.map((transition) => transition.version)).toEqual([1]);
      expect(await repository.getSessionHistory('+5215599999999')).toEqual([]);
    });

    it('a refused write records nothing; a rolled-back caller transaction records nothing; a committed one does', async () => {
      const fixture = await withHistory();
      const { repository } = fixture;
      await repository.getOrCreateSession(PHONE, { state: 'INICIO' });
      await repository.updateSession(PHONE, { state: 'MENU' }, { expectedVersion: 0 });
      const stale = await repository
        .updateSession(PHONE, { state: 'STALE' }, { expectedVersion: 0, origin: 'bot' })
        .catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(ConcurrencyError);
      expect(await historyCount(fixture)).toBe(1);

      const rolledBack = await target.beginTransaction(fixture);
      await repository.updateSession(
        PHONE,
        { state: 'ROLLED_BACK' },
        { expectedVersion: 1, origin: 'agent', transaction: rolledBack.handle },
      );
      await rolledBack.rollback();
      expect(await historyCount(fixture)).toBe(1);

      const committed = await target.beginTransaction(fixture);
      await repository.updateSession(
        PHONE,
        { state: 'CERRADO' },
        { expectedVersion: 1, origin: 'agent', reason: 'cierre manual', transaction: committed.handle },
      );
      await committed.commit();
      expect(brief(await repository.getSessionHistory(PHONE, { limit: 1 }))).toEqual([
        { version: 2, previousState: 'MENU', state: 'CERRADO', origin: 'agent', reason: 'cierre manual' },
      ]);
    });

    it('an exactly-once update records its transition once; the duplicate records nothing', async () => {
      const fixture = await withHistory();
      const { repository } = fixture;
      await repository.getOrCreateSession(PHONE, { state: 'INICIO' });
      const options = { expectedVersion: 0, idempotencyKey: 'wamid.1', origin: 'user' };
      await repository.updateSession(PHONE, { state: 'PAGADO' }, options);
      await repository.updateSession(PHONE, { state: 'PAGADO' }, options).catch((e: unknown) => e);
      expect(brief(await repository.getSessionHistory(PHONE))).toEqual([
        { version: 1, previousState: 'INICIO', state: 'PAGADO', origin: 'user', reason: null },
      ]);
    });

    it('50 concurrent writers in parallel workers: versions 1..50, each recorded exactly once', async () => {
      const fixture = await withHistory();
      await fixture.repository.getOrCreateSession(PHONE, { data: { counter: 0 } });
      const results = await runParallel({
        connection: fixture.connection,
        workload: 'retryIncrement',
        key: PHONE,
        workers: 5,
        tasksPerWorker: 10,
        retry: { maxAttempts: 500, baseDelayMs: 1, maxDelayMs: 20 },
      });
      expect(results.filter((result) => !result.ok)).toEqual([]);
      expect(results.reduce((sum, result) => sum + result.attempts!, 0)).toBeGreaterThan(50);
      const history = await fixture.repository.getSessionHistory(PHONE, { limit: 1000 });
      expect(history.map((transition) => transition.version)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
      expect(await historyCount(fixture)).toBe(50);
    });

    it('expireIdleSessions records origin timeout and its reason', async () => {
      const fixture = await withHistory();
      await fixture.repository.getOrCreateSession(PHONE, { state: 'MENU' });
      const c = fixture.names.columns;
      await fixture.exec(`UPDATE ${fixture.table} SET ${fixture.quote(c.updatedAt)} = ${fixture.placeholder(1)}`, [
        '2024-01-01T00:00:00.000Z',
      ]);
      await fixture.repository.expireIdleSessions({
        idleFor: '30m',
        changes: { state: 'CANCELADA' },
        reason: '30 min sin respuesta',
      });
      expect(brief(await fixture.repository.getSessionHistory(PHONE))).toEqual([
        { version: 1, previousState: 'MENU', state: 'CANCELADA', origin: 'timeout', reason: '30 min sin respuesta' },
      ]);
    });

    it('pruneHistory deletes the transitions older than the cut-off and counts them', async () => {
      const fixture = await withHistory();
      await fixture.repository.getOrCreateSession(PHONE);
      for (let version = 0; version < 3; version++) {
        await fixture.repository.updateSession(PHONE, { state: `S${version}` }, { expectedVersion: version });
      }
      expect(await fixture.repository.pruneHistory({ olderThan: new Date(Date.now() - 3_600_000) })).toBe(0);
      expect(await fixture.repository.pruneHistory({ olderThan: new Date(Date.now() + 3_600_000) })).toBe(3);
      expect(await fixture.repository.getSessionHistory(PHONE)).toEqual([]);
    });

    const badLabels: [string, Record<string, unknown>, string][] = [
      ['an origin longer than 32', { origin: 'o'.repeat(33) }, 'options.origin'],
      ['an empty origin', { origin: '' }, 'options.origin'],
      ['an origin with a newline', { origin: 'bot\n' }, 'options.origin'],
      ['a reason longer than 255', { reason: 'r'.repeat(256) }, 'options.reason'],
      ['a reason that is not a string', { reason: 5 }, 'options.reason'],
    ];
    it.each(badLabels)('refuses %s, not truncated, and writes nothing', async (_label, options, argument) => {
      const fixture = await withHistory();
      await fixture.repository.getOrCreateSession(PHONE, { state: 'INICIO' });
      const error = await fixture.repository
        .updateSession(PHONE, { state: 'MENU' }, { expectedVersion: 0, ...options })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'INICIO', version: 0 });
      expect(await historyCount(fixture)).toBe(0);
    });

    it('refuses bad paging and cut-offs before any statement', async () => {
      const fixture = await withHistory();
      const attempts: [() => Promise<unknown>, string][] = [
        [() => fixture.repository.getSessionHistory(PHONE, { limit: 0 }), 'options.limit'],
        [() => fixture.repository.getSessionHistory(PHONE, { limit: 1001 }), 'options.limit'],
        [() => fixture.repository.getSessionHistory(PHONE, { before: -1 }), 'options.before'],
        [() => fixture.repository.getSessionHistory('', {}), 'key'],
        [() => fixture.repository.pruneHistory({ olderThan: new Date(Number.NaN) }), 'olderThan'],
      ];
      for (const [attempt, argument] of attempts) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument).toBe(argument);
      }
    });

    it('without history: true nothing is recorded, and origin and reason are still validated', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE);
      await fixture.repository.updateSession(PHONE, { state: 'MENU' }, { expectedVersion: 0, origin: 'bot' });
      expect(await historyCount(fixture)).toBe(0);
      await expect(
        fixture.repository.updateSession(PHONE, { state: 'X' }, { expectedVersion: 1, origin: 'x'.repeat(40) }),
      ).rejects.toMatchObject({ argument: 'options.origin' });
    });
  });
}
