#!/usr/bin/env node
/**
 * `npm run golden`: record the golden traces of traces/manifest.json with this build and write their
 * digests under the current MACHINE_VERSION. It refuses to change the digests of a machine version that
 * already has them: a change in the machine's behaviour needs a new MACHINE_VERSION (src/session/
 * versions.ts, with a line in MACHINE_HISTORY), so that traces of the old version are refused by name
 * instead of failing with a false divergence. Traces not reproducible from their recipe (os entropy) are
 * recorded only for a new version. Run after `npm run build`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_DIR, makeGolden, manifestText, readManifest, reproducible, sha256Hex } from '../dist/test/support/golden.js';
import { MACHINE_VERSION } from '../dist/src/session/versions.js';
import { writeBytesAtomic } from '../dist/tracer/atomic-output.js';

// The tool's version string goes into each header (as `l4trace record` writes it).
const toolVersion = () => JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const manifest = readManifest();
const version = String(MACHINE_VERSION);
const known = manifest.digests[version];
const made = new Map();
const bytesOf = (file) => made.get(file) ?? readFileSync(join(GOLDEN_DIR, file));
const changed = [];
// Filtered traces after the traces they are made from (a filter reads its source as this build made it).
const ordered = Object.entries(manifest.recipes).sort(([, a], [, b]) => Number(Boolean(a.filter)) - Number(Boolean(b.filter)));
for (const [file, recipe] of ordered) {
  const path = join(GOLDEN_DIR, file);
  if (known && !reproducible(recipe) && existsSync(path)) continue; // kept: its recipe cannot make the same bytes
  const bytes = makeGolden(recipe, toolVersion(), bytesOf);
  made.set(file, bytes);
  const digest = sha256Hex(bytes);
  if (known && known[file] !== undefined && known[file] !== digest) changed.push(file);
}
if (changed.length > 0) {
  process.stderr.write(
    `record-golden: machine v${version} already has golden traces, and this build records ${changed.join(', ')} differently.\n` +
      `The machine's behaviour changed: bump MACHINE_VERSION in src/session/versions.ts, say what changed in MACHINE_HISTORY, rebuild, and run npm run golden again.\n`,
  );
  process.exit(1);
}
const digests = { ...(known ?? {}) };
for (const [file, bytes] of made) {
  writeBytesAtomic(join(GOLDEN_DIR, file), bytes);
  digests[file] = sha256Hex(bytes);
}
manifest.digests[version] = digests;
writeBytesAtomic(join(GOLDEN_DIR, 'manifest.json'), Buffer.from(manifestText(manifest)));
console.log(`golden traces of machine v${version}: ${made.size} recorded in ${GOLDEN_DIR}`);
