import { mysqlTarget } from '../conformance/targets/mysql.js';
import { definePropertySuite } from './suite.js';

await definePropertySuite(mysqlTarget());
