// Samples of docs/observability.md. Type-checked with the project; the guide's code blocks are checked
// to appear here.
/* eslint-disable @typescript-eslint/no-unused-vars -- the guide shows where the repository is made, not its use */
import { app } from '@azure/functions';
import type { Span } from '@opentelemetry/api';
import type { ExhaustedContext, LockingModeOption, Session, SessionStore } from 'versioned-sessions';

declare const store: SessionStore;
declare const phone: string;
declare const span: Span | undefined;
declare function handler(session: Session): Promise<unknown>;
declare function alertOnCall(context: ExhaustedContext): void;

import { SessionRepository, withSessionRetry } from 'versioned-sessions';

const sessions = new SessionRepository({
  store,
  hooks: {
    onConflict: (c) => console.warn(`conflict ${c.operation}(${c.maskedKey}) expected ${c.expectedVersion}, found ${c.actualVersion}`),
    onRetry: (c) => console.warn(`retry ${c.attempt}/${c.maxAttempts} in ${c.delayMs}ms`),
    onExhausted: (c) => console.error(`gave up on ${c.maskedKey} after ${c.elapsedMs}ms`),
    onDuplicate: (c) => console.info(`duplicate delivery for ${c.maskedKey}`),
  },
});

// Per-call hooks are called after the repository's own:
await withSessionRetry(sessions, phone, handler, { hooks: { onExhausted: alertOnCall } });

import { subscribe } from 'node:diagnostics_channel';
import { diagnosticsChannels, type ConflictContext } from 'versioned-sessions';

subscribe(diagnosticsChannels.conflict, (message) => {
  const c = message as ConflictContext;
  span?.addEvent('session.conflict', { operation: c.operation, enforced: c.enforced });
});

export function azureFunctionsV4(): void {
// Azure Functions v4
app.http('onMessage', {
  handler: async (request, context) => {
    const sessions = new SessionRepository({ store, logger: context });
    return { status: 200 }; // after the handler's work
  },
});
// Azure Functions v3: context.log.warn / context.log.error / context.log.verbose are used
}

export function observeMode(): SessionRepository {
const sessions = new SessionRepository({ store, lockingMode: 'observe' });
return sessions;
}

export function rolloutBySession(): SessionRepository[] {
// 10% of chats enforced, the other 90% observed:
const pilot = new SessionRepository({ store, lockingMode: { enforce: 0.1 } });

// Or decide per chat yourself (a synchronous function of the key, called before each write):
const testers = new Set(['+5215512345678']);
const byChat = new SessionRepository({
  store,
  lockingMode: (key) => (testers.has(key) ? 'enforce' : 'observe'),
});
byChat.lockingModeFor('+5215512345678'); // 'enforce'
return [pilot, byChat];
}

export function rolloutFromConfig(): SessionRepository {
function lockingModeFromConfig(setting: string | undefined): LockingModeOption {
  if (setting === 'enforce' || setting === 'observe' || setting === 'off') return setting;
  const share = Number(setting); // SESSION_LOCKING=0.1 enforces 10% of chats
  return Number.isFinite(share) ? { enforce: share } : 'observe';
}
const sessions = new SessionRepository({ store, lockingMode: lockingModeFromConfig(process.env.SESSION_LOCKING) });
return sessions;
}
