import { randomBytes } from 'node:crypto';

/** A table name no other test uses, so tests can run in parallel and leave nothing behind. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
