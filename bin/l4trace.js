#!/usr/bin/env node
// Entry point of the `l4trace` command: runs the compiled CLI (built by `npm install` via `prepare`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('l4trace: the build is missing (dist/); run `npm install` or `npm run build` in the l4trace folder\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv);
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
