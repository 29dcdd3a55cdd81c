// Samples of docs/azure-functions.md (this file is its src/functions/whatsapp.ts). Type-checked with the
// project; the guide's code blocks are checked to appear here.
// src/functions/whatsapp.ts
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { isConcurrencyError, withSessionRetry } from 'versioned-sessions';
import { isTransientError } from 'versioned-sessions/mssql';
import { MAX_BODY_BYTES, isSignedByMeta, parseDelivery, secretFromEnvironment, verificationChallenge } from '../meta-webhook.js';
import { sessions } from '../sessions.js';

// Read once, when the instance starts: a missing secret stops the app instead of accepting anything.
const APP_SECRET = secretFromEnvironment('META_APP_SECRET');
const VERIFY_TOKEN = secretFromEnvironment('META_VERIFY_TOKEN');

export async function whatsapp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  if (request.method === 'GET') {
    // Meta's subscription handshake: echo hub.challenge only for our verify token.
    const challenge = verificationChallenge((name) => request.query.get(name), VERIFY_TOKEN);
    return challenge === null ? { status: 403 } : { status: 200, body: challenge, headers: { 'content-type': 'text/plain' } };
  }

  // The size limit, then the signature over the raw bytes, then the payload: no session is read before.
  if (Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES) return { status: 413 };
  const rawBody = Buffer.from(await request.arrayBuffer());
  if (rawBody.length > MAX_BODY_BYTES) return { status: 413 };
  const signature = request.headers.get('x-hub-signature-256');
  if (signature === null) return { status: 401 };
  if (!isSignedByMeta(rawBody, signature, APP_SECRET)) return { status: 403 };
  const messages = parseDelivery(rawBody);
  if (messages === null) return { status: 400, jsonBody: { error: 'expected a WhatsApp Cloud API delivery' } };

  const states: string[] = [];
  for (const message of messages) {
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
    states.push(reply);
  }

  return { status: 200, jsonBody: { states } };
}

app.http('whatsapp', { methods: ['GET', 'POST'], authLevel: 'function', handler: whatsapp });
