/** What the conformance cases share: the phone number they use and small helpers. */
import type { Fixture } from './target.js';

export const PHONE = '+5215512345678';
export const MASKED = '+52*******5678';

export type Counter = { counter?: number };

export async function rowCount(fixture: Fixture): Promise<number> {
  const rows = await fixture.exec(`SELECT COUNT(*) AS n FROM ${fixture.table}`);
  return Number(rows[0]!['n']);
}
