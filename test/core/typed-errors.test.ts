/**
 * The shared SQL store's give-up paths raise the library's own error type, so a caller's
 * `isVersionedSessionError` check covers them: a row deleted again and again while it is created, and
 * an idempotency key recorded and removed again and again while it is claimed. A scripted driver
 * produces those races deterministically.
 */
import { describe, expect, it } from 'vitest';
import { isVersionedSessionError } from '../../src/index.js';
import type { ExecuteResult, SessionStatements, SqlDriver } from '../../src/core/sql/dialect-contract.js';
import { SqlSessionStore } from '../../src/core/sql/sql-session-store.js';
import { resolveNames } from '../../src/core/sql/table-names.js';

type Statement = string;

/**
 * Every statement is its method's name; the driver answers each with no row and no change. Without
 * `updateOnce` (`oneStatement: false`) the store writes once the way SQLite and MySQL do.
 */
function scriptedStatements(oneStatement: boolean): SessionStatements<Statement> {
  return new Proxy({} as SessionStatements<Statement>, {
    get: (_target, method: string) => (method === 'updateOnce' && !oneStatement ? undefined : () => method),
  });
}

class NothingThereDriver implements SqlDriver<Statement, 'handle'> {
  readonly dialect = 'sqlite';
  readonly executed: string[] = [];
  execute(statement: Statement): Promise<ExecuteResult> {
    this.executed.push(statement);
    return Promise.resolve({ rows: [], rowCount: 0 });
  }
  transaction<T>(work: (handle: 'handle') => Promise<T>): Promise<T> {
    return work('handle');
  }
  adoptTransaction(): 'handle' {
    return 'handle';
  }
  classifyError(): 'other' {
    return 'other';
  }
}

class ScriptedStore extends SqlSessionStore<Statement, 'handle'> {
  constructor(
    readonly driverUsed = new NothingThereDriver(),
    oneStatement = false,
  ) {
    super(resolveNames('sqlite'), scriptedStatements(oneStatement), driverUsed);
  }
}

describe('give-up paths of the shared SQL store', () => {
  it('a row that is never there after three inserts-unless-present raises a VersionedSessionError', async () => {
    const store = new ScriptedStore();
    const error = await store.createIfAbsent('+5215512345678', null, '{}').catch((e: unknown) => e);
    expect(isVersionedSessionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/deleted three times while it was being created/);
    expect(store.driverUsed.executed.filter((statement) => statement === 'insertIfAbsent')).toHaveLength(3);
  });

  it('an idempotency key that is neither claimable nor readable three times raises a VersionedSessionError', async () => {
    const store = new ScriptedStore();
    // Inside a caller's transaction a store without a one-statement write claims the key first.
    const error = await store
      .updateOnce({
        key: '+5215512345678',
        changes: { state: 'A' },
        expectedVersion: 0,
        idempotencyKey: 'wamid.1',
        transaction: 'handle',
      })
      .catch((e: unknown) => e);
    expect(isVersionedSessionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/recorded and removed 3 times/);
    expect(store.driverUsed.executed.filter((statement) => statement === 'claimProcessed')).toHaveLength(3);
  });

  it('a one-statement exactly-once write that returns no outcome row raises a VersionedSessionError', async () => {
    const store = new ScriptedStore(new NothingThereDriver(), true);
    const error = await store
      .updateOnce({ key: '+5215512345678', changes: { state: 'A' }, expectedVersion: 0, idempotencyKey: 'wamid.1' })
      .catch((e: unknown) => e);
    expect(isVersionedSessionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/exactly-once write returned no outcome/);
    expect(store.driverUsed.executed).toEqual(['updateOnce']);
  });
});
