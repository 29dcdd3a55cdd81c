// Samples of docs/exactly-once.md and the README's idempotency sample. Type-checked with the project;
// the guide's code blocks are checked to appear here.
/* eslint-disable @typescript-eslint/no-unused-vars -- the guide's samples name results they would go on to use */
import { MAX_BODY_BYTES, isSignedByMeta, parseDelivery, secretFromEnvironment } from './meta-webhook.js';
import { isDuplicateOperationError, type Session, type SessionStore } from 'versioned-sessions';

declare const store: SessionStore;
declare function nextState(state: string | null, text: string): string;
declare function sendReply(to: string, state: string | null): Promise<void>;

import { SessionRepository, withSessionRetry } from 'versioned-sessions';

export async function onMessage(message: { id: string; from: string; text: string }) {
  const result = await withSessionRetry(
    sessions,
    message.from,
    (session) =>
      sessions.updateSession(
        message.from,
        { state: nextState(session.state, message.text) },
        { expectedVersion: session.version },
      ),
    { idempotencyKey: message.id },
  );
  if (result.status === 'duplicate') {
    // Applied before (result.session is the session as that delivery committed it). Answer 200.
    return { status: 200 };
  }
  await sendReply(message.from, result.value.state); // result.value is what the handler returned
  return { status: 200 };
}

const APP_SECRET = secretFromEnvironment('META_APP_SECRET');

export async function onDelivery(rawBody: Buffer, signature: string | undefined): Promise<{ status: number }> {
  if (rawBody.length > MAX_BODY_BYTES) return { status: 413 };
  if (signature === undefined) return { status: 401 };
  if (!isSignedByMeta(rawBody, signature, APP_SECRET)) return { status: 403 }; // forged: no session is read
  const messages = parseDelivery(rawBody);
  if (messages === null) return { status: 400 };
  for (const message of messages) await onMessage(message); // the message id is the idempotency key
  return { status: 200 };
}

export async function withoutRetry(phone: string, session: Session, message: { id: string }): Promise<{ status: number } | undefined> {
  try {
    const updated = await sessions.updateSession(phone, { state: 'PAGADO' },
      { expectedVersion: session.version, idempotencyKey: message.id });
  } catch (error) {
    if (isDuplicateOperationError(error)) return { status: 200 }; // error.session: as first committed
    throw error;
  }
}

export async function readmeSample(phone: string, message: { id: string }): Promise<void> {
  const result = await withSessionRetry(sessions, phone, (session) =>
    sessions.updateSession(phone, { state: 'PAGADO' }, { expectedVersion: session.version }),
    { idempotencyKey: message.id });
  if (result.status === 'duplicate') return; // applied before; the handler did not run
  console.log(result.value.version);
}

// Module scope, after the samples so that they read as in the guide.
const sessions = new SessionRepository({ store });
