// Samples of docs/session-lifecycle.md (this file is a function app's src/functions/expire-sessions.ts).
// Type-checked with the project; the guide's code blocks are checked to appear here.
// src/functions/expire-sessions.ts
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { sessions } from '../sessions.js';

// Every five minutes: close the chats nobody answered for 30 minutes. A message that arrives while the
// sweep runs wins; that chat is counted in `skipped` and stays open.
export async function expireSessions(_timer: Timer, context: InvocationContext): Promise<void> {
  const { expired, skipped } = await sessions.expireIdleSessions({
    idleFor: '30m',
    states: ['MENU', 'ESPERA_DATOS', 'REFRI_ESPERA_SAP'],
    changes: (session) => ({ state: 'CANCELADA', data: { ...session.data, ultimoMensaje: 'timeout' } }),
    reason: '30 min sin respuesta',
  });
  context.log(`expired ${expired} sessions, skipped ${skipped} that got a message meanwhile`);
}

app.timer('expireSessions', { schedule: '0 */5 * * * *', handler: expireSessions });
