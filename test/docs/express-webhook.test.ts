/**
 * Runs the Express webhook of docs/express-webhook.md (docs/examples/express-webhook.ts) over HTTP on
 * SQLite and PostgreSQL. Deliveries are WhatsApp Cloud API payloads signed like Meta signs them:
 * - bursts of messages for two chats, each delivery sent twice, all at once: every message applied once;
 * - forged, missing and after-signing-altered signatures: 401/403, and neither the store is called nor any
 *   row changed (read back from the table itself);
 * - a signed delivery that is not a WhatsApp payload: 400 before any session is read;
 * - the GET verification handshake, and the body size limit.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookApp, type ChatData } from '../../docs/examples/express-webhook.js';
import { MAX_BODY_BYTES } from '../../docs/examples/meta-webhook.js';
import { SessionRepository } from '../../src/core/repository/repository.js';
import type { DialectTarget, Fixture } from '../conformance/target.js';
import { postgresTarget } from '../conformance/targets/postgres.js';
import { sqliteTarget } from '../conformance/targets/sqlite.js';
import { isRequired } from '../support/environment.js';
import { recordingStore } from '../support/recording-store.js';
import { APP_SECRET, VERIFY_TOKEN, delivery, sign, type TextMessage } from '../support/meta-delivery.js';

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
    let fixture: Fixture;
    let repository: SessionRepository<ChatData>;
    let server: ReturnType<ReturnType<typeof createWebhookApp>['listen']>;
    let url: string;
    const warnings: string[] = [];
    const storeCalls: string[] = [];

    beforeAll(async () => {
      fixture = await target.createFixture();
      repository = new SessionRepository<ChatData>({
        store: recordingStore(fixture.store, storeCalls),
        initialData: { handled: 0 },
        logger: { warn: (line: string) => warnings.push(line) },
      });
      const app = createWebhookApp(repository, { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN });
      await new Promise<void>((resolve) => {
        server = app.listen(0, '127.0.0.1', () => resolve());
      });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
    });

    beforeEach(() => {
      storeCalls.length = 0;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await target.close();
    });

    /** Every row of the sessions table, read with SQL rather than through the library. */
    async function rows(): Promise<{ key: string; version: number; data: string }[]> {
      const { key, version, data } = fixture.names.columns;
      const found = await fixture.exec(
        `SELECT ${fixture.quote(key)} AS k, ${fixture.quote(version)} AS v, CAST(${fixture.quote(data)} AS TEXT) AS d FROM ${fixture.table} ORDER BY 1`,
      );
      return found.map((row) => ({ key: String(row['k']), version: Number(row['v']), data: String(row['d']) }));
    }

    async function post(body: string, headers: Record<string, string>): Promise<number> {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    }

    /** Delivers like Meta: signed; a 503 is delivered again after a pause, a bounded number of times. */
    async function deliver(messages: TextMessage[]): Promise<number> {
      const body = delivery(messages);
      for (let attempt = 0; attempt < 20; attempt++) {
        const status = await post(body, { 'x-hub-signature-256': sign(body) });
        if (status !== 503) return status;
        await sleep(20);
      }
      throw new Error('still 503 after 20 deliveries');
    }

    it('applies every signed message once under concurrent and duplicate delivery', async () => {
      const messages = PHONES.flatMap((from) =>
        Array.from({ length: MESSAGES_PER_PHONE }, (_, index) => ({
          id: `wamid.${from.slice(-4)}.${index}`,
          from,
          text: String(index % 3),
        })),
      );
      const statuses = await Promise.all([...messages, ...messages].map((message) => deliver([message])));
      expect(statuses).toEqual(statuses.map(() => 200));

      for (const phone of PHONES) {
        const session = await repository.getSession(phone);
        expect(session?.data.handled).toBe(MESSAGES_PER_PHONE);
        // Created at 0, one version per applied message; the duplicates wrote nothing.
        expect(session?.version).toBe(MESSAGES_PER_PHONE);
        for (const message of messages.filter((candidate) => candidate.from === phone)) {
          expect(await repository.isProcessed(message.id)).toBe(true);
        }
      }
      // One process: the per-key queue (on by default) runs each chat's requests one after another.
      expect(warnings.filter((line) => line.startsWith('[ConcurrencyRetry]'))).toEqual([]);
    });

    it('a message redelivered after 60 others is still a duplicate: its id is recorded, not kept in a list', async () => {
      const late = { id: 'wamid.late', from: '+5215512340003', text: '1' };
      expect(await deliver([late])).toBe(200);
      for (let index = 0; index < 60; index++) {
        expect(await deliver([{ id: `wamid.late.${index}`, from: late.from, text: '0' }])).toBe(200);
      }
      expect(await deliver([late])).toBe(200);
      expect(await repository.getSession(late.from)).toMatchObject({ data: { handled: 61 }, version: 61 });
    });

    describe('deliveries Meta did not sign are refused before any session is read', () => {
      const victim = PHONES[0]!;
      const stranger = '+5215512348888';
      const forgedMessage = { id: 'wamid.forged.1', from: victim, text: '2' };

      it.each([
        ['no X-Hub-Signature-256 header', 401, () => ({ body: delivery([forgedMessage]), headers: {} })],
        [
          'a signature made with another secret',
          403,
          () => {
            const body = delivery([forgedMessage]);
            return { body, headers: { 'x-hub-signature-256': sign(body, 'not-the-app-secret') } };
          },
        ],
        [
          'a body changed after signing',
          403,
          () => {
            const signed = delivery([{ ...forgedMessage, text: '1' }]);
            return { body: delivery([forgedMessage]), headers: { 'x-hub-signature-256': sign(signed) } };
          },
        ],
        [
          'a signature without the sha256= prefix',
          403,
          () => {
            const body = delivery([forgedMessage]);
            return { body, headers: { 'x-hub-signature-256': sign(body).slice('sha256='.length) } };
          },
        ],
        [
          'a signature with text after the digest',
          403,
          () => {
            const body = delivery([forgedMessage]);
            return { body, headers: { 'x-hub-signature-256': `${sign(body)}00` } };
          },
        ],
        [
          'a new chat in a forged delivery',
          403,
          () => {
            const body = delivery([{ id: 'wamid.forged.2', from: stranger, text: '1' }]);
            return { body, headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } };
          },
        ],
      ] as const)('%s → %i, no row touched', async (_name, status, request) => {
        await deliver([{ id: 'wamid.setup', from: victim, text: '0' }]); // the victim's session exists
        const before = await rows();
        storeCalls.length = 0;

        const { body, headers } = request();
        expect(await post(body, headers)).toBe(status);

        expect(storeCalls).toEqual([]);
        expect(await rows()).toEqual(before);
        expect(before.some((row) => row.key === victim)).toBe(true);
        expect(before.some((row) => row.key === stranger)).toBe(false);
      });

      it('the same delivery, correctly signed, is applied once however often it arrives', async () => {
        const before = (await rows()).find((row) => row.key === victim)!;
        expect(await deliver([forgedMessage])).toBe(200);
        expect(await deliver([forgedMessage])).toBe(200);
        const after = (await rows()).find((row) => row.key === victim)!;
        expect(after.version).toBe(before.version + 1);
        const session = await repository.getSession(victim);
        expect(session?.state).toBe('VEHICULO_ESPERA_EMPLEADO');
        expect(await repository.isProcessed(forgedMessage.id)).toBe(true);
      });
    });

    it.each([
      ['not JSON', '{"object":'],
      ['not a WhatsApp delivery', '{"from":"+5215512349999","id":"wamid.x","text":"1"}'],
      [
        'a text message without a body',
        delivery([{ id: 'wamid.x', from: '+5215512349999', text: '1' }]).replace('"text":{"body":"1"}', '"text":{}'),
      ],
    ])('a signed body that is %s → 400, no session read', async (_name, body) => {
      const before = await rows();
      expect(await post(body, { 'x-hub-signature-256': sign(body) })).toBe(400);
      expect(storeCalls).toEqual([]);
      expect(await rows()).toEqual(before);
    });

    it('refuses a body over the size limit with 413, before the signature is checked', async () => {
      const body = delivery([{ id: 'wamid.big', from: '+5215512349999', text: 'x'.repeat(MAX_BODY_BYTES) }]);
      expect(await post(body, { 'x-hub-signature-256': sign(body) })).toBe(413);
      expect(storeCalls).toEqual([]);
    });

    it('answers the GET verification handshake only for the verify token', async () => {
      const handshake = async (token: string): Promise<[number, string]> => {
        const query = new URLSearchParams({
          'hub.mode': 'subscribe',
          'hub.verify_token': token,
          'hub.challenge': '1158201444',
        });
        const response = await fetch(`${url}?${query}`);
        return [response.status, await response.text()];
      };
      expect(await handshake(VERIFY_TOKEN)).toEqual([200, '1158201444']);
      const [status] = await handshake('guessed-token');
      expect(status).toBe(403);
      expect((await fetch(`${url}?hub.mode=subscribe&hub.challenge=1`)).status).toBe(403);
    });
  });
}

await defineWebhookSuite(sqliteTarget());
await defineWebhookSuite(postgresTarget());
