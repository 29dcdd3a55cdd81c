// The wiring of docs/express-webhook.md: one repository for the process, shared by every request, and the
// webhook's secrets from the environment.
import pg from 'pg';
import { SessionRepository } from 'versioned-sessions';
import { PostgresSessionStore } from 'versioned-sessions/postgres';
import { createWebhookApp, type ChatData } from './express-webhook.js';
import { secretFromEnvironment } from './meta-webhook.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const sessions = new SessionRepository<ChatData>({
  store: new PostgresSessionStore({ pool }),
  logger: console,
  initialData: { handled: 0 },
});
await sessions.verifySchema();

const app = createWebhookApp(sessions, {
  appSecret: secretFromEnvironment('META_APP_SECRET'),
  verifyToken: secretFromEnvironment('META_VERIFY_TOKEN'),
});
const server = app.listen(Number(process.env.PORT ?? 3000));
process.once('SIGTERM', () => server.close(() => void pool.end()));
