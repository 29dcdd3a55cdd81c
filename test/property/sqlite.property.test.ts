import { sqliteTarget } from '../conformance/targets/sqlite.js';
import { definePropertySuite } from './suite.js';

await definePropertySuite(sqliteTarget());
