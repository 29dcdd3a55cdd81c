/** What the conformance cases share: the phone number they use and small helpers. */
import type { DialectTarget, Fixture } from './target.js';

export const PHONE = '+5215512345678';
export const MASKED = '+52*******5678';

export type Counter = { counter?: number };

export async function rowCount(fixture: Fixture): Promise<number> {
  const rows = await fixture.exec(`SELECT COUNT(*) AS n FROM ${fixture.table}`);
  return Number(rows[0]!['n']);
}

/** Inserts a row the way code from before the migration left it: version NULL. */
export async function insertLegacyRow(target: DialectTarget, fixture: Fixture, data: string): Promise<void> {
  await target.makeVersionNullable(fixture);
  const c = fixture.names.columns;
  const q = fixture.quote;
  const p = fixture.placeholder;
  await fixture.exec(
    `INSERT INTO ${fixture.table} (${q(c.key)}, ${q(c.state)}, ${q(c.data)}, ${q(c.version)}, ${q(c.createdAt)}, ${q(c.updatedAt)}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, NULL, ${p(4)}, ${p(5)})`,
    [PHONE, 'INICIO', data, '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
  );
}
