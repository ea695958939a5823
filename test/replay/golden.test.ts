/**
 * The golden traces (traces/) and the version discipline they guard:
 * - every committed golden trace has the digest traces/manifest.json lists for the current machine
 *   version (a golden trace changed without a version bump fails here);
 * - re-recording each reproducible recipe with this build gives exactly the committed bytes (a change
 *   in the machine's behaviour, a cost default included, fails here until MACHINE_VERSION is bumped
 *   and `npm run golden` has recorded the new version's traces);
 * - every golden trace replays as identical, from the file alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../../tracer/reader.js';
import { replayTrace } from '../../replay/replay.js';
import { MACHINE_HISTORY, MACHINE_VERSION } from '../../src/session/versions.js';
import { GOLDEN_DIR, makeGolden, readManifest, reproducible, sha256Hex } from '../support/golden.js';

const manifest = readManifest();
const files = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.l4t')).sort();
const bytesOf = (f: string): Uint8Array => readFileSync(join(GOLDEN_DIR, f));
const BUMP = `bump MACHINE_VERSION in src/session/versions.ts, describe the change in MACHINE_HISTORY, then npm run build && npm run golden`;

describe('golden traces: the manifest and the version discipline', () => {
  it('every golden trace has a recipe, and the current machine version has a digest for each', () => {
    expect(files).toEqual(Object.keys(manifest.recipes).sort());
    const current = manifest.digests[String(MACHINE_VERSION)];
    expect(current, `traces/manifest.json has no digests for machine v${MACHINE_VERSION}: run npm run golden`).toBeDefined();
    expect(Object.keys(current!).sort()).toEqual(files);
    expect(MACHINE_HISTORY[MACHINE_VERSION], 'MACHINE_HISTORY must say what the current version changed').toBeTruthy();
    for (const v of Object.keys(manifest.digests)) expect(Number(v)).toBeLessThanOrEqual(MACHINE_VERSION);
  });

  for (const f of files) {
    it(`${f}: the committed bytes are machine v${MACHINE_VERSION}'s`, () => {
      const digest = sha256Hex(bytesOf(f));
      expect(digest, `${f} is not the trace the manifest lists for machine v${MACHINE_VERSION}: golden traces change only with a new machine version (${BUMP})`).toBe(
        manifest.digests[String(MACHINE_VERSION)]?.[f],
      );
    });
  }

  for (const [f, recipe] of Object.entries(manifest.recipes).filter(([, r]) => reproducible(r))) {
    it(`${f}: re-recording its recipe gives the same bytes`, () => {
      const committed = bytesOf(f);
      const toolVersion = TraceReader.fromBytes(committed).header.toolVersion;
      const made = makeGolden(recipe, toolVersion, bytesOf);
      const same = Buffer.from(made).equals(Buffer.from(committed));
      expect(same, `this build records ${f} differently from machine v${MACHINE_VERSION}'s golden trace: the machine's behaviour (or a cost default) changed; ${BUMP}`).toBe(true);
    });
  }
});

describe('golden traces (traces/) replay as identical', () => {
  it('there are golden traces of every built-in scenario, with os entropy, overwrite buffers, a filter and cost overrides', () => {
    const headers = files.map((f) => TraceReader.open(join(GOLDEN_DIR, f)).header);
    expect([...new Set(headers.map((h) => h.scenarioName))].sort()).toEqual(['clients-server', 'console', 'irq', 'kmem', 'maxcpus-deadlock', 'pingpong', 'run', 'shell', 'signal-race', 'table2']);
    expect(headers.some((h) => h.entropy === 1)).toBe(true);
    expect(headers.some((h) => h.filterRules !== '')).toBe(true);
    expect(headers.some((h) => h.buffers?.policy === 2)).toBe(true);
    expect(headers.some((h) => h.sideCostProfilesJson !== '')).toBe(true);
    expect(headers.some((h) => JSON.parse(h.scenarioJson).costs?.ipcPath !== undefined)).toBe(true);
  });

  for (const f of files) {
    it(f, () => {
      const reader = TraceReader.open(join(GOLDEN_DIR, f));
      expect(reader.header.machineVersion).toBe(MACHINE_VERSION);
      const r = replayTrace(reader, f);
      expect(r.difference).toBeNull();
      expect(r.verdict).toBe('identical');
      expect(r.events).toBe(reader.footer!.nextSeq);
      reader.close();
    });
  }
});
