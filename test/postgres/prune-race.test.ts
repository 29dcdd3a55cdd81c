/**
 * pruneSessions racing a message's write on PostgreSQL: the message's transaction writes an old
 * session and holds its row while a prune batch, which chose that session by its old time, waits on
 * the row. When the message commits, the batch's DELETE re-checks its own time predicate on the new
 * row and keeps the session. The negative control runs the same batch without the predicate on the
 * DELETE itself (only in the subquery that chose the rows) and deletes the chat that just got a message.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { backdate } from '../conformance/lifecycle-cases.js';
import type { Fixture } from '../conformance/target.js';
import { postgresTarget } from '../conformance/targets/postgres.js';
import { describeUnavailable } from '../support/environment.js';

const PHONE = '+5215512345678';
const target = postgresTarget();
const availability = await target.availability();

/** Waits until a statement on the fixture's table waits for a row lock (the prune batch, blocked). */
async function untilBlocked(fixture: Fixture, admin: pg.Client): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { rows } = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM%' AND query LIKE $1",
      [`%${fixture.names.table}%`],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the prune batch never waited for the row lock');
}

/** Runs `prune` while a transaction of its own has written PHONE now and not committed yet. */
async function raceWithAMessage(fixture: Fixture, prune: () => Promise<number>): Promise<number> {
  const c = fixture.names.columns;
  const q = fixture.quote;
  const message = new pg.Client({ connectionString: fixture.connection.location });
  const admin = new pg.Client({ connectionString: fixture.connection.location });
  await Promise.all([message.connect(), admin.connect()]);
  try {
    await message.query('BEGIN');
    await message.query(
      `UPDATE ${fixture.table} SET ${q(c.state)} = 'PAGADO', ${q(c.version)} = ${q(c.version)} + 1, ${q(c.updatedAt)} = now() WHERE ${q(c.key)} = $1`,
      [PHONE],
    );
    const pruning = prune();
    await untilBlocked(fixture, admin);
    await message.query('COMMIT');
    return await pruning;
  } finally {
    await Promise.all([message.end(), admin.end()]);
  }
}

if (!availability.available) {
  describeUnavailable('postgres', 'postgres pruneSessions race', availability.reason);
} else {
  describe('postgres pruneSessions racing a message', () => {
    afterAll(() => target.close());

    it('keeps a session written after the batch chose it: the DELETE re-checks its own time predicate', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { state: 'MENU' });
      await backdate(fixture, PHONE);
      const deleted = await raceWithAMessage(
        fixture,
        async () => (await fixture.repository.pruneSessions({ olderThan: '30d' })).deleted,
      );
      expect(deleted).toBe(0);
      expect(await fixture.repository.getSession(PHONE)).toMatchObject({ state: 'PAGADO', version: 1 });
    });

    it('negative control: the predicate only in the subquery deletes the chat that just got a message', async () => {
      const fixture = await target.createFixture();
      await fixture.repository.getOrCreateSession(PHONE, { state: 'MENU' });
      await backdate(fixture, PHONE);
      const c = fixture.names.columns;
      const q = fixture.quote;
      const deleted = await raceWithAMessage(fixture, async () => {
        const rows = await fixture.exec(
          `WITH gone AS (DELETE FROM ${fixture.table} WHERE ${q(c.key)} IN ` +
            `(SELECT ${q(c.key)} FROM ${fixture.table} WHERE ${q(c.updatedAt)} < $1 LIMIT 1000) RETURNING 1) ` +
            'SELECT COUNT(*) AS n FROM gone',
          [new Date(Date.now() - 30 * 86_400_000)],
        );
        return Number(rows[0]!['n']);
      });
      expect(deleted).toBe(1);
      expect(await fixture.repository.getSession(PHONE)).toBeNull();
    });
  });
}
