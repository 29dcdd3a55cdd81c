// `npm run demo`: runs the built demo. Usage: npm run demo [-- --url postgres://user@host/db] [--instances N]
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { url: { type: 'string' }, instances: { type: 'string' }, messages: { type: 'string' }, phones: { type: 'string' } },
});
const { runDemo } = await import('../dist/demo.js');
const number = (text) => (text === undefined ? undefined : Number.parseInt(text, 10));
await runDemo({
  url: values.url ?? process.env.VERSIONED_SESSIONS_DATABASE_URL,
  instances: number(values.instances),
  messagesPerPhone: number(values.messages),
  phones: number(values.phones),
});
