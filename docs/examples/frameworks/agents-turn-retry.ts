// Samples of docs/agents.md: a turn whose state write lost a race is run again on fresh state, and
// its replies are sent once, after the write that counted. Exercised by test/frameworks/agents.test.ts.
import type { Activity } from '@microsoft/agents-activity';
import type { AgentApplication, TurnContext, TurnState } from '@microsoft/agents-hosting';
import { withRetry } from 'versioned-sessions';

export async function runTurn<TState extends TurnState>(app: AgentApplication<TState>, context: TurnContext, maxAttempts = 5): Promise<void> {
  let outbox: Activity[] = [];
  let delivering = false;
  // Hold the turn's replies back until its state is written.
  context.onSendActivities(async (_context, activities, next) => {
    if (delivering) return next();
    outbox.push(...activities);
    return activities.map(() => ({ id: '' }));
  });
  try {
    await withRetry(
      async () => {
        outbox = []; // a run that lost the race: its replies are dropped with it
        await app.run(context); // throws ConcurrencyError when another turn wrote the state first
      },
      { maxAttempts, operationName: 'agentTurn' },
    );
  } catch (error) {
    outbox = [];
    throw error;
  } finally {
    delivering = true; // replies from here on (the adapter's onTurnError among them) go out at once
  }
  if (outbox.length > 0) await context.sendActivities(outbox);
}
