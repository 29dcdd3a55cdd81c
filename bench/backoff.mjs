// Backoff policies under hot-key contention: the same 16 handlers with each `jitter` setting, all else
// at its default (3 attempts, 50 → 100 → 200 ms), in one process without the queue and over
// 4 processes with it (where conflicts happen only between processes).
import { measureInProcess } from './hot-key.mjs';
import { measureAcrossProcesses } from './processes.mjs';

export const JITTERS = ['none', 'proportional', 'full', 'decorrelated'];
const HANDLERS = 16;

export async function backoffFamily(database, mode, print) {
  const rows = [];
  const setups = [
    {
      setup: '1 process, withSessionRetry',
      run: (retry) => measureInProcess(database, mode, 'withSessionRetry', HANDLERS, retry),
    },
    {
      setup: '4 processes, perKeyQueue',
      run: (retry) => measureAcrossProcesses(database, mode, 'perKeyQueue', HANDLERS, retry),
    },
  ];
  for (const { setup, run } of setups) {
    for (const jitter of JITTERS) {
      const result = await run({ jitter });
      rows.push({ dialect: database.dialect, setup, handlers: HANDLERS, jitter, ...result });
      print(
        `${database.dialect} backoff ${setup} jitter=${jitter}: ${result.goodput.toFixed(0)} ops/s, ${result.attemptsPerCommit.toFixed(2)} attempts/op, ${result.exhausted} exhausted`,
      );
    }
  }
  return rows;
}
