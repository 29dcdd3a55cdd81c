/**
 * The checker on hand-made histories: a valid one passes, and each rule fires on a history made to
 * break exactly that rule.
 */
import { describe, expect, it } from 'vitest';
import { VIOLATION_KINDS, checkHistory, formatVerdict, type ViolationKind } from './checker.js';
import type { CompletionEvent, History, HistoryEvent, KeyState } from './history.js';

const KEY = '+5215512345678';
const START = 7;

/** Three acknowledged appends on one key, in version order, from two processes. */
function validHistory(): History {
  const events: HistoryEvent[] = [
    { type: 'invoke', process: 0, index: 0, key: KEY, token: 100 },
    { type: 'invoke', process: 1, index: 0, key: KEY, token: 200 },
    { type: 'ok', process: 0, index: 0, versionRead: 7, versionWritten: 8, attempts: 1 },
    { type: 'ok', process: 1, index: 0, versionRead: 8, versionWritten: 9, attempts: 2 },
    { type: 'invoke', process: 0, index: 1, key: KEY, token: 101 },
    { type: 'ok', process: 0, index: 1, versionRead: 9, versionWritten: 10, attempts: 1 },
  ];
  const keys: KeyState[] = [{ key: KEY, startVersion: START, version: 10, list: [100, 200, 101], counter: 3 }];
  return { events, keys };
}

function kindsOf(history: History): ViolationKind[] {
  return [...new Set(checkHistory(history).violations.map((violation) => violation.kind))].sort();
}

describe('history checker', () => {
  it('accepts a valid history, with fail and info operations in it', () => {
    const history = validHistory();
    history.events.push(
      { type: 'invoke', process: 1, index: 1, key: KEY, token: 201 },
      { type: 'fail', process: 1, index: 1, attempts: 3, error: 'ConcurrencyError' },
      { type: 'invoke', process: 1, index: 2, key: KEY, token: 202 },
      { type: 'info', process: 1, index: 2, error: 'Connection terminated' },
      { type: 'invoke', process: 1, index: 3, key: KEY, token: 203 },
      { type: 'info', process: 1, index: 3, error: 'Connection terminated' },
    );
    // 202 was applied although its caller never heard back; 203 was not. Both are allowed.
    history.keys[0] = { key: KEY, startVersion: START, version: 11, list: [100, 200, 101, 202], counter: 4 };
    const result = checkHistory(history);
    expect(result.violations).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.operations).toEqual({ total: 6, ok: 3, fail: 1, info: 2, infoApplied: 1, incomplete: 0 });
    expect(formatVerdict('sqlite hot', result)).toBe(
      'VALID sqlite hot: 6 ops (3 ok, 1 fail, 2 info of which 1 applied) on 1 key(s), 0 violations',
    );
  });

  it('treats an invoke with no completion as info', () => {
    const history = validHistory();
    history.events.push({ type: 'invoke', process: 2, index: 0, key: KEY, token: 300 });
    history.keys[0] = { key: KEY, startVersion: START, version: 11, list: [100, 200, 101, 300], counter: 4 };
    const result = checkHistory(history);
    expect(result.valid).toBe(true);
    expect(result.operations).toMatchObject({ info: 1, infoApplied: 1, incomplete: 1 });
  });

  it('duplicate-token: an acknowledged token applied twice', () => {
    const history = validHistory();
    history.keys[0] = { key: KEY, startVersion: START, version: 11, list: [100, 200, 101, 101], counter: 4 };
    expect(kindsOf(history)).toEqual(['duplicate-token']);
  });

  it('duplicate-token: an info token may be present, but at most once', () => {
    const history = validHistory();
    history.events.push(
      { type: 'invoke', process: 1, index: 1, key: KEY, token: 201 },
      { type: 'info', process: 1, index: 1 },
    );
    history.keys[0] = { key: KEY, startVersion: START, version: 12, list: [100, 200, 101, 201, 201], counter: 5 };
    const result = checkHistory(history);
    expect(result.violations).toEqual([
      { kind: 'duplicate-token', key: KEY, token: 201, detail: 'token of a(n) info operation appears 2 times' },
    ]);
  });

  it('lost-update: an acknowledged token is missing (a blind overwrite)', () => {
    const history = validHistory();
    history.keys[0] = { key: KEY, startVersion: START, version: 9, list: [100, 101], counter: 2 };
    // Token 101 was acknowledged as version 10, but the key only reached 9: a gap as well as a loss.
    expect(kindsOf(history)).toEqual(['lost-update', 'order-mismatch', 'version-gap']);
    expect(checkHistory(history).counts['lost-update']).toBe(1);
  });

  it('failed-write-visible: a token whose operation failed is in the list', () => {
    const history = validHistory();
    history.events.push(
      { type: 'invoke', process: 1, index: 1, key: KEY, token: 201 },
      { type: 'fail', process: 1, index: 1, error: 'ConcurrencyError' },
    );
    history.keys[0] = { key: KEY, startVersion: START, version: 11, list: [100, 200, 101, 201], counter: 4 };
    expect(kindsOf(history)).toEqual(['failed-write-visible']);
  });

  it('unknown-token: a list entry nobody invoked on this key', () => {
    const history = validHistory();
    history.keys[0] = { key: KEY, startVersion: START, version: 11, list: [100, 200, 101, 999], counter: 4 };
    expect(kindsOf(history)).toEqual(['unknown-token']);
  });

  it('counter-mismatch: the counter disagrees with the list', () => {
    const history = validHistory();
    history.keys[0]!.counter = 2;
    expect(kindsOf(history)).toEqual(['counter-mismatch']);
  });

  it('version-mismatch: the version advanced more than the list grew', () => {
    const history = validHistory();
    history.keys[0]!.version = 11;
    expect(kindsOf(history)).toEqual(['version-mismatch']);
  });

  it('duplicate-read: two acknowledged writes read the same version', () => {
    const history = validHistory();
    const second = history.events[3] as CompletionEvent;
    second.versionRead = 7;
    // Read 7, wrote 9: the unconditional write of a lost-update run, so the version rule fires too.
    expect(kindsOf(history)).toEqual(['duplicate-read', 'version-gap']);
  });

  it('version-gap: an acknowledged write skipped a version', () => {
    const history = validHistory();
    const last = history.events[5] as CompletionEvent;
    last.versionRead = 9;
    last.versionWritten = 11;
    expect(kindsOf(history)).toEqual(['version-gap']);
  });

  it('order-mismatch: list order disagrees with version order', () => {
    const history = validHistory();
    history.keys[0]!.list = [200, 100, 101];
    expect(kindsOf(history)).toEqual(['order-mismatch']);
    expect(checkHistory(history).counts['order-mismatch']).toBe(2);
  });

  it('malformed-history: a completion with no invoke, an invoke twice, an ok without versions', () => {
    const history = validHistory();
    history.events.push({ type: 'ok', process: 5, index: 0, versionRead: 1, versionWritten: 2 });
    history.events.push({ type: 'invoke', process: 0, index: 0, key: KEY, token: 100 });
    history.events.push(
      { type: 'invoke', process: 3, index: 0, key: KEY, token: 400 },
      { type: 'ok', process: 3, index: 0 },
    );
    history.keys[0] = { key: KEY, startVersion: START, version: 11, list: [100, 200, 101, 400], counter: 4 };
    const details = checkHistory(history).violations.map((violation) => `${violation.kind}: ${violation.detail}`);
    expect(details).toEqual([
      'malformed-history: operation 5:0 completed (ok) without a pending invoke',
      'malformed-history: operation 0:0 invoked twice',
      'malformed-history: an acknowledged write without versionRead and versionWritten',
    ]);
  });

  it('every rule has a case above that makes it fire', () => {
    // Guards against adding a rule without a test: each kind name must appear in this file's cases.
    const covered: ViolationKind[] = [
      'malformed-history',
      'duplicate-token',
      'lost-update',
      'failed-write-visible',
      'unknown-token',
      'counter-mismatch',
      'version-mismatch',
      'duplicate-read',
      'version-gap',
      'order-mismatch',
    ];
    expect([...VIOLATION_KINDS].sort()).toEqual([...covered].sort());
  });

  it('checks each key on its own and prints an INVALID verdict with counts', () => {
    const history = validHistory();
    history.events.push(
      { type: 'invoke', process: 2, index: 0, key: 'other', token: 500 },
      { type: 'ok', process: 2, index: 0, versionRead: 0, versionWritten: 1 },
    );
    history.keys.push({ key: 'other', startVersion: 0, version: 1, list: [], counter: 0 });
    const result = checkHistory(history);
    expect(result.violations.every((violation) => violation.key === 'other')).toBe(true);
    expect(formatVerdict('postgres spread', result)).toBe(
      'INVALID postgres spread: 4 ops (4 ok, 0 fail, 0 info of which 0 applied) on 2 key(s), 3 violations: lost-update×1, version-mismatch×1, order-mismatch×1',
    );
  });
});
