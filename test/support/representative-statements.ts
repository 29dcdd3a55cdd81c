/**
 * Every statement of the dialect contract, built with representative values (each builder, each
 * variant), in one order: what the statement snapshot and grammar tests of a dialect pin and parse.
 */
import type { SessionStatements } from '../../src/core/sql/dialect-contract.js';

/** The key the representative statements are built for. */
export const REPRESENTATIVE_KEY = '+5215512345678';

const CUTOFF = new Date('2026-01-01T00:00:00.000Z');
const CLAIM = '00000000-0000-4000-8000-000000000000';

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
    ['insertProcessed', s.insertProcessed('wamid.A')],
    ['selectProcessed', s.selectProcessed('wamid.A')],
    ['deleteProcessedBefore', s.deleteProcessedBefore(CUTOFF)],
    ['selectProcessedRecord', s.selectProcessedRecord('wamid.A')],
    ['claimProcessed', s.claimProcessed('wamid.A', REPRESENTATIVE_KEY, CLAIM)],
    ['recordProcessed', s.recordProcessed('wamid.A', CLAIM, 4, '{"state":"PAGADO"}')],
    ['releaseProcessed', s.releaseProcessed('wamid.A', CLAIM)],
    ['selectIdle (any state)', s.selectIdle(CUTOFF, null, 100)],
    ['selectIdle (two states)', s.selectIdle(CUTOFF, ['MENU', key], 100)],
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
