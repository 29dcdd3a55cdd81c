// The wiring of docs/express-webhook.md: one repository for the process, shared by every request.
import pg from 'pg';
import { SessionRepository } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';
import { createWebhookApp, type ChatData } from './express-webhook.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const sessions = new SessionRepository<ChatData>({ store: new PostgresSessionStore({ pool }), logger: console });
await sessions.verifySchema();

const server = createWebhookApp(sessions).listen(Number(process.env.PORT ?? 3000));
process.once('SIGTERM', () => server.close(() => void pool.end()));
