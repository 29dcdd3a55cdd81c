/**
 * Runs the Azure Functions handler of docs/azure-functions.md (docs/examples/azure-functions/functions/
 * whatsapp.ts) with @azure/functions' own HttpRequest, its sessions on SQLite in place of SQL Server:
 * forged, unsigned and altered deliveries are refused with no session read or row written, a malformed
 * signed body is a 400, the GET handshake answers only our token, and a signed delivery is applied.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_SECRET, VERIFY_TOKEN, delivery, sign } from '../support/meta-delivery.js';

const PHONE = '+5215512340001';

const state = vi.hoisted(() => ({
  storeCalls: [] as string[],
  rows: (): unknown[] => [],
  close: (): void => undefined,
}));

// The guide's src/sessions.ts, on a SQLite file: the same repository type, a store whose calls are counted.
vi.mock('../../docs/examples/azure-functions/sessions.js', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { SessionRepository } = await import('../../src/index.js');
  const { SqliteSessionStore } = await import('../../src/sqlite/index.js');
  const { migrate } = await import('../../src/migrations/index.js');
  const database = new Database(':memory:');
  const names = { table: 'SesionesChat', columns: { key: 'Telefono', state: 'Estado', data: 'DatosTemp' } };
  await migrate({ dialect: 'sqlite', database, ...names });
  const store = new SqliteSessionStore({ database, ...names });
  const { recordingStore } = await import('../support/recording-store.js');
  const counted = recordingStore(store, state.storeCalls);
  state.rows = () =>
    database
      .prepare('SELECT Telefono, Estado, version AS Version, DatosTemp FROM SesionesChat ORDER BY Telefono')
      .all();
  state.close = () => database.close();
  return { sessions: new SessionRepository({ store: counted }) };
});

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<{ status?: number; body?: unknown }>;
let whatsapp: Handler;

beforeAll(async () => {
  vi.stubEnv('META_APP_SECRET', APP_SECRET);
  vi.stubEnv('META_VERIFY_TOKEN', VERIFY_TOKEN);
  ({ whatsapp } = (await import('../../docs/examples/azure-functions/functions/whatsapp.js')) as unknown as {
    whatsapp: Handler;
  });
});

afterAll(() => {
  vi.unstubAllEnvs();
  state.close();
});

const context = (): InvocationContext => new InvocationContext({ functionName: 'whatsapp', invocationId: 'test' });

function post(body: string, headers: Record<string, string>): Promise<{ status?: number }> {
  return whatsapp(
    new HttpRequest({ method: 'POST', url: 'http://localhost/api/whatsapp', body: { string: body }, headers }),
    context(),
  );
}

describe('docs/examples/azure-functions/functions/whatsapp.ts', () => {
  const message = { id: 'wamid.az.1', from: PHONE, text: 'hola' };

  it.each([
    ['no X-Hub-Signature-256 header', 401, () => ({ body: delivery([message]), headers: {} })],
    [
      'a signature made with another secret',
      403,
      () => {
        const body = delivery([message]);
        return { body, headers: { 'x-hub-signature-256': sign(body, 'not-the-app-secret') } };
      },
    ],
    [
      'a body changed after signing',
      403,
      () => ({
        body: delivery([message]),
        headers: { 'x-hub-signature-256': sign(delivery([{ ...message, text: 'adios' }])) },
      }),
    ],
    [
      'a signed body that is not a WhatsApp delivery',
      400,
      () => {
        const body = JSON.stringify(message);
        return { body, headers: { 'x-hub-signature-256': sign(body) } };
      },
    ],
  ] as const)('%s → %i, no session read, no row written', async (_name, status, request) => {
    const { body, headers } = request();
    state.storeCalls.length = 0;
    expect((await post(body, headers)).status).toBe(status);
    expect(state.storeCalls).toEqual([]);
    expect(state.rows()).toEqual([]);
  });

  it('a body over 64 KiB → 413 before it is read', async () => {
    const body = delivery([{ ...message, text: 'x'.repeat(64 * 1024) }]);
    expect((await post(body, { 'x-hub-signature-256': sign(body) })).status).toBe(413);
    expect(state.rows()).toEqual([]);
  });

  it('answers the GET handshake only for the verify token', async () => {
    const get = (token: string) =>
      whatsapp(
        new HttpRequest({
          method: 'GET',
          url: `http://localhost/api/whatsapp?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=42`,
        }),
        context(),
      );
    expect(await get(VERIFY_TOKEN)).toMatchObject({ status: 200, body: '42' });
    expect((await get('guessed')).status).toBe(403);
  });

  it('a correctly signed delivery is applied', async () => {
    const body = delivery([message]);
    expect((await post(body, { 'x-hub-signature-256': sign(body) })).status).toBe(200);
    expect(state.rows()).toEqual([
      { Telefono: PHONE, Estado: 'REFRI_ESPERA_SAP', Version: 1, DatosTemp: '{"ultimoMensaje":"hola"}' },
    ]);
  });
});
