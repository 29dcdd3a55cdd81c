/**
 * Every statement of the dialect contract, built with representative values (each builder, each
 * variant), in one order: what the statement snapshot and grammar tests of a dialect pin and parse.
 */
import type { SessionStatements } from '../../src/core/sql/dialect-contract.js';

/** The key the representative statements are built for. */
export const REPRESENTATIVE_KEY = '+5215512345678';

const CUTOFF = new Date('2026-01-01T00:00:00.000Z');
const CLAIM = '00000000-0000-4000-8000-000000000000';

/**
 * The dialect's exactly-once write: its one statement (`updateOnce`, each variant) or the guarded
 * update and the record the core runs in one transaction.
 */
function exactlyOnceWrites<TStatement>(s: SessionStatements<TStatement>, key: string): [string, TStatement][] {
  const once = { key, changes: { state: 'PAGADO', dataJson: '{"paso":1}' }, id: 'wamid.A', commitToken: CLAIM };
  const written: [string, TStatement][] = [];
  if (s.updateOnce !== undefined) {
    written.push(
      [
        'updateOnce (expectedVersion 3, state and data, a transaction of its own)',
        s.updateOnce({ ...once, expectedVersion: 3, ownTransaction: true }),
      ],
      [
        'updateOnce (unconditional, data only, a transaction of its own)',
        s.updateOnce({ ...once, changes: { dataJson: '{"paso":2}' }, expectedVersion: null, ownTransaction: true }),
      ],
      [
        "updateOnce (expectedVersion 3, inside the caller's transaction)",
        s.updateOnce({ ...once, expectedVersion: 3, ownTransaction: false }),
      ],
    );
  }
  if (s.updateUnlessProcessed !== undefined) {
    written.push([
      'updateUnlessProcessed (expectedVersion 3)',
      s.updateUnlessProcessed(key, { state: 'PAGADO', dataJson: '{"paso":1}' }, 3, 'wamid.A'),
    ]);
  }
  if (s.insertProcessedRecord !== undefined) {
    written.push(['insertProcessedRecord', s.insertProcessedRecord('wamid.A', key, CLAIM, 4, '{"state":"PAGADO"}')]);
  }
  return written;
}

/** `[label, statement]` for every statement `s` builds, with representative values. */
export function representativeStatements<TStatement>(
  s: SessionStatements<TStatement>,
  key = REPRESENTATIVE_KEY,
): [string, TStatement][] {
  return [
    ['select', s.select(key)],
    ['selectDataPage (first page)', s.selectDataPage(null, 500)],
    ['selectDataPage (after a key)', s.selectDataPage(key, 500)],
    ['selectVersion', s.selectVersion(key)],
    ['insertIfAbsent', s.insertIfAbsent(key, 'INICIO', '{"paso":0}')],
    [
      'update (expectedVersion 3, state and data)',
      s.update(key, { state: 'REFRI_ESPERA_SAP', dataJson: '{"paso":1}' }, 3),
    ],
    ['update (expectedVersion 0, no field changed)', s.update(key, {}, 0)],
    ['update (unconditional, data only)', s.update(key, { dataJson: '{"paso":2}' }, null)],
    ['delete (expectedVersion 4)', s.delete(key, 4)],
    ['delete (unconditional)', s.delete(key, null)],
    ['observedUpdate (state and data)', s.observedUpdate(key, { state: 'REFRI_ESPERA_SAP', dataJson: '{"paso":1}' })],
    ['observedDelete', s.observedDelete(key)],
    ['touch', s.touch(key)],
    ['sessionColumns', s.sessionColumns()],
    ['processedColumns', s.processedColumns()],
    ['insertProcessed', s.insertProcessed('wamid.A', null)],
    ['insertProcessed (for a session key)', s.insertProcessed('wamid.A', key)],
    ['readWithProcessed', s.readWithProcessed(key, 'wamid.A')],
    ...exactlyOnceWrites(s, key),
    ['selectProcessed', s.selectProcessed('wamid.A')],
    ['deleteProcessedBefore', s.deleteProcessedBefore(CUTOFF)],
    ['selectProcessedRecord', s.selectProcessedRecord('wamid.A')],
    ['claimProcessed', s.claimProcessed('wamid.A', REPRESENTATIVE_KEY, CLAIM)],
    ['recordProcessed', s.recordProcessed('wamid.A', CLAIM, 4, '{"state":"PAGADO"}')],
    ['releaseProcessed', s.releaseProcessed('wamid.A', CLAIM)],
    ['selectIdle (any state)', s.selectIdle(CUTOFF, null, 100)],
    ['selectIdle (two states)', s.selectIdle(CUTOFF, ['MENU', key], 100)],
    [
      'selectPage (first page, no filter)',
      s.selectPage({ states: null, updatedBefore: null, updatedAfter: null, after: null, limit: 51 }),
    ],
    [
      'selectPage (after a position, two states, a time window)',
      s.selectPage({
        states: ['MENU', 'ESPERA_DATOS'],
        updatedBefore: new Date('2026-02-01T00:00:00.000Z'),
        updatedAfter: CUTOFF,
        after: { time: '2026-01-15T10:20:30.123', key },
        limit: 51,
      }),
    ],
    ['deleteStale (any state)', s.deleteStale(CUTOFF, null, 1000)],
    ['deleteStale (two states)', s.deleteStale(CUTOFF, ['CANCELADA', 'FINALIZADA'], 1000)],
    ['lockRow', s.lockRow(key)],
    [
      'insertHistory',
      s.insertHistory({
        key,
        version: 4,
        previousState: 'MENU',
        state: 'EQUIPO_CONFIRMADO',
        origin: 'user',
        reason: 'Equipo confirmado',
      }),
    ],
    ['selectHistory (first page)', s.selectHistory(key, 20, null)],
    ['selectHistory (before version 9)', s.selectHistory(key, 20, 9)],
    ['deleteHistoryBefore', s.deleteHistoryBefore(CUTOFF)],
    ['historyColumns', s.historyColumns()],
  ];
}
