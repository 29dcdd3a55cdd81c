import { defineConformanceSuite } from './suite.js';
import { sqliteTarget } from './targets/sqlite.js';

await defineConformanceSuite(sqliteTarget());
