// Samples of docs/express-webhook.md (the shared webhook checks, src/meta-webhook.ts in an app): Meta's
// X-Hub-Signature-256 check on the raw body, the GET verification handshake, and the parsing of a WhatsApp
// Cloud API delivery. Type-checked with the project; used by the Express and Azure Functions samples and
// exercised over HTTP by test/docs/express-webhook.test.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The largest body accepted: a WhatsApp delivery is a few kilobytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** A secret the process cannot start without; it comes from the environment, never from the code. */
export function secretFromEnvironment(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new Error(`Set ${name} in the environment (see docs/security.md).`);
  return value;
}

/**
 * Whether `signatureHeader` (X-Hub-Signature-256: `sha256=<64 hex digits>`) is the HMAC-SHA256 of exactly
 * these bytes under the app secret. Meta signs the bytes it sent: check the raw body, never a
 * re-serialised JSON.parse result.
 */
export function isSignedByMeta(rawBody: Buffer, signatureHeader: string | null | undefined, appSecret: string): boolean {
  if (typeof signatureHeader !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(signatureHeader)) return false;
  const received = Buffer.from(signatureHeader.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  // timingSafeEqual compares in constant time and throws on different lengths: check the length first.
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/**
 * Meta's GET verification handshake: the `hub.challenge` to echo back when `hub.mode` is `subscribe` and
 * `hub.verify_token` is the token you entered in the app dashboard; `null` otherwise (answer 403).
 */
export function verificationChallenge(query: (name: string) => unknown, verifyToken: string): string | null {
  const mode = query('hub.mode');
  const token = query('hub.verify_token');
  const challenge = query('hub.challenge');
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') return null;
  const given = Buffer.from(token);
  const expected = Buffer.from(verifyToken);
  return given.length === expected.length && timingSafeEqual(given, expected) ? challenge : null;
}

/** One text message of a delivery. */
export interface IncomingMessage {
  /** Meta's message id (`wamid.…`): the idempotency key of the message. */
  id: string;
  /** The sender's phone number: the session key. */
  from: string;
  /** The text body. */
  text: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The text messages of a WhatsApp Cloud API delivery (`entry[].changes[].value.messages[]`), or `null`
 * when the body is not one: answer 400 without reading any session. Deliveries without messages (status
 * updates) give an empty list; messages other than text are left out.
 */
export function parseDelivery(rawBody: Buffer): IncomingMessage[] | null {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(body) || body['object'] !== 'whatsapp_business_account' || !Array.isArray(body['entry'])) return null;
  const messages: IncomingMessage[] = [];
  for (const entry of body['entry']) {
    if (!isObject(entry) || !Array.isArray(entry['changes'])) return null;
    for (const change of entry['changes']) {
      if (!isObject(change) || !isObject(change['value'])) return null;
      const list = change['value']['messages'] ?? [];
      if (!Array.isArray(list)) return null;
      for (const message of list) {
        if (!isObject(message) || typeof message['id'] !== 'string' || typeof message['from'] !== 'string') return null;
        const text = isObject(message['text']) ? message['text']['body'] : undefined;
        if (message['type'] === 'text' && typeof text !== 'string') return null;
        if (typeof text === 'string') messages.push({ id: message['id'], from: message['from'], text });
      }
    }
  }
  return messages;
}
