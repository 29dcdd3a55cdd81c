// Samples of docs/azure-functions.md (this file is its src/functions/whatsapp.ts). Type-checked with the
// project; the guide's code blocks are checked to appear here.
// src/functions/whatsapp.ts
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { isConcurrencyError, withSessionRetry } from 'versioned-sessions';
import { isTransientError } from 'versioned-sessions/mssql';
import { sessions } from '../sessions.js';

app.http('whatsapp', {
  methods: ['POST'],
  authLevel: 'function',
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const message = (await request.json()) as { from: string; text: string };

    const reply = await withSessionRetry(
      sessions,
      message.from,
      async (session) => {
        const next = session.state === 'REFRI_ESPERA_SAP' ? 'REFRI_CONFIRMADO' : 'REFRI_ESPERA_SAP';
        await sessions.updateSession(
          message.from,
          { state: next, data: { ...session.data, ultimoMensaje: message.text } },
          { expectedVersion: session.version },
        );
        return next;
      },
      {
        logger: context,
        initial: { state: 'INICIO', data: {} },
        // Also ride out Azure SQL failovers, throttling and deadlocks.
        shouldRetry: (error) => isConcurrencyError(error) || isTransientError(error),
      },
    );

    return { status: 200, jsonBody: { state: reply } };
  },
});
