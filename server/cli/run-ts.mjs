#!/usr/bin/env node
// Runs a TypeScript file given on the command line through tsx's loader (used by npm scripts,
// so they work the same on Windows and Linux without a shell wrapper).
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

register();
const file = process.argv[2];
if (!file) {
  console.error('usage: run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
process.argv.splice(2, 1);
await import(pathToFileURL(path.resolve(file)).href);
