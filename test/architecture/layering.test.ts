/**
 * DESIGN.md §2: every import in the repository follows the layering table (test/support/layering.ts),
 * and the checker is not blind: a fixture tree with upward imports makes it report them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALLOWED, folderOf, importsOf, layeringViolations } from '../support/layering.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/upward/', import.meta.url));

describe('layering (DESIGN.md §2)', () => {
  it('every import of the repository points down the table; nothing imports src/cli', () => {
    const r = layeringViolations(ROOT, ['test/architecture/fixtures']);
    const lines = r.violations.map((v) => `${v.file}:${v.line} (${v.from}) imports ${v.specifier} (${v.to})`);
    expect(lines).toEqual([]);
    // The scan really read the tree.
    expect(r.files).toBeGreaterThan(200);
    expect(r.imports).toBeGreaterThan(1000);
  });

  it('a fixture with an upward import (and one into src/cli) makes it fail', () => {
    const r = layeringViolations(FIXTURE);
    expect(r.violations.map((v) => `${v.file}: ${v.from} -> ${v.to}`).sort()).toEqual(['src/sim/clock.ts: src/sim -> src/cli', 'tracer/sink-with-a-kernel.ts: tracer -> src/l4']);
  });

  it('knows every folder of the repository and reads every kind of import', () => {
    for (const f of ['src/sim/prng.ts', 'src/session/setup.ts', 'tracer/filter/rules.ts', 'viewer/app/app.ts', 'dist/src/cli/version.js', 'test/bench/run.ts']) expect(folderOf(f)).not.toBeNull();
    expect(Object.keys(ALLOWED)).toContain('src/session');
    const text = "import a from './a.js';\nimport type { B } from '../b.js';\nexport { c } from './c.js';\nimport './d.js';\nconst e = await import('./e.js');\nimport x from 'node:fs';";
    expect(importsOf(text).map((i) => i.specifier).sort()).toEqual(['../b.js', './a.js', './c.js', './d.js', './e.js']);
  });
});
