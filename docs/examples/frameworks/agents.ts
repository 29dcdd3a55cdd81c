// Samples of docs/agents.md: the Microsoft 365 Agents SDK's AgentApplication on PostgreSQL through
// VersionedAgentStorage. Type-checked with the project; the storage is exercised by
// test/frameworks/agents.test.ts and test/frameworks/botbuilder.test.ts.
import { AgentApplication, CloudAdapter, loadAuthConfigFromEnv, type TurnState } from '@microsoft/agents-hosting';
import express from 'express';
import pg from 'pg';
import { SessionRepository, isConcurrencyError } from 'versioned-sessions';
import { VersionedAgentStorage } from 'versioned-sessions/agents';
import { PostgresSessionStore } from 'versioned-sessions/postgres';
import { runTurn } from './agents-turn-retry.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const repository = new SessionRepository({ store: new PostgresSessionStore({ pool }), logger: console });
await repository.verifySchema();

interface Order {
  items: string[];
}

const storage = new VersionedAgentStorage({ repository, keyPrefix: 'agents:', untracked: 'create-only' });
const app = new AgentApplication<TurnState<Order>>({ storage });
// AgentApplication (1.7, 1.8) saves the turn state only when an afterTurn handler returns true.
app.onTurn('afterTurn', async () => true);

app.onActivity('message', async (context, state) => {
  const items = [...(state.conversation.items ?? []), context.activity.text ?? ''];
  state.conversation.items = items;
  await context.sendActivity(`${items.length} items in your order.`);
});

const adapter = new CloudAdapter(loadAuthConfigFromEnv());
adapter.onTurnError = async (context, error) => {
  // Five runs of this turn all lost the race (a very busy conversation); none of them was written.
  const text = isConcurrencyError(error) ? 'Many messages at once: please send that again.' : 'Sorry, something went wrong.';
  await context.sendActivity(text);
};

express()
  .use(express.json())
  .post('/api/messages', (req, res) => adapter.process(req, res, (context) => runTurn(app, context)))
  .listen(Number(process.env.PORT ?? 3978));
