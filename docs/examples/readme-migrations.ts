// The README's migrations sample. Type-checked with the project; its text is checked against the
// README.
import type pg from 'pg';

declare const pool: pg.Pool;

import { migrate } from 'versioned-sessions/migrations';
await migrate({ dialect: 'postgres', pool, schema: 'bot' });
