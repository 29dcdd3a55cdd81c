/**
 * The idempotency key of a running `withSessionRetry` handler, carried through the async context so
 * that the handler's `updateSession` calls on the same repository and session key are governed by it:
 * the key is given once, to `withSessionRetry`.
 *
 * The first of those updates records the key in the transaction that bumps the version; later ones
 * in the same call are ordinary conditional writes (the call has been applied once already). Writes to
 * other session keys, or through another repository, are not given the key.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** One idempotent `withSessionRetry` call, across its attempts. */
export interface HandlerScope {
  /** The repository the call was given. */
  readonly repository: object;
  /** The session key the call was given. */
  readonly key: string;
  /** The call's idempotency key. */
  readonly idempotencyKey: string;
  /** Whether an update of this call has recorded the key. */
  recorded: boolean;
}

const scopes = new AsyncLocalStorage<HandlerScope>();

/** Runs `handler` with `scope` as the scope of its updates. */
export function runInHandlerScope<T>(scope: HandlerScope, handler: () => T): T {
  return scopes.run(scope, handler);
}

/** The scope governing an update of `key` through `repository`, when one does. */
export function handlerScopeFor(repository: object, key: string): HandlerScope | undefined {
  const scope = scopes.getStore();
  return scope !== undefined && scope.repository === repository && scope.key === key ? scope : undefined;
}
