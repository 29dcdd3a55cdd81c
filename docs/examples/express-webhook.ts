// Samples of docs/express-webhook.md: an Express 5 webhook that applies each message to its chat's
// session exactly once, even when messages for one chat arrive at once or are delivered twice.
// Type-checked with the project and exercised by test/docs/express-webhook.test.ts.
import express from 'express';
import { isConcurrencyError, withSessionRetry, type Session, type SessionRepository } from 'versioned-sessions';

/** What each chat's session keeps. */
export interface ChatData {
  /** How many messages were applied. */
  handled: number;
  /** The ids of the latest messages applied, to recognise a redelivery. */
  recentIds: string[];
}

/** The fields this example reads from the webhook body. */
interface IncomingMessage {
  id: string;
  from: string;
  text: string;
}

const RECENT_IDS = 50;

function parseMessage(body: unknown): IncomingMessage | null {
  const { id, from, text } = (body ?? {}) as Partial<Record<keyof IncomingMessage, unknown>>;
  if (typeof id !== 'string' || typeof from !== 'string' || typeof text !== 'string') return null;
  return { id, from, text };
}

function nextState(state: string | null, text: string): string {
  if (text === '1') return 'REFRI_ESPERA_SAP';
  if (text === '2') return 'VEHICULO_ESPERA_EMPLEADO';
  return state ?? 'MENU';
}

export function createWebhookApp(sessions: SessionRepository<ChatData>): express.Express {
  const app = express();
  app.use(express.json());

  app.post('/webhook', async (req, res) => {
    const message = parseMessage(req.body);
    if (message === null) {
      res.status(400).json({ error: 'expected { id, from, text }' });
      return;
    }
    try {
      const session = await withSessionRetry(
        sessions,
        message.from,
        async (current: Session<ChatData>) => {
          // Runs again on a conflict, with the session re-read: a redelivered message is seen here.
          if (current.data.recentIds.includes(message.id)) return current;
          return sessions.updateSession(
            message.from,
            {
              state: nextState(current.state, message.text),
              data: {
                handled: current.data.handled + 1,
                recentIds: [...current.data.recentIds, message.id].slice(-RECENT_IDS),
              },
            },
            { expectedVersion: current.version },
          );
        },
        { initial: { state: 'INICIO', data: { handled: 0, recentIds: [] } }, maxAttempts: 8, maxDelayMs: 500 },
      );
      res.json({ state: session.state, version: session.version });
    } catch (error) {
      if (isConcurrencyError(error)) {
        // Every attempt lost the race: ask the sender to deliver again later. Nothing was written.
        res.status(503).set('Retry-After', '1').json({ error: 'busy, retry' });
        return;
      }
      throw error; // Express 5 hands a rejected handler to its error middleware
    }
  });

  return app;
}
