/**
 * The history checker: a pure function from a recorded history to a verdict. It trusts neither the
 * workers' view nor the library's: it compares what the workers were told with what raw SQL read
 * back, key by key.
 */
import type { History, HistoryEvent, KeyState, Operation, Outcome } from './history.js';

/** Every rule the checker enforces, one name each, so a report can count them. */
export const VIOLATION_KINDS = [
  /** A completion without an invoke, an invoke twice, an acknowledged write without its versions. */
  'malformed-history',
  /** A token appears more than once in a key's list (an ok op applied twice, an info op doubled). */
  'duplicate-token',
  /** An acknowledged (ok) token is missing from its key's list. */
  'lost-update',
  /** A token whose operation was known to fail is in the list. */
  'failed-write-visible',
  /** A list entry no operation on that key ever invoked. */
  'unknown-token',
  /** The counter differs from the list's length. */
  'counter-mismatch',
  /** The list's length differs from the number of versions the key advanced. */
  'version-mismatch',
  /** Two acknowledged writes on one key read the same version: one of them overwrote the other. */
  'duplicate-read',
  /** An acknowledged write did not advance the version by exactly one, or lies outside the key's range. */
  'version-gap',
  /** The token an acknowledged write put at version v is not the list's v-th entry. */
  'order-mismatch',
] as const;

export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  key?: string;
  token?: number;
  detail: string;
}

export interface CheckResult {
  valid: boolean;
  violations: Violation[];
  counts: Record<ViolationKind, number>;
  /** `infoApplied`: info operations whose token is in the list, i.e. committed though their caller never heard back. */
  operations: { total: number; ok: number; fail: number; info: number; infoApplied: number; incomplete: number };
  keys: number;
}

/** Pairs each invoke with its completion; an invoke never completed is an `info` (outcome unknown). */
export function assembleOperations(events: readonly HistoryEvent[]): {
  operations: Operation[];
  incomplete: number;
  problems: Violation[];
} {
  const byId = new Map<string, Operation & { completed: boolean }>();
  const problems: Violation[] = [];
  for (const event of events) {
    const id = `${event.process}:${event.index}`;
    if (event.type === 'invoke') {
      if (byId.has(id)) {
        problems.push({
          kind: 'malformed-history',
          key: event.key,
          token: event.token,
          detail: `operation ${id} invoked twice`,
        });
        continue;
      }
      byId.set(id, {
        process: event.process,
        index: event.index,
        key: event.key,
        token: event.token,
        outcome: 'info',
        completed: false,
      });
      continue;
    }
    const operation = byId.get(id);
    if (operation === undefined || operation.completed) {
      problems.push({
        kind: 'malformed-history',
        detail: `operation ${id} completed (${event.type}) without a pending invoke`,
      });
      continue;
    }
    operation.completed = true;
    operation.outcome = event.type;
    if (event.versionRead !== undefined) operation.versionRead = event.versionRead;
    if (event.versionWritten !== undefined) operation.versionWritten = event.versionWritten;
    if (event.attempts !== undefined) operation.attempts = event.attempts;
    if (event.error !== undefined) operation.error = event.error;
  }
  let incomplete = 0;
  const operations: Operation[] = [];
  for (const { completed, ...operation } of byId.values()) {
    if (!completed) incomplete++;
    operations.push(operation);
  }
  return { operations, incomplete, problems };
}

/** Checks one key; returns how many of its info operations were applied. */
function checkKey(state: KeyState, operations: readonly Operation[], violations: Violation[]): number {
  const { key } = state;
  const report = (kind: ViolationKind, detail: string, token?: number): void => {
    violations.push({ kind, key, detail, ...(token === undefined ? {} : { token }) });
  };
  if (!Array.isArray(state.list)) {
    report('malformed-history', `the stored list is ${JSON.stringify(state.list)}, not an array`);
    return 0;
  }
  const list: unknown[] = state.list;
  const byToken = new Map<number, Operation>(operations.map((operation) => [operation.token, operation]));

  const seen = new Map<unknown, number>();
  for (const entry of list) seen.set(entry, (seen.get(entry) ?? 0) + 1);
  for (const [entry, times] of seen) {
    const operation = typeof entry === 'number' ? byToken.get(entry) : undefined;
    if (operation === undefined) {
      report('unknown-token', `list entry ${JSON.stringify(entry)} was never invoked on this key`);
      continue;
    }
    if (times > 1)
      report('duplicate-token', `token of a(n) ${operation.outcome} operation appears ${times} times`, operation.token);
    if (operation.outcome === 'fail') {
      report(
        'failed-write-visible',
        `a failed operation (${operation.error ?? 'no error'}) is in the list`,
        operation.token,
      );
    }
  }

  if (state.counter !== list.length)
    report('counter-mismatch', `counter ${JSON.stringify(state.counter)} ≠ list length ${list.length}`);
  const advanced = state.version - state.startVersion;
  if (advanced !== list.length) {
    report(
      'version-mismatch',
      `version advanced ${advanced} (${state.startVersion} → ${state.version}) ≠ list length ${list.length}`,
    );
  }

  let infoApplied = 0;
  for (const operation of operations) if (operation.outcome === 'info' && seen.has(operation.token)) infoApplied++;

  const readers = new Map<number, Operation>();
  for (const operation of operations) {
    if (operation.outcome !== 'ok') continue;
    if (!seen.has(operation.token))
      report('lost-update', `acknowledged at version ${operation.versionWritten} but absent`, operation.token);
    const { versionRead, versionWritten } = operation;
    if (versionRead === undefined || versionWritten === undefined) {
      report('malformed-history', 'an acknowledged write without versionRead and versionWritten', operation.token);
      continue;
    }
    const earlier = readers.get(versionRead);
    if (earlier !== undefined) {
      report(
        'duplicate-read',
        `tokens ${earlier.token} and ${operation.token} were both acknowledged after reading version ${versionRead}`,
        operation.token,
      );
    } else {
      readers.set(versionRead, operation);
    }
    if (versionWritten !== versionRead + 1 || versionWritten <= state.startVersion || versionWritten > state.version) {
      report(
        'version-gap',
        `read ${versionRead}, wrote ${versionWritten}; the key went ${state.startVersion} → ${state.version}`,
        operation.token,
      );
      continue;
    }
    const atVersion = list[versionWritten - state.startVersion - 1];
    if (atVersion !== operation.token) {
      report(
        'order-mismatch',
        `written as version ${versionWritten}, but that list position holds ${JSON.stringify(atVersion)}`,
        operation.token,
      );
    }
  }
  return infoApplied;
}

/** Checks a history. Every rule is applied to every key; the result lists each violation found. */
export function checkHistory(history: History): CheckResult {
  const { operations, incomplete, problems } = assembleOperations(history.events);
  const violations: Violation[] = [...problems];
  const byKey = new Map<string, Operation[]>();
  for (const state of history.keys) byKey.set(state.key, []);
  for (const operation of operations) {
    const forKey = byKey.get(operation.key);
    if (forKey === undefined) {
      violations.push({
        kind: 'malformed-history',
        key: operation.key,
        token: operation.token,
        detail: 'operation on a key with no recorded state',
      });
      continue;
    }
    forKey.push(operation);
  }
  const tokens = new Set<number>();
  for (const operation of operations) {
    if (tokens.has(operation.token)) {
      violations.push({
        kind: 'malformed-history',
        token: operation.token,
        detail: 'the same token was invoked twice',
      });
    }
    tokens.add(operation.token);
  }
  let infoApplied = 0;
  for (const state of history.keys) infoApplied += checkKey(state, byKey.get(state.key)!, violations);

  const counts = Object.fromEntries(VIOLATION_KINDS.map((kind) => [kind, 0])) as Record<ViolationKind, number>;
  for (const violation of violations) counts[violation.kind]++;
  const tally = (outcome: Outcome): number => operations.filter((operation) => operation.outcome === outcome).length;
  return {
    valid: violations.length === 0,
    violations,
    counts,
    operations: {
      total: operations.length,
      ok: tally('ok'),
      fail: tally('fail'),
      info: tally('info'),
      infoApplied,
      incomplete,
    },
    keys: history.keys.length,
  };
}

/** The one-line verdict: `VALID …` or `INVALID …` with each violated rule and how often. */
export function formatVerdict(label: string, result: CheckResult): string {
  const { total, ok, fail, info, infoApplied } = result.operations;
  const ops = `${total} ops (${ok} ok, ${fail} fail, ${info} info of which ${infoApplied} applied) on ${result.keys} key(s)`;
  if (result.valid) return `VALID ${label}: ${ops}, 0 violations`;
  const kinds = VIOLATION_KINDS.filter((kind) => result.counts[kind] > 0).map(
    (kind) => `${kind}×${result.counts[kind]}`,
  );
  return `INVALID ${label}: ${ops}, ${result.violations.length} violations: ${kinds.join(', ')}`;
}
