import { defineConformanceSuite } from './suite.js';
import { mssqlTarget } from './targets/mssql.js';

await defineConformanceSuite(mssqlTarget());
