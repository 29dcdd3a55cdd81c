import { defineConformanceSuite } from './suite.js';
import { mysqlTarget } from './targets/mysql.js';

await defineConformanceSuite(mysqlTarget());
