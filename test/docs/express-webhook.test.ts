/**
 * Runs the Express webhook of docs/express-webhook.md (docs/examples/express-webhook.ts) over HTTP on
 * SQLite and PostgreSQL: bursts of messages for two chats, each message delivered twice, all at once. Every message
 * must be applied exactly once, so the guide's sample is known to do what the guide says.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookApp, type ChatData } from '../../docs/examples/express-webhook.js';
import { SessionRepository } from '../../src/core/repository/repository.js';
import type { DialectTarget } from '../conformance/target.js';
import { postgresTarget } from '../conformance/targets/postgres.js';
import { sqliteTarget } from '../conformance/targets/sqlite.js';
import { isRequired } from '../support/environment.js';

const PHONES = ['+5215512340001', '+5215512340002'];
const MESSAGES_PER_PHONE = 15;

async function defineWebhookSuite(target: DialectTarget): Promise<void> {
  const availability = await target.availability();
  if (!availability.available) {
    if (isRequired(target.dialect))
      throw new Error(`${target.dialect} is required but unavailable: ${availability.reason}`);
    console.warn(
      `[versioned-sessions tests] skipping the Express example on ${target.dialect}: ${availability.reason}`,
    );
    describe.skip(`docs/examples/express-webhook.ts on ${target.dialect} (skipped: ${availability.reason})`, () => {
      it('needs a database', () => undefined);
    });
    return;
  }

  describe(`docs/examples/express-webhook.ts on ${target.dialect}`, () => {
    let repository: SessionRepository<ChatData>;
    let server: ReturnType<ReturnType<typeof createWebhookApp>['listen']>;
    let url: string;
    const warnings: string[] = [];

    beforeAll(async () => {
      const fixture = await target.createFixture();
      repository = new SessionRepository<ChatData>({
        store: fixture.store,
        logger: { warn: (line: string) => warnings.push(line) },
      });
      const app = createWebhookApp(repository);
      await new Promise<void>((resolve) => {
        server = app.listen(0, '127.0.0.1', () => resolve());
      });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await target.close();
    });

    /** Delivers like a webhook sender: a 503 is delivered again after a pause, a bounded number of times. */
    async function deliver(body: unknown): Promise<number> {
      for (let delivery = 0; delivery < 20; delivery++) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await response.arrayBuffer();
        if (response.status !== 503) return response.status;
        await sleep(20);
      }
      throw new Error('still 503 after 20 deliveries');
    }

    it('applies every message once under concurrent and duplicate delivery', async () => {
      const messages = PHONES.flatMap((from) =>
        Array.from({ length: MESSAGES_PER_PHONE }, (_, index) => ({
          id: `wamid.${from.slice(-4)}.${index}`,
          from,
          text: String(index % 3),
        })),
      );
      const statuses = await Promise.all([...messages, ...messages].map((message) => deliver(message)));
      expect(statuses).toEqual(statuses.map(() => 200));

      for (const phone of PHONES) {
        const session = await repository.getSession(phone);
        expect(session?.data.handled).toBe(MESSAGES_PER_PHONE);
        expect(new Set(session?.data.recentIds).size).toBe(MESSAGES_PER_PHONE);
        // Created at 0, one version per applied message; the duplicates wrote nothing.
        expect(session?.version).toBe(MESSAGES_PER_PHONE);
      }
      if (target.dialect === 'postgres') {
        // Over the network the requests interleave between read and write, so some lost a race and
        // were re-run: the exact counts above held under real conflicts. (better-sqlite3 is synchronous,
        // so in one process its requests may never overlap.)
        expect(warnings.some((line) => line.startsWith('[ConcurrencyRetry] updateSession(+52*******'))).toBe(true);
      }
    });

    it('rejects a body without id, from and text, writing nothing', async () => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"from":"+5215512349999"}',
      });
      expect(response.status).toBe(400);
      expect(await repository.getSession('+5215512349999')).toBeNull();
    });
  });
}

await defineWebhookSuite(sqliteTarget());
await defineWebhookSuite(postgresTarget());
