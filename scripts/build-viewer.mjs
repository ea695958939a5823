// Bundle the viewer's browser app (viewer/app/main.ts) into dist/viewer/app.bundle.js for `l4trace view`.
// Runs after tsc (npm run build), so it takes the bundle options from the compiled generator.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OPTIONS } from '../dist/viewer/generate/bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  ...BUNDLE_OPTIONS,
  target: [...BUNDLE_OPTIONS.target],
  entryPoints: [`${root}viewer/app/main.ts`],
  outfile: `${root}dist/viewer/app.bundle.js`,
  logLevel: 'warning',
});
