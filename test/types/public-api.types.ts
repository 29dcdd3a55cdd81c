/**
 * Type tests of the public overloads and result shapes, checked by `npm run typecheck` (this file is
 * compiled, never run): `expectTypeOf` fails the compile when a type drifts, and each
 * `@ts-expect-error` fails it when a call that must not type-check starts to.
 */
import { expectTypeOf } from 'vitest';
import {
  type SessionRepository,
  withSessionRetry,
  type ConflictContext,
  type DuplicateContext,
  type DuplicateOperation,
  type ExhaustedContext,
  type IdempotentResult,
  type PruneSessionsResult,
  type LockingMode,
  type LockingModeOption,
  type LockingModeShare,
  type RetryContext,
  type SessionRepositoryOptions,
  type Session,
  type SessionHooks,
  type SessionPage,
} from '../../src/index.js';

type Cart = { items: string[] };
declare const repository: SessionRepository<Cart>;
declare const key: string;

// Without an idempotency key, withSessionRetry resolves to what the handler returns.
expectTypeOf(withSessionRetry(repository, key, async () => 42)).toEqualTypeOf<Promise<number>>();
expectTypeOf(withSessionRetry(repository, key, async () => 'done', { maxAttempts: 5 })).toEqualTypeOf<
  Promise<string>
>();

// With one, it resolves to the IdempotentResult union of the handler's value and the duplicate's facts.
const once = withSessionRetry(repository, key, async () => 42, { idempotencyKey: 'wamid.1' });
expectTypeOf(once).toEqualTypeOf<Promise<IdempotentResult<number, Cart>>>();

// The handler sees the repository's data type.
void withSessionRetry(repository, key, async (session) => {
  expectTypeOf(session).toEqualTypeOf<Session<Cart>>();
  expectTypeOf(session.data.items).toEqualTypeOf<string[]>();
  expectTypeOf(session.version).toEqualTypeOf<number>();
});

// The union narrows on status: a value when applied, the duplicate's facts (with the typed session) when not.
declare const result: IdempotentResult<number, Cart>;
if (result.status === 'applied') {
  expectTypeOf(result.value).toEqualTypeOf<number>();
  // @ts-expect-error an applied result carries no duplicate facts
  void result.committedVersion;
} else {
  expectTypeOf(result.status).toEqualTypeOf<'duplicate'>();
  expectTypeOf(result.session).toEqualTypeOf<Session<Cart> | null>();
  expectTypeOf(result.committedVersion).toEqualTypeOf<number | null>();
  expectTypeOf(result).toMatchTypeOf<DuplicateOperation<Cart>>();
  // @ts-expect-error a duplicate carries no handler value
  void result.value;
}

// The idempotency key must be a string: a number does not select either overload.
// @ts-expect-error idempotencyKey is a string
void withSessionRetry(repository, key, async () => 1, { idempotencyKey: 7 });

// Each hook gets its own frozen context, told apart by `event`.
expectTypeOf<Parameters<NonNullable<SessionHooks['onConflict']>>[0]>().toEqualTypeOf<ConflictContext>();
expectTypeOf<Parameters<NonNullable<SessionHooks['onRetry']>>[0]>().toEqualTypeOf<RetryContext>();
expectTypeOf<Parameters<NonNullable<SessionHooks['onExhausted']>>[0]>().toEqualTypeOf<ExhaustedContext>();
expectTypeOf<Parameters<NonNullable<SessionHooks['onDuplicate']>>[0]>().toEqualTypeOf<DuplicateContext>();
expectTypeOf<ConflictContext['event']>().toEqualTypeOf<'conflict'>();
expectTypeOf<ConflictContext['enforced']>().toEqualTypeOf<boolean>();
expectTypeOf<DuplicateContext['maskedIdempotencyKey']>().toEqualTypeOf<string>();
expectTypeOf<RetryContext['error']>().toEqualTypeOf<unknown>();
const hooks: SessionHooks = {
  onConflict: (context) => expectTypeOf(context.lockingMode).toEqualTypeOf<'enforce' | 'observe' | 'off'>(),
};
void hooks;
// @ts-expect-error a context is read-only
const mutate = (context: ConflictContext): void => void (context.attempt = 2);
void mutate;

// listSessions pages sessions of the repository's data type; its limit is required.
expectTypeOf(repository.listSessions({ limit: 10 })).toEqualTypeOf<Promise<SessionPage<Session<Cart>>>>();
expectTypeOf<SessionPage<Session<Cart>>['nextCursor']>().toEqualTypeOf<string | null>();
// @ts-expect-error a page needs a limit
void repository.listSessions({ states: ['MENU'] });
// pruneSessions takes a duration or a Date and says how many it deleted.
expectTypeOf(repository.pruneSessions({ olderThan: '90d' })).toEqualTypeOf<Promise<PruneSessionsResult>>();
expectTypeOf(repository.pruneSessions({ olderThan: new Date(0), batchSize: 500 })).toEqualTypeOf<
  Promise<PruneSessionsResult>
>();
// lockingMode: one mode, a share enforced by the key's hash, or a synchronous function of the key.
type LockingOption = NonNullable<SessionRepositoryOptions['lockingMode']>;
expectTypeOf<LockingOption>().toEqualTypeOf<LockingModeOption>();
expectTypeOf<LockingModeShare>().toEqualTypeOf<{ readonly enforce: number }>();
const everyone: LockingOption = 'observe';
const tenPercent: LockingOption = { enforce: 0.1 };
const byKey: LockingOption = (sessionKey) => (sessionKey.startsWith('+52') ? 'enforce' : 'observe');
void [everyone, tenPercent, byKey];
// @ts-expect-error a mode function returns one of the modes
const unknownMode: LockingOption = () => 'shadow';
// @ts-expect-error a share names the enforced part only
const observeShare: LockingOption = { observe: 0.1 };
// @ts-expect-error a mode function is synchronous: it runs before each write
const asyncMode: LockingOption = async () => 'enforce';
void [unknownMode, observeShare, asyncMode];
expectTypeOf(repository.lockingMode).toEqualTypeOf<LockingModeOption>();
expectTypeOf(repository.lockingModeFor(key)).toEqualTypeOf<LockingMode>();
expectTypeOf<DuplicateContext['lockingMode']>().toEqualTypeOf<LockingMode | undefined>();
expectTypeOf<ConflictContext['lockingMode']>().toEqualTypeOf<LockingMode>();
