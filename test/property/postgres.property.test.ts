import { postgresTarget } from '../conformance/targets/postgres.js';
import { definePropertySuite } from './suite.js';

await definePropertySuite(postgresTarget());
