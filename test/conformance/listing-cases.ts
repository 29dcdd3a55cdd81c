/** Listing sessions page by page with a keyset cursor, and pruning stale sessions in batches. */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Session } from '../../src/index.js';
import { backdate, chats } from './lifecycle-cases.js';
import { rowCount } from './shared.js';
import type { DialectTarget, Fixture } from './target.js';

/** Sessions in `state`, each at its own time in 2024 (`times[i]`, ISO-8601 UTC text). */
async function seedAt(fixture: Fixture, keys: string[], times: string[], state = 'MENU'): Promise<void> {
  for (const [index, key] of keys.entries()) {
    await fixture.repository.getOrCreateSession(key, { state, data: { index } });
    await backdate(fixture, key, times[index % times.length]);
  }
}

/** Every page of a listing, the cursors passed back unchanged; `between` runs after each page. */
async function listAll(
  fixture: Fixture,
  options: Omit<Parameters<Fixture['repository']['listSessions']>[0], 'cursor'>,
  between: (page: number) => Promise<void> = async () => {},
): Promise<{ sessions: Session[]; pages: number[] }> {
  const sessions: Session[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await fixture.repository.listSessions({ ...options, ...(cursor === undefined ? {} : { cursor }) });
    sessions.push(...page.sessions);
    pages.push(page.sessions.length);
    cursor = page.nextCursor ?? undefined;
    await between(pages.length);
    if (pages.length > 100) throw new Error('the listing did not end');
  } while (cursor !== undefined);
  return { sessions, pages };
}

/** (updatedAt, key) order as far as a JavaScript Date tells: times never go back. */
function timesNeverGoBack(sessions: Session[]): boolean {
  return sessions.every(
    (session, index) => index === 0 || sessions[index - 1]!.updatedAt.getTime() <= session.updatedAt.getTime(),
  );
}

// Ten distinct times, three of them shared by several sessions (ties broken by key), two of them
// less than a millisecond apart: equal as JavaScript Dates, distinct where the column keeps microseconds.
const TIMES = [
  '2024-03-01T10:00:00.000Z',
  '2024-01-01T00:00:00.000Z',
  '2024-02-01T00:00:00.000100Z',
  '2024-02-01T00:00:00.000200Z',
  '2024-01-15T08:30:00.250Z',
  '2024-01-01T00:00:00.000Z',
  '2024-04-01T00:00:00.999Z',
  '2024-02-01T00:00:00.000100Z',
];

export function defineListingCases(target: DialectTarget): void {
  // The fractional digits the dialect's packaged time column keeps (SQLite: the text the library writes).
  const digits = target.dialect === 'postgres' ? 6 : 3;
  const atPrecision = (time: string): string => {
    const [whole, fraction = ''] = time.replace('Z', '').split('.');
    return `${whole}.${fraction.padEnd(6, '0').slice(0, digits)}`;
  };
  const times = TIMES.map((time) => (target.dialect === 'sqlite' ? `${atPrecision(time)}Z` : time));
  /** The keys seeded with `times`, in the (time as stored, key) order the listing promises. */
  const expectedOrder = (keys: string[]): string[] =>
    keys
      .map((key, index) => ({ key, time: atPrecision(times[index % times.length]!) }))
      .sort((a, b) => (a.time === b.time ? (a.key < b.key ? -1 : 1) : a.time < b.time ? -1 : 1))
      .map(({ key }) => key);

  describe('listSessions', () => {
    it('pages through every session exactly once, in (updatedAt, key) order, with no cursor after the last page', async () => {
      const fixture = await target.createFixture();
      const keys = chats(23, '+52177');
      await seedAt(fixture, keys, times);
      const { sessions, pages } = await listAll(fixture, { limit: 5 });
      expect(pages).toEqual([5, 5, 5, 5, 3]);
      // Each exactly once, in (time as stored, key) order: two sessions less than a millisecond apart
      // included, where the column keeps microseconds.
      expect(sessions.map((session) => session.key)).toEqual(expectedOrder(keys));
      expect(timesNeverGoBack(sessions)).toBe(true);
      expect(sessions[0]).toMatchObject({ state: 'MENU', version: 0 });
      expect(sessions.at(-1)!.updatedAt.toISOString()).toBe('2024-04-01T00:00:00.999Z');
      // A page exactly as long as what is left ends the listing too.
      const exact = await listAll(fixture, { limit: 23 });
      expect(exact.pages).toEqual([23]);
      expect(exact.sessions.map((session) => session.key)).toEqual(sessions.map((session) => session.key));
    });

    it('sessions written while paging: the others listed exactly once, a written one moved to the end, never skipped', async () => {
      const fixture = await target.createFixture();
      const keys = chats(20, '+52178');
      await seedAt(fixture, keys, times);
      const first = await fixture.repository.listSessions({ limit: 6 });
      const order = expectedOrder(keys);
      expect(first.sessions.map((session) => session.key)).toEqual(order.slice(0, 6));
      const listed = order[2]!;
      const notYet = order[15]!;
      let written = false;
      const rest = await listAll(fixture, { limit: 6 }, async (page) => {
        if (page !== 1 || written) return;
        written = true;
        for (const key of [listed, notYet]) {
          const session = await fixture.repository.getSession(key);
          await fixture.repository.updateSession(key, { state: 'PAGADO' }, { expectedVersion: session!.version });
        }
      });
      // `rest` starts again from the first page: its first page was read before the writes.
      const seen = rest.sessions.map((session) => session.key);
      const count = (key: string): number => seen.filter((other) => other === key).length;
      const untouched = order.filter((key) => key !== listed && key !== notYet);
      for (const key of untouched) expect(count(key)).toBe(1);
      expect(count(notYet)).toBe(1);
      expect(count(listed)).toBe(2);
      expect(seen.filter((key) => untouched.includes(key))).toEqual(untouched);
      // Both written ones last (in the order of their write times, which may tie), as written.
      expect(
        rest.sessions
          .slice(-2)
          .map((session) => [session.key, session.state, session.version])
          .sort(),
      ).toEqual([listed, notYet].sort().map((key) => [key, 'PAGADO', 1]));
      expect(timesNeverGoBack(rest.sessions)).toBe(true);

      // Bounded by when the listing began, each session is listed at most once: the written ones drop out.
      const bounded = await listAll(fixture, { limit: 6, updatedBefore: new Date('2025-01-01T00:00:00.000Z') });
      expect(bounded.sessions.map((session) => session.key).sort()).toEqual(
        keys.filter((key) => key !== listed && key !== notYet).sort(),
      );
    });

    it('filters by states and by an updatedAfter (inclusive) / updatedBefore (exclusive) window', async () => {
      const fixture = await target.createFixture();
      const menu = chats(6, '+52179');
      const paid = chats(4, '+52180');
      await seedAt(fixture, menu, times, 'MENU');
      await seedAt(fixture, paid, times, 'PAGADO');
      const fresh = chats(1, '+52181')[0]!;
      await fixture.repository.getOrCreateSession(fresh, { state: 'MENU' });
      const keysOf = async (options: Parameters<Fixture['repository']['listSessions']>[0]): Promise<string[]> =>
        (await listAll(fixture, options)).sessions.map((session) => session.key).sort();

      expect(await keysOf({ limit: 3, states: ['PAGADO'] })).toEqual([...paid].sort());
      expect(await keysOf({ limit: 3, states: ['MENU'] })).toEqual([...menu, fresh].sort());
      expect(await keysOf({ limit: 3, states: ['MENU'], updatedBefore: new Date('2025-01-01') })).toEqual(
        [...menu].sort(),
      );
      expect(await keysOf({ limit: 3, updatedAfter: new Date('2025-01-01') })).toEqual([fresh]);
      // Keys 0 and 5 of each seed sit at exactly 2024-01-01: in with updatedAfter there, out with updatedBefore.
      const window = { updatedAfter: new Date('2024-01-01T00:00:00.000Z'), updatedBefore: new Date('2024-02-01') };
      expect(await keysOf({ limit: 2, ...window })).toEqual([menu[1]!, menu[4]!, menu[5]!, paid[1]!].sort());
      expect(await keysOf({ limit: 2, updatedBefore: new Date('2024-01-01T00:00:00.000Z') })).toEqual([]);
      expect(await keysOf({ limit: 5, states: ['NADA'] })).toEqual([]);
    });

    it('refuses a tampered cursor, one from another query or table, and one that is not a cursor', async () => {
      const fixture = await target.createFixture();
      const other = await target.createFixture();
      await seedAt(fixture, chats(4, '+52182'), times);
      await seedAt(other, chats(4, '+52182'), times);
      const options = { limit: 2, states: ['MENU', 'PAGADO'] };
      const { nextCursor } = await fixture.repository.listSessions(options);
      expect(typeof nextCursor).toBe('string');
      const cursor = nextCursor!;
      // The same query (states in another order, another limit) takes it.
      const next = await fixture.repository.listSessions({ limit: 5, states: ['PAGADO', 'MENU'], cursor });
      expect(next.sessions).toHaveLength(2);

      const [version, payload, sum] = cursor.split('.') as [string, string, string];
      const flip = (text: string, at: number): string =>
        text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      const refused: [string, unknown, Record<string, unknown>][] = [
        ['an edited position', `${version}.${flip(payload, 3)}.${sum}`, options],
        ['an edited checksum', `${version}.${payload}.${flip(sum, 0)}`, options],
        [
          'a position of your own choosing',
          `${version}.${Buffer.from(JSON.stringify(['2024-01-01 00:00:00+00', '+52182'])).toString('base64url')}.${sum}`,
          options,
        ],
        ['another filter (no states)', cursor, { limit: 2 }],
        ['another filter (one state less)', cursor, { limit: 2, states: ['MENU'] }],
        ['another window', cursor, { ...options, updatedBefore: new Date('2025-01-01') }],
        ['not a cursor', 'page-2', options],
        ['a number', 2, options],
        ['empty', '', options],
      ];
      for (const [label, bad, query] of refused) {
        const error = await fixture.repository
          .listSessions({ ...query, cursor: bad } as never)
          .catch((e: unknown) => e);
        expect(error, label).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument, label).toBe('options.cursor');
      }
      const foreign = await other.repository.listSessions({ ...options, cursor }).catch((e: unknown) => e);
      expect(foreign).toMatchObject({ name: 'InvalidArgumentError', argument: 'options.cursor' });
    });

    const badOptions: [string, Record<string, unknown>, string][] = [
      ['no limit', { limit: undefined }, 'options.limit'],
      ['limit zero', { limit: 0 }, 'options.limit'],
      ['limit above 1000', { limit: 1001 }, 'options.limit'],
      ['limit not an integer', { limit: 2.5 }, 'options.limit'],
      ['states not an array', { states: 'MENU' }, 'options.states'],
      ['a null state', { states: [null] }, 'options.states[0]'],
      ['updatedBefore not a Date', { updatedBefore: '2024-01-01' }, 'options.updatedBefore'],
      ['an invalid updatedAfter', { updatedAfter: new Date('nope') }, 'options.updatedAfter'],
      [
        'updatedAfter not before updatedBefore',
        { updatedAfter: new Date('2024-02-01'), updatedBefore: new Date('2024-02-01') },
        'options.updatedAfter',
      ],
    ];
    it.each(badOptions)('refuses %s', async (_label, override, argument) => {
      const fixture = await target.createFixture();
      const error = await fixture.repository.listSessions({ limit: 10, ...override } as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    });
  });

  describe('pruneSessions', () => {
    it('deletes only the sessions idle since before olderThan, in batches of batchSize, and leaves the rest', async () => {
      const fixture = await target.createFixture();
      const old = chats(12, '+52183');
      await seedAt(fixture, old, times);
      const fresh = chats(3, '+52184');
      for (const key of fresh) await fixture.repository.getOrCreateSession(key, { state: 'MENU' });
      const store = fixture.store;
      const deleteStale = store.deleteStale!.bind(store);
      const batches: number[] = [];
      store.deleteStale = async (...args) => {
        const deleted = await deleteStale(...args);
        batches.push(deleted);
        return deleted;
      };
      try {
        expect(await fixture.repository.pruneSessions({ olderThan: '30d', batchSize: 5 })).toEqual({ deleted: 12 });
      } finally {
        store.deleteStale = deleteStale;
      }
      expect(batches).toEqual([5, 5, 2]);
      expect(await rowCount(fixture)).toBe(3);
      for (const key of fresh) expect(await fixture.repository.getSession(key)).toMatchObject({ version: 0 });
      expect(await fixture.repository.pruneSessions({ olderThan: '30d' })).toEqual({ deleted: 0 });
    });

    it('with states, and with a Date, deletes only those states before that time', async () => {
      const fixture = await target.createFixture();
      const closed = chats(4, '+52185');
      const open = chats(3, '+52186');
      await seedAt(fixture, closed, ['2024-01-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z'], 'CANCELADA');
      await seedAt(fixture, open, ['2024-01-01T00:00:00.000Z'], 'MENU');
      const result = await fixture.repository.pruneSessions({
        olderThan: new Date('2024-03-01T00:00:00.000Z'),
        states: ['CANCELADA', 'FINALIZADA'],
      });
      expect(result).toEqual({ deleted: 2 });
      const left = (await fixture.repository.listSessions({ limit: 100 })).sessions.map((session) => session.key);
      expect(left.sort()).toEqual([closed[1]!, closed[3]!, ...open].sort());
    });

    const badOptions: [string, Record<string, unknown>, string][] = [
      ['no olderThan', { olderThan: undefined }, 'olderThan'],
      ['a unit it does not know', { olderThan: '30x' }, 'olderThan'],
      ['zero', { olderThan: 0 }, 'olderThan'],
      ['an invalid Date', { olderThan: new Date('nope') }, 'olderThan'],
      ['a Date in the future', { olderThan: new Date(Date.now() + 86_400_000) }, 'olderThan'],
      ['no states', { states: [] }, 'states'],
      ['a state too long', { states: ['x'.repeat(256)] }, 'states[0]'],
      ['batchSize zero', { batchSize: 0 }, 'batchSize'],
      ['batchSize above 10000', { batchSize: 10_001 }, 'batchSize'],
      ['batchSize not an integer', { batchSize: 1.5 }, 'batchSize'],
    ];
    it.each(badOptions)('refuses %s and deletes nothing', async (_label, override, argument) => {
      const fixture = await target.createFixture();
      await seedAt(fixture, chats(3, '+52187'), times);
      const error = await fixture.repository
        .pruneSessions({ olderThan: '1d', ...override } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect(await rowCount(fixture)).toBe(3);
    });
  });
}
