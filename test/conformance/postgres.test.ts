import { defineConformanceSuite } from './suite.js';
import { postgresTarget } from './targets/postgres.js';

await defineConformanceSuite(postgresTarget());
