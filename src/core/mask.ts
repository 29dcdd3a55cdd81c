/**
 * Masking of session keys (phone numbers) for messages and logs.
 *
 * @module
 */

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
