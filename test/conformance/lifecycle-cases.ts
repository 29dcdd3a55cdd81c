/** The end of a chat's life: the idle-session sweep, with real message handlers racing it. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Session } from '../../src/index.js';
import { runParallel } from '../support/parallel.js';
import type { DialectTarget, Fixture } from './target.js';

const LONG_AGO = '2024-01-01T00:00:00.000Z';

/** Sets a session's last-activity time, as if it had gone quiet then. */
export async function backdate(fixture: Fixture, key: string, when = LONG_AGO): Promise<void> {
  const q = fixture.quote;
  const c = fixture.names.columns;
  const p = fixture.placeholder;
  await fixture.exec(`UPDATE ${fixture.table} SET ${q(c.updatedAt)} = ${p(1)} WHERE ${q(c.key)} = ${p(2)}`, [
    when,
    key,
  ]);
}

export function chats(count: number, prefix = '+52155'): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(7, '0')}`);
}

async function seed(fixture: Fixture, keys: string[], state: string): Promise<void> {
  for (const key of keys) {
    await fixture.repository.getOrCreateSession(key, { state, data: { counter: 0 } });
    await backdate(fixture, key);
  }
}

type Counted = Session<{ counter?: number; closed?: number }>;

/** The sweep's changes: close the chat, keeping the data as the sweep read it. */
const close = (session: Session): { state: string; data: Record<string, unknown> } => ({
  state: 'CANCELADA',
  data: { ...session.data, closed: ((session.data['closed'] as number | undefined) ?? 0) + 1 },
});

export function defineLifecycleCases(target: DialectTarget): void {
  describe('expireIdleSessions', () => {
    it('closes the sessions idle longer than idleFor in the given states, and nothing else', async () => {
      const fixture = await target.createFixture();
      const [idleMenu, idlePaid, fresh] = chats(3);
      await seed(fixture, [idleMenu!, idlePaid!], 'MENU');
      await fixture.repository.updateSession(idlePaid!, { state: 'PAGADO' }, { expectedVersion: 0 });
      await backdate(fixture, idlePaid!);
      await fixture.repository.getOrCreateSession(fresh!, { state: 'MENU' });

      const result = await fixture.repository.expireIdleSessions({
        idleFor: '30m',
        changes: { state: 'CANCELADA' },
        states: ['MENU'],
      });

      expect(result).toEqual({ expired: 1, skipped: 0 });
      expect(await fixture.repository.getSession(idleMenu!)).toMatchObject({
        state: 'CANCELADA',
        version: 1,
        data: { counter: 0 },
      });
      expect(await fixture.repository.getSession(idlePaid!)).toMatchObject({ state: 'PAGADO', version: 1 });
      expect(await fixture.repository.getSession(fresh!)).toMatchObject({ state: 'MENU', version: 0 });
      // Written now, so no longer idle: a second sweep finds nothing.
      expect(
        await fixture.repository.expireIdleSessions({
          idleFor: '30m',
          changes: { state: 'X' },
          states: ['MENU', 'CANCELADA'],
        }),
      ).toEqual({ expired: 0, skipped: 0 });
    });

    it('passes each session to a changes function, and without states sweeps every state, NULL included', async () => {
      const fixture = await target.createFixture();
      const keys = chats(3);
      await seed(fixture, keys, 'MENU');
      await fixture.repository.updateSession(keys[1]!, { state: null }, { expectedVersion: 0 });
      await backdate(fixture, keys[1]!);
      const seen: string[] = [];
      const result = await fixture.repository.expireIdleSessions({
        idleFor: 60_000,
        changes: (session) => {
          seen.push(session.key);
          return close(session);
        },
      });
      expect(result).toEqual({ expired: 3, skipped: 0 });
      expect(seen.sort()).toEqual([...keys].sort());
      for (const key of keys) {
        expect(await fixture.repository.getSession(key)).toMatchObject({
          state: 'CANCELADA',
          data: { counter: 0, closed: 1 },
        });
      }
    });

    it('sweeps at most limit sessions per call, oldest first, across batches of 100', async () => {
      const fixture = await target.createFixture();
      const keys = chats(130);
      await seed(fixture, keys, 'MENU');
      await backdate(fixture, keys[129]!, '2023-01-01T00:00:00.000Z');
      const first = await fixture.repository.expireIdleSessions({
        idleFor: '1h',
        changes: { state: 'CANCELADA' },
        limit: 1,
      });
      expect(first).toEqual({ expired: 1, skipped: 0 });
      expect(await fixture.repository.getSession(keys[129]!)).toMatchObject({ state: 'CANCELADA' });
      const rest = await fixture.repository.expireIdleSessions({
        idleFor: '1h',
        changes: { state: 'CANCELADA' },
        limit: 120,
      });
      expect(rest).toEqual({ expired: 120, skipped: 0 });
      expect(await fixture.repository.expireIdleSessions({ idleFor: '1h', changes: { state: 'CANCELADA' } })).toEqual({
        expired: 9,
        skipped: 0,
      });
    });

    const badOptions: [string, Record<string, unknown>, string][] = [
      ['a unit it does not know', { idleFor: '30x' }, 'idleFor'],
      ['zero', { idleFor: 0 }, 'idleFor'],
      ['a negative duration', { idleFor: -5 }, 'idleFor'],
      ['a fraction', { idleFor: 1.5 }, 'idleFor'],
      ['more than ten years', { idleFor: '4000d' }, 'idleFor'],
      ['states not an array', { states: 'MENU' }, 'states'],
      ['no states', { states: [] }, 'states'],
      ['a null state', { states: [null] }, 'states[0]'],
      ['a state too long', { states: ['x'.repeat(256)] }, 'states[0]'],
      ['limit zero', { limit: 0 }, 'limit'],
      ['limit not an integer', { limit: 2.5 }, 'limit'],
      ['changes with an unknown field', { changes: { estado: 'X' } }, 'changes.estado'],
      ['changes data not an object', { changes: { data: [1] } }, 'changes.data'],
    ];
    it.each(badOptions)('refuses %s before any statement', async (_label, override, argument) => {
      const fixture = await target.createFixture();
      await seed(fixture, chats(2), 'MENU');
      const error = await fixture.repository
        .expireIdleSessions({ idleFor: '30m', changes: { state: 'CANCELADA' }, ...override } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      for (const key of chats(2)) {
        expect(await fixture.repository.getSession(key)).toMatchObject({ state: 'MENU', version: 0 });
      }
    });

    it('a changes function returning bad changes stops the sweep before that write', async () => {
      const fixture = await target.createFixture();
      await seed(fixture, chats(2), 'MENU');
      const error = await fixture.repository
        .expireIdleSessions({ idleFor: '30m', changes: () => ({ state: 7 }) as never })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'InvalidArgumentError', argument: 'changes().state' });
      for (const key of chats(2)) {
        expect(await fixture.repository.getSession(key)).toMatchObject({ state: 'MENU', version: 0 });
      }
    });
  });

  describe('expireIdleSessions racing real message handlers', () => {
    const KEYS = chats(20, '+52166');
    const WORKERS = 4;
    const TASKS = 3;
    const ROUNDS = 2;
    const MESSAGES_PER_KEY = WORKERS * TASKS * ROUNDS;

    /** Runs the handlers in worker threads and `sweep` in a loop on this thread until they finish. */
    async function race(fixture: Fixture, sweep: () => Promise<{ expired: number; skipped: number }>) {
      await seed(fixture, KEYS, 'MENU');
      let done = false;
      const handlers = runParallel({
        connection: fixture.connection,
        workload: 'handleMessages',
        key: KEYS[0]!,
        keys: KEYS,
        rounds: ROUNDS,
        workers: WORKERS,
        tasksPerWorker: TASKS,
        poolSize: 2,
        retry: { maxAttempts: 1000, baseDelayMs: 1, maxDelayMs: 10 },
      }).finally(() => (done = true));
      const totals = { sweeps: 0, expired: 0, skipped: 0 };
      while (!done) {
        const { expired, skipped } = await sweep();
        totals.sweeps++;
        totals.expired += expired;
        totals.skipped += skipped;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const results = await handlers;
      expect(results.filter((result) => !result.ok)).toEqual([]);
      const counters = [];
      for (const key of KEYS) {
        const session = (await fixture.repository.getSession(key)) as Counted;
        counters.push(session.data.counter ?? 0);
      }
      return { totals, counters };
    }

    it('never overwrites a message that arrived after the sweep read the session: every counter complete', async () => {
      const fixture = await target.createFixture();
      const { totals, counters } = await race(fixture, () =>
        fixture.repository.expireIdleSessions({ idleFor: 1, changes: close }),
      );
      console.info(`[lifecycle race] ${target.dialect} versioned sweep: ${JSON.stringify(totals)}`);
      expect(counters).toEqual(Array(KEYS.length).fill(MESSAGES_PER_KEY));
      expect(totals.expired).toBeGreaterThan(0);
      // The race really happened: messages landed between a sweep's read and its write.
      expect(totals.skipped).toBeGreaterThan(0);
    });

    it('negative control: the same sweep without the version check overwrites newer messages', async () => {
      const fixture = await target.createFixture();
      const { totals, counters } = await race(fixture, async () => {
        const idle = await fixture.store.findIdle!(new Date(Date.now() - 1), null, 100);
        for (const record of idle) {
          await fixture.repository.updateSession(record.key, close(record as Session));
        }
        return { expired: idle.length, skipped: 0 };
      });
      const lost = counters.reduce((sum, counter) => sum + (MESSAGES_PER_KEY - counter), 0);
      console.info(
        `[lifecycle race] ${target.dialect} unversioned sweep: ${JSON.stringify(totals)}, messages lost ${lost}`,
      );
      expect(lost).toBeGreaterThan(0);
      expect(counters.every((counter) => counter <= MESSAGES_PER_KEY)).toBe(true);
    });
  });
}
