/**
 * The whole conformance suite on PostgreSQL under the application's least privilege: every store
 * operation (verifySchema, idempotent updates, processed operations, caller transactions, the worker
 * threads) runs as a login granted only USAGE on the schema and SELECT, INSERT, UPDATE, DELETE on the
 * sessions and processed-operations tables; a separate owner login migrated the schema.
 * test/postgres/least-privilege.test.ts checks those grants and what the login cannot do.
 */
import { defineConformanceSuite } from './suite.js';
import { postgresTarget } from './targets/postgres.js';

await defineConformanceSuite(
  postgresTarget({ leastPrivilege: true }),
  'postgres conformance as the least-privilege login',
);
