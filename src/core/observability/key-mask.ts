/**
 * Masking of session keys (phone numbers) for messages and logs.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import { describeValue, expectInteger, invalidArgument } from '../validate.js';

/**
 * A function that turns a session key into the text shown in messages and logs.
 *
 * @example
 * ```ts
 * const hashOnly: KeyMasker = (key) => createHmac('sha256', secret).update(key).digest('hex').slice(0, 12);
 * ```
 */
export type KeyMasker = (key: string) => string;

/**
 * The default masker: keeps the first three and the last four characters of keys longer than eight
 * characters and replaces the rest with `*`; shorter keys keep their last two.
 *
 * @example
 * ```ts
 * maskKey('+5215512345678'); // '+52*******5678'
 * ```
 */
export function maskKey(key: string): string {
  const characters = Array.from(key);
  if (characters.length > 8) {
    return characters.slice(0, 3).join('') + '*'.repeat(characters.length - 7) + characters.slice(-4).join('');
  }
  const kept = Math.min(2, Math.floor(characters.length / 2));
  return '*'.repeat(characters.length - kept) + characters.slice(characters.length - kept).join('');
}

/**
 * Options of {@link hmacKeyMasker}.
 *
 * @example
 * ```ts
 * const options: HmacKeyMaskerOptions = { length: 16, keepLast: 0 };
 * ```
 */
export interface HmacKeyMaskerOptions {
  /**
   * Characters of the digest kept (base64url, 6 bits each).
   * @defaultValue 12
   */
  readonly length?: number;
  /**
   * Trailing characters of the key kept after the digest, for people who recognise a customer by
   * them; `0` keeps none.
   * @defaultValue 4
   */
  readonly keepLast?: number;
}

/**
 * A masker for correlation: the same key always gives the same text (under one secret), different
 * keys practically never do, and without the secret the key cannot be recovered by trying every
 * phone number. The output is `#` + a truncated HMAC-SHA256 in base64url, then `~` and the key's
 * last characters: e.g. `#Qm9sYS1jb2Rp~5678`.
 *
 * @param secret - a secret of at least 16 bytes, from configuration, never from code.
 * @example
 * ```ts
 * import { SessionRepository, hmacKeyMasker } from 'versioned-sessions';
 *
 * const sessions = new SessionRepository({ store, maskKey: hmacKeyMasker(process.env.LOG_KEY_SECRET!) });
 * ```
 */
export function hmacKeyMasker(secret: string | Uint8Array, options: HmacKeyMaskerOptions = {}): KeyMasker {
  const bytes =
    typeof secret === 'string' ? Buffer.byteLength(secret) : secret instanceof Uint8Array ? secret.byteLength : -1;
  if (bytes < 16) {
    // The secret's size only, never its content.
    throw invalidArgument(
      'secret',
      'be a string or bytes of at least 16 bytes',
      bytes < 0 ? describeValue(secret) : `${bytes} byte${bytes === 1 ? '' : 's'}`,
      { hint: 'Use e.g. 32 random bytes from your secret store.' },
    );
  }
  const length = options.length ?? 12;
  const keepLast = options.keepLast ?? 4;
  expectInteger('length', length, { min: 8, max: 43 });
  expectInteger('keepLast', keepLast, { min: 0, max: 4 });
  const key = typeof secret === 'string' ? secret : Buffer.from(secret);
  // base64url rather than hex: a hex digest often holds a run of eight or more decimal digits, which
  // log scanners (and our own test) would take for a phone number.
  return (sessionKey) => {
    const digest = createHmac('sha256', key).update(sessionKey).digest('base64url').slice(0, length);
    const tail = keepLast === 0 ? '' : `~${Array.from(sessionKey).slice(-keepLast).join('')}`;
    return `#${digest}${tail}`;
  };
}
