/**
 * Types that hold at runtime. `npm run typecheck` compiles this file (a `@ts-expect-error` whose line
 * compiles fails the check); vitest runs it too, where the few runtime lines confirm what the types say.
 */
import Database from 'better-sqlite3';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  SessionRepository,
  isDuplicateOperationError,
  withSessionRetry,
  type DuplicateOperationError,
  type IdempotentResult,
  type Session,
  type SessionChanges,
} from '../../src/index.js';
import { SqliteSessionStore } from '../../src/sqlite/index.js';
import { migrate } from '../../src/migrations/index.js';

interface ChatData {
  ids: string[];
  name?: string;
}
type FlowState = 'MENU' | 'ASK_NAME' | 'CONFIRM' | 'DONE';

async function sqliteStore(): Promise<SqliteSessionStore> {
  const database = new Database(':memory:');
  await migrate({ dialect: 'sqlite', database });
  return new SqliteSessionStore({ database });
}

describe('types that hold at runtime', () => {
  it('a repository with typed data needs its initial data; a data type that {} satisfies does not', async () => {
    const store = await sqliteStore();
    // @ts-expect-error -- ChatData has a required field: a new or empty session would read as {} without initialData
    new SessionRepository<ChatData>({ store });
    const sessions = new SessionRepository<ChatData>({ store, initialData: { ids: [] } });
    new SessionRepository<{ count?: number }>({ store });
    new SessionRepository({ store });
    const session = await sessions.getOrCreateSession('+5215512345678');
    expectTypeOf(session.data.ids).toEqualTypeOf<string[]>();
    expectTypeOf(session.data.ids.length).toBeNumber();
  });

  it('a state type parameter types session.state and the states written', async () => {
    const store = await sqliteStore();
    const sessions = new SessionRepository<ChatData, FlowState>({ store, initialData: { ids: [] } });
    const session = await sessions.getOrCreateSession('+5215512345678', { state: 'MENU' });
    expectTypeOf(session.state).toEqualTypeOf<FlowState | null>();
    await sessions.updateSession(session.key, { state: 'ASK_NAME' }, { expectedVersion: session.version });
    // @ts-expect-error -- not a state of the flow
    const typo: SessionChanges<ChatData, FlowState> = { state: 'ASK_NAEM' };
    expect(typo.state).toBe('ASK_NAEM');
    expectTypeOf<Session<ChatData, FlowState>['state']>().toEqualTypeOf<FlowState | null>();
    expectTypeOf<Session<ChatData>['state']>().toEqualTypeOf<string | null>();
  });

  it('undefined object properties are accepted in data, as JSON drops them', async () => {
    const store = await sqliteStore();
    const sessions = new SessionRepository<ChatData>({ store, initialData: { ids: [] } });
    const session = await sessions.getOrCreateSession('+5215512345678');
    const maybeName = process.env['NO_SUCH_VARIABLE'];
    expectTypeOf(maybeName).toEqualTypeOf<string | undefined>();
    await sessions.updateSession(
      session.key,
      { data: { ...session.data, name: maybeName } },
      { expectedVersion: session.version },
    );
  });

  it('a handler may be synchronous', async () => {
    const store = await sqliteStore();
    const sessions = new SessionRepository<ChatData, FlowState>({ store, initialData: { ids: [] } });
    const state = await withSessionRetry(sessions, '+5215512345678', (s) => s.state);
    expectTypeOf(state).toEqualTypeOf<FlowState | null>();
    const result = await withSessionRetry(sessions, '+5215512345678', (s) => s.data.ids.length, {
      idempotencyKey: 'wamid.SYNC',
    });
    expectTypeOf(result).toEqualTypeOf<IdempotentResult<number, ChatData, FlowState>>();
  });

  it('an optional idempotency key (string | undefined) matches an overload and resolves to a result', async () => {
    const store = await sqliteStore();
    const sessions = new SessionRepository<ChatData>({ store, initialData: { ids: [] } });
    const maybeId: string | undefined = process.env['NO_SUCH_VARIABLE'];
    const result = await withSessionRetry(sessions, '+5215512345678', (s) => s.version, { idempotencyKey: maybeId });
    expectTypeOf(result).toEqualTypeOf<IdempotentResult<number, ChatData>>();
    if (result.status !== 'applied') throw new Error('expected applied: no key was given');
    expectTypeOf(result.value).toBeNumber();
  });

  it('the duplicate guard keeps the data type of the repository it is given', async () => {
    const store = await sqliteStore();
    const sessions = new SessionRepository<ChatData>({ store, initialData: { ids: [] } });
    const error: unknown = new Error('not a duplicate');
    if (isDuplicateOperationError(error, sessions)) {
      expectTypeOf(error).toEqualTypeOf<DuplicateOperationError<ChatData>>();
      expectTypeOf(error.session).toEqualTypeOf<Session<ChatData> | null>();
    }
    if (isDuplicateOperationError(error)) expectTypeOf(error).toEqualTypeOf<DuplicateOperationError>();
  });
});
