// Prints vitest's totals as one plain line, "vitest: N passed, N failed, N skipped", and fails when no
// test ran at all.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let results;
try {
  results = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no vitest results at ${file}: ${error.message}`);
  process.exit(1);
}
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`vitest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`);
if (results.numPassedTests === 0) {
  console.error('no test passed: treating the run as a failure');
  process.exit(1);
}
