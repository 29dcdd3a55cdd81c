/**
 * The conformance suite: every behaviour of shared/API.md, run once per dialect against a real
 * database. A dialect is done when it passes all of it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { describeUnavailable } from '../support/environment.js';
import { E164_LIKE, suiteLog } from '../support/log-sink.js';
import { defineConcurrencyCases } from './concurrency-cases.js';
import { defineInputCases } from './input-cases.js';
import { defineLockingModeCases } from './locking-mode-cases.js';
import { defineObservabilityCases } from './observability-cases.js';
import { defineSessionCases } from './session-cases.js';
import { defineHistoryCases } from './history-cases.js';
import { defineLifecycleCases } from './lifecycle-cases.js';
import { defineListingCases } from './listing-cases.js';
import { defineExactlyOnceCases } from './exactly-once-cases.js';
import { defineKeyQueueCases } from './key-queue-cases.js';
import { defineRoundTripCases } from './round-trip-cases.js';
import type { DialectTarget } from './target.js';
import { defineTransactionCases } from './transaction-cases.js';
import { defineWebhookCases } from './webhook-cases.js';

/**
 * Registers the suite for `target`, or a skip with its reason (a failure when the dialect is required).
 * `title` tells apart two runs of one dialect (another login, say).
 */
export async function defineConformanceSuite(
  target: DialectTarget,
  title = `${target.dialect} conformance`,
): Promise<void> {
  const availability = await target.availability();
  if (!availability.available) {
    describeUnavailable(target.dialect, title, availability.reason);
    return;
  }

  describe(title, () => {
    afterAll(() => target.close());
    defineKeyQueueCases(target);
    defineRoundTripCases(target);
    defineExactlyOnceCases(target);
    defineTransactionCases(target);
    defineWebhookCases(target);

    defineSessionCases(target);
    defineInputCases(target);
    defineConcurrencyCases(target);
    defineObservabilityCases(target);
    defineLockingModeCases(target);
    defineLifecycleCases(target);
    defineHistoryCases(target);
    defineListingCases(target);

    // Runs last (vitest runs a file's tests in order): everything the cases above logged, in this
    // process and in their worker threads, went through one sink.
    describe('PII', () => {
      it('no E.164-like number appears in anything the suite logged', () => {
        expect(suiteLog.lines.length).toBeGreaterThan(50);
        expect(suiteLog.lines.some(({ line }) => line.includes('[ConcurrencyRetry]'))).toBe(true);
        expect(suiteLog.lines.some(({ line }) => line.includes('[ConcurrencyError]'))).toBe(true);
        expect(suiteLog.lines.filter(({ line }) => E164_LIKE.test(line))).toEqual([]);
      });
    });
  });
}
