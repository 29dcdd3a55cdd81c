/**
 * Property-based tests of bad input, run once per dialect against the real database: every public
 * entry point, given generated keys, data, states, versions, identifiers and options, either round-
 * trips faithfully or throws a typed InvalidArgumentError and leaves every table exactly as it was.
 */
import { afterAll, describe } from 'vitest';
import { describeUnavailable } from '../support/environment.js';
import type { DialectTarget } from '../conformance/target.js';
import { defineConfigurationCases } from './configuration-cases.js';
import { defineValueCases } from './value-cases.js';

export async function definePropertySuite(target: DialectTarget): Promise<void> {
  const availability = await target.availability();
  if (!availability.available) {
    describeUnavailable(target.dialect, `${target.dialect} properties`, availability.reason);
    return;
  }
  describe(`${target.dialect} properties of bad input`, () => {
    afterAll(() => target.close());
    defineValueCases(target);
    defineConfigurationCases(target);
  });
}
