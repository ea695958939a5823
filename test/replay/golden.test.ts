import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../../tracer/reader.js';
import { replayTrace } from '../../replay/replay.js';
import { MACHINE_VERSION } from '../../src/scenarios/runner.js';

const DIR = fileURLToPath(new URL('../../traces/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.l4t')).sort();

describe('golden traces (traces/) replay as identical', () => {
  it('there are golden traces of every built-in scenario, with os entropy, overwrite buffers and a filter', () => {
    const scenarios = new Set(files.map((f) => TraceReader.open(join(DIR, f)).header.scenarioName));
    expect([...scenarios].sort()).toEqual(['clients-server', 'irq', 'maxcpus-deadlock', 'pingpong', 'run', 'shell', 'signal-race', 'table2']);
    const headers = files.map((f) => TraceReader.open(join(DIR, f)).header);
    expect(headers.some((h) => h.entropy === 1)).toBe(true);
    expect(headers.some((h) => h.filterRules !== '')).toBe(true);
    expect(headers.some((h) => h.buffers?.policy === 2)).toBe(true);
  });

  for (const f of files) {
    it(f, () => {
      const reader = TraceReader.open(join(DIR, f));
      expect(reader.header.machineVersion).toBe(MACHINE_VERSION);
      const r = replayTrace(reader, f);
      expect(r.difference).toBeNull();
      expect(r.verdict).toBe('identical');
      expect(r.events).toBe(reader.footer!.nextSeq);
      reader.close();
    });
  }
});
