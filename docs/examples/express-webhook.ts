// Samples of docs/express-webhook.md: an Express 5 webhook that accepts only deliveries Meta signed and
// applies each message to its chat's session exactly once, even when messages for one chat arrive at once
// or are delivered twice. Type-checked with the project and exercised by test/docs/express-webhook.test.ts.
import express from 'express';
import { isConcurrencyError, withSessionRetry, type Session, type SessionRepository } from 'versioned-sessions';
import { MAX_BODY_BYTES, isSignedByMeta, parseDelivery, verificationChallenge, type IncomingMessage } from './meta-webhook.js';

/** What each chat's session keeps. */
export interface ChatData {
  /** How many messages were applied. */
  handled: number;
}

/** The app's two secrets, both read from the environment at start-up. */
export interface WebhookSecrets {
  /** The Meta app secret (App settings → Basic): the key of X-Hub-Signature-256. */
  appSecret: string;
  /** The token you typed as "Verify token" when subscribing the webhook. */
  verifyToken: string;
}

function nextState(state: string | null, text: string): string {
  if (text === '1') return 'REFRI_ESPERA_SAP';
  if (text === '2') return 'VEHICULO_ESPERA_EMPLEADO';
  return state ?? 'MENU';
}

export function createWebhookApp(sessions: SessionRepository<ChatData>, secrets: WebhookSecrets): express.Express {
  const app = express();

  // Meta's subscription handshake: echo hub.challenge only for our verify token.
  app.get('/webhook', (req, res) => {
    const challenge = verificationChallenge((name) => req.query[name], secrets.verifyToken);
    if (challenge === null) {
      res.sendStatus(403);
      return;
    }
    res.type('text/plain').send(challenge);
  });

  // express.raw keeps the body as the bytes Meta signed (express.json would parse them away) and
  // refuses anything larger than the limit with 413 before the handler runs.
  app.post('/webhook', express.raw({ type: 'application/json', limit: MAX_BODY_BYTES }), async (req, res) => {
    const rawBody: unknown = req.body;
    if (!Buffer.isBuffer(rawBody)) {
      res.status(415).json({ error: 'expected an application/json body' });
      return;
    }
    const signature = req.get('x-hub-signature-256');
    if (signature === undefined) {
      res.status(401).json({ error: 'missing X-Hub-Signature-256' });
      return;
    }
    if (!isSignedByMeta(rawBody, signature, secrets.appSecret)) {
      res.status(403).json({ error: 'bad signature' });
      return;
    }
    // Signed but not a WhatsApp messages payload: refused before any session is read.
    const messages = parseDelivery(rawBody);
    if (messages === null) {
      res.status(400).json({ error: 'expected a WhatsApp Cloud API delivery' });
      return;
    }
    try {
      const results = [];
      for (const message of messages) results.push(await applyMessage(sessions, message));
      res.json({ sessions: results });
    } catch (error) {
      if (isConcurrencyError(error)) {
        // Every attempt lost the race: ask the sender to deliver again later. Nothing of this message was written.
        res.status(503).set('Retry-After', '1').json({ error: 'busy, retry' });
        return;
      }
      throw error; // Express 5 hands a rejected handler to its error middleware
    }
  });

  return app;
}

async function applyMessage(
  sessions: SessionRepository<ChatData>,
  message: IncomingMessage,
): Promise<{ status: 'applied' | 'duplicate'; state: string | null; version: number | null }> {
  // The message id, given once, is recorded with the update: a redelivery, however late, is a duplicate.
  const result = await withSessionRetry(
    sessions,
    message.from,
    (current: Session<ChatData>) =>
      // Runs again on a conflict, with the session re-read.
      sessions.updateSession(
        message.from,
        { state: nextState(current.state, message.text), data: { handled: current.data.handled + 1 } },
        { expectedVersion: current.version },
      ),
    { idempotencyKey: message.id, initial: { state: 'INICIO' } },
  );
  // A redelivery resolves to `duplicate` with the session as the first delivery left it.
  const session = result.status === 'applied' ? result.value : result.session;
  return { status: result.status, state: session?.state ?? null, version: session?.version ?? null };
}
