/**
 * One simulated function instance of the demo, run as a child process: it opens its own connection,
 * waits for the start signal, then handles its share of webhook messages concurrently, either naively
 * (read, then unconditional write) or through withSessionRetry, and reports what it saw.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionRepository } from '../core/repository/repository.js';
import { withSessionRetry } from '../core/retry/retry.js';
import { openDemoStore, type DemoConnection } from './demo-store.js';

/** The data each demo session keeps: a counter and the ids of the messages applied. */
export interface DemoData {
  handled: number;
  messages: string[];
}

interface Assignment {
  connection: DemoConnection;
  mode: 'naive' | 'versioned';
  messages: { phone: string; id: string }[];
}

const STATES = ['INICIO', 'MENU', 'REFRI_ESPERA_SAP', 'VEHICULO_ESPERA_EMPLEADO', 'CONFIRMACION'];

/** The flow state after `handled` messages: past INICIO, the bot cycles through its steps. */
function stateAfter(handled: number): string {
  return STATES[1 + ((handled - 1) % (STATES.length - 1))]!;
}

function nextData(data: DemoData, id: string): DemoData {
  return { handled: (data.handled ?? 0) + 1, messages: [...(data.messages ?? []), id] };
}

async function handle(
  repository: SessionRepository<DemoData>,
  mode: Assignment['mode'],
  phone: string,
  id: string,
): Promise<{ retries: number; failed: boolean }> {
  const initial = { state: 'INICIO', data: { handled: 0, messages: [] } };
  if (mode === 'naive') {
    const session = await repository.getOrCreateSession(phone, initial);
    await sleep(2 + Math.random() * 6); // the bot's own work: parsing, calling an API
    const data = nextData(session.data, id);
    await repository.updateSession(phone, { state: stateAfter(data.handled), data });
    return { retries: 0, failed: false };
  }
  let retries = 0;
  try {
    await withSessionRetry(
      repository,
      phone,
      async (session) => {
        await sleep(2 + Math.random() * 6);
        const data = nextData(session.data, id);
        return repository.updateSession(
          phone,
          { state: stateAfter(data.handled), data },
          { expectedVersion: session.version },
        );
      },
      { initial, maxAttempts: 25, baseDelayMs: 5, maxDelayMs: 200, onRetry: () => retries++ },
    );
    return { retries, failed: false };
  } catch {
    return { retries, failed: true };
  }
}

async function main(): Promise<void> {
  const assignment = await new Promise<Assignment>((resolve) =>
    process.once('message', (message) => resolve(message as Assignment)),
  );
  const { store, close } = await openDemoStore(assignment.connection);
  const repository = new SessionRepository<DemoData>({ store, initialData: { handled: 0, messages: [] } });
  process.send!({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const results = await Promise.all(
    assignment.messages.map((message) => handle(repository, assignment.mode, message.phone, message.id)),
  );
  await close();
  process.send!({
    type: 'done',
    retries: results.reduce((sum, result) => sum + result.retries, 0),
    failed: results.filter((result) => result.failed).length,
  });
  process.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`demo instance failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
