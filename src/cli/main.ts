#!/usr/bin/env node
/**
 * The `versioned-sessions` executable.
 *
 * @module
 */
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
