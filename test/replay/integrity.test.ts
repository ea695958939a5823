/**
 * Issue 12's cases, each as a test: a verdict you can trust. A cut file replays as a verified prefix,
 * never as "identical"; a removed chunk is damage; crafted headers (valid checks, impossible values)
 * are refused before anything is sized by them; a damaged scenario or program in a header is named;
 * costs come from the header, so a cost default changed in the code does not change a replay, and is
 * caught by the golden-trace guard instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTrace } from '../../replay/replay.js';
import { FIASCO_V2 } from '../../src/l4/costs.js';
import { IncompatibleTrace, MACHINE_VERSION } from '../../src/session/versions.js';
import { TraceContentError } from '../../src/session/setup.js';
import { TraceFormatError, UserError } from '../../tracer/errors.js';
import { PacketField } from '../../tracer/format.js';
import { TraceReader } from '../../tracer/reader.js';
import { runCli, tempDir } from '../support/cli.js';
import { frameFile, packetsOf, packetSpans, withEditedHeader } from '../support/craft.js';
import { GOLDEN_DIR, makeGolden, readManifest } from '../support/golden.js';

const golden = (f: string): Uint8Array => readFileSync(join(GOLDEN_DIR, f));
const dir = tempDir();
const file = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const oneLine = (stderr: string): void => {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/internal error|^\s+at /m);
};

describe('a file cut short (Ctrl-C, a crash)', () => {
  const irq = golden('irq.l4t');

  it('replays as a verified prefix at every cut after the header, never as identical, and says where it was cut', () => {
    const spans = packetSpans(irq);
    const verdicts = new Map<string, number>();
    for (let cut = spans[1]!.start; cut < irq.length; cut += 37) {
      const r = replayTrace(TraceReader.fromBytes(irq.subarray(0, cut)), 'cut.l4t');
      verdicts.set(r.verdict, (verdicts.get(r.verdict) ?? 0) + 1);
      expect(r.verdict, `cut at byte ${cut}: ${r.difference?.detail}`).toBe('cut');
      expect(r.cut).not.toBeNull();
    }
    expect(verdicts.get('cut')).toBeGreaterThan(100);
  });

  it('the CLI: exit 3, "cut short after event #N: the prefix is identical", never "final state equal"; info says CUT SHORT', () => {
    const p = file('cut.l4t', irq.subarray(0, Math.floor(irq.length * 0.9)));
    const r = runCli(['replay', p]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/cut short after event #\d+: the prefix is identical/);
    expect(r.stdout).not.toMatch(/final state equal|: identical \(/);
    const i = runCli(['info', p]);
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/CUT SHORT/);
  });

  it('a file cut inside its header is refused, saying so', () => {
    const p = file('header-cut.l4t', irq.subarray(0, 200));
    const r = runCli(['replay', p]);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/cut inside its header packet/);
  });
});

describe('a removed chunk', () => {
  const irq = golden('irq.l4t');
  const chunks = packetSpans(irq).filter((s) => s.field === PacketField.chunk);
  const victim = chunks[Math.floor(chunks.length / 2)]!;
  const removed = Uint8Array.from([...irq.subarray(0, victim.start), ...irq.subarray(victim.end)]);
  const p = file('removed.l4t', removed);

  it('is damage, named by the packet that is missing, for the reader and every command', () => {
    expect(() => TraceReader.fromBytes(removed)).toThrow(TraceFormatError);
    expect(() => TraceReader.fromBytes(removed)).toThrow(new RegExp(`packet #${victim.index} is missing`));
    for (const args of [['info', p], ['dump', p], ['replay', p], ['query', p, 'select count(*) from slice'], ['report', p], ['score', p], ['view', p, '-o', join(dir, 'r.html')]]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`packet #${victim.index}`));
      expect(r.stderr).not.toMatch(/internal error/);
    }
  });

  it('--salvage loads what is left and says what was dropped', () => {
    const q = runCli(['query', p, "select value from stats where name = 'packet_dropped'", '--salvage', '--format', 'csv']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toMatch(/damaged .*missing/);
    const v = runCli(['view', p, '-o', join(dir, 'salvaged.html'), '--salvage']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).not.toMatch(/internal error/);
  });
});

describe('crafted headers: valid checks, values no recording has', () => {
  const irq = golden('irq.l4t');

  it('4,294,967,295 CPUs is refused at once by every command, before anything is sized by it', () => {
    const p = file('cpus.l4t', withEditedHeader(irq, (h) => (h.cpus = 4294967295)));
    for (const args of [['info', p], ['replay', p], ['query', p, 'select count(*) from thread'], ['view', p, '-o', join(dir, 'c.html')]]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toMatch(/claims 4294967295 CPUs/);
    }
  });

  it('a cycle limit of 1e15 is refused; a replay stops at the recorded end or at the budget asked', () => {
    expect(() => TraceReader.fromBytes(withEditedHeader(irq, (h) => (h.cycleLimit = 1e15)))).toThrow(/cycle limit 1000000000000000 is beyond/);
    const r = replayTrace(TraceReader.fromBytes(irq), 'irq.l4t', { maxCycles: 1_000_000 });
    expect(r.verdict).toBe('budget');
    expect(r.kernel!.now).toBeLessThanOrEqual(1_000_000);
    let calls = 0;
    const w = replayTrace(TraceReader.fromBytes(irq), 'irq.l4t', { shouldStop: () => (++calls > 1 ? 'the wall-clock budget' : null) });
    expect(w.verdict).toBe('budget');
    expect(w.budget).toBe('the wall-clock budget');
  });

  it('a damaged scenario or guest program in the header is named with the file and the part', () => {
    const json = withEditedHeader(irq, (h) => (h.scenarioJson = '{"scenario": "irq", "cpus": "many"'));
    expect(() => replayTrace(TraceReader.fromBytes(json), 'json.l4t')).toThrow(TraceContentError);
    expect(() => replayTrace(TraceReader.fromBytes(json), 'json.l4t')).toThrow(/^json\.l4t: the header's scenario is not JSON/);
    const field = withEditedHeader(irq, (h) => (h.scenarioJson = JSON.stringify({ ...JSON.parse(h.scenarioJson), cpus: 'many' })));
    expect(() => replayTrace(TraceReader.fromBytes(field), 'f.l4t')).toThrow(/^f\.l4t: the header's scenario: cpus: /);
    const costs = withEditedHeader(irq, (h) => (h.costProfileJson = JSON.stringify({ ...JSON.parse(h.costProfileJson), ipcPath: -5 })));
    expect(() => replayTrace(TraceReader.fromBytes(costs), 'c.l4t')).toThrow(/^c\.l4t: the header's cost profile: ipcPath: /);
    const rec = golden('rec-O2.l4t');
    const elf = withEditedHeader(rec, (h) => {
      const img = h.images[0]!;
      img.data = img.data.slice(0, 40);
      img.sha256 = new Uint8Array(createHash('sha256').update(img.data).digest());
    });
    expect(() => replayTrace(TraceReader.fromBytes(elf), 'elf.l4t')).toThrow(/^elf\.l4t: the embedded guest program "rec-O2" is not a usable i386 ELF/);
    const p = file('elf.l4t', elf);
    const r = runCli(['replay', p]);
    expect(r.code).toBe(1);
    oneLine(r.stderr);
  });

  it('an embedded program whose bytes do not match its stored hash is refused by the reader', () => {
    const rec = golden('rec-O2.l4t');
    const bad = withEditedHeader(rec, (h) => (h.images[0]!.data[100]! ^= 1));
    expect(() => TraceReader.fromBytes(bad)).toThrow(/embedded image "rec-O2": its bytes do not match its stored SHA-256/);
  });

  it('header values the rebuilt machine disagrees with are a divergence at the header, never identical', () => {
    const cases: [string, (h: ReturnType<typeof TraceReader.fromBytes>['header']) => void, RegExp][] = [
      ['seed', (h) => (h.seed = 99), /header field seed: recorded 99/],
      ['clock', (h) => (h.cyclesPerUs = 7), /header field cyclesPerUs: recorded 7/],
      ['name', (h) => (h.scenarioName = 'pingpong'), /header field scenarioName: recorded "pingpong"/],
      ['chunking', (h) => (h.buffers.chunkEvents = 4095), /header field buffers/],
    ];
    for (const [what, edit, why] of cases) {
      const r = replayTrace(TraceReader.fromBytes(withEditedHeader(irq, edit)), `${what}.l4t`);
      expect(r.verdict, what).toBe('diverged');
      expect(r.difference!.what, what).toBe('header');
      expect(r.difference!.detail, what).toMatch(why);
    }
  });

  it("a cycle limit beyond the scenario's own is refused", () => {
    expect(() => replayTrace(TraceReader.fromBytes(withEditedHeader(irq, (h) => (h.cycleLimit = h.cycleLimit + 1))), 'l.l4t')).toThrow(/^l\.l4t: the header's cycle limit \d+ is beyond the scenario's own limit/);
  });

  it('crafted scenarios and cost profiles (valid checks) never give anything but a verdict or a one-line user error', () => {
    let state = 12345;
    const rnd = (n: number): number => (state = (state * 1103515245 + 12345) % 2147483648) % n;
    const mutate = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map((x) => (rnd(4) === 0 ? mutate(x) : x));
      if (v && typeof v === 'object') {
        const o = { ...(v as Record<string, unknown>) };
        const keys = Object.keys(o);
        if (keys.length) o[keys[rnd(keys.length)]!] = mutate(o[keys[rnd(keys.length)]!]);
        return o;
      }
      if (typeof v === 'number') return [0, 1, -1, 2 ** 31, 2 ** 53, 1e9, v + 1, v * 7, 0.5][rnd(9)];
      if (typeof v === 'string') return ['', 'x', `${v}x`, 'v2', 'x2', 'native', 'l4linux'][rnd(7)];
      return typeof v === 'boolean' ? !v : v;
    };
    const files = Object.keys(readManifest().recipes);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const f = files[i % files.length]!;
      const crafted = withEditedHeader(golden(f), (h) => {
        if (i % 3 === 2) h.costProfileJson = JSON.stringify(mutate(JSON.parse(h.costProfileJson)));
        else h.scenarioJson = JSON.stringify(mutate(mutate(JSON.parse(h.scenarioJson))));
      });
      const started = Date.now();
      let outcome: string;
      try {
        outcome = replayTrace(TraceReader.fromBytes(crafted), f, { shouldStop: () => (Date.now() - started > 2000 ? 'time' : null) }).verdict;
      } catch (e) {
        if (!(e instanceof UserError)) throw new Error(`${f}, case ${i}: not a user error: ${(e as Error).stack}`);
        outcome = e.constructor.name;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    console.log('crafted headers:', Object.fromEntries(outcomes));
    expect(outcomes.get('TraceContentError')).toBeGreaterThan(100);
  });

  it('another machine version is refused with both versions named, by replay and shrink', () => {
    const old = file('old.l4t', withEditedHeader(golden('signal-race-seed1-hang.l4t'), (h) => (h.machineVersion = MACHINE_VERSION - 1)));
    expect(() => replayTrace(TraceReader.open(old), 'old.l4t')).toThrow(IncompatibleTrace);
    for (const args of [['replay', old], ['shrink', old, '-o', join(dir, 'min.l4t')]]) {
      const r = runCli(args);
      expect(r.code).toBe(1);
      oneLine(r.stderr);
      expect(r.stderr).toContain(`recorded by machine v${MACHINE_VERSION - 1}`);
      expect(r.stderr).toContain(`runs machine v${MACHINE_VERSION}`);
    }
  });
});

describe('costs come from the trace, and the golden guard watches the defaults', () => {
  it('a trace recorded with --set costs.* replays as identical: its costs come from its header', () => {
    const bytes = golden('clients-server-costs.l4t');
    const h = TraceReader.fromBytes(bytes).header;
    expect(JSON.parse(h.costProfileJson).ipcPath).toBe(901);
    expect(JSON.parse(h.costProfileJson).ipcPath).not.toBe(FIASCO_V2.ipcPath);
    expect(replayTrace(TraceReader.fromBytes(bytes), 'clients-server-costs.l4t').verdict).toBe('identical');
  });

  it('a cost default changed in the code: old traces still replay (header costs), and the guard fails until the version is bumped', () => {
    const manifest = readManifest();
    const recipe = manifest.recipes['pingpong-v2.l4t']!;
    const committed = golden('pingpong-v2.l4t');
    const saved = FIASCO_V2.ipcPath;
    try {
      (FIASCO_V2 as { ipcPath: number }).ipcPath = saved + 1; // what editing src/l4/costs.ts does
      expect(replayTrace(TraceReader.fromBytes(committed), 'pingpong-v2.l4t').verdict).toBe('identical');
      const remade = makeGolden(recipe, TraceReader.fromBytes(committed).header.toolVersion, golden);
      expect(Buffer.from(remade).equals(Buffer.from(committed))).toBe(false);
    } finally {
      (FIASCO_V2 as { ipcPath: number }).ipcPath = saved;
    }
    expect(Buffer.from(makeGolden(recipe, TraceReader.fromBytes(committed).header.toolVersion, golden)).equals(Buffer.from(committed))).toBe(true);
  });

  it('comparison runs under another flavour take their profile from the header too', () => {
    const bytes = golden('pingpong-compare.l4t');
    const sides = JSON.parse(TraceReader.fromBytes(bytes).header.sideCostProfilesJson);
    expect(Object.keys(sides)).toEqual(['x2']);
    const edited = frameFile(packetsOf(bytes));
    expect(Buffer.from(edited).equals(Buffer.from(bytes))).toBe(true); // re-framing a valid file changes nothing
    expect(replayTrace(TraceReader.fromBytes(bytes), 'pingpong-compare.l4t').verdict).toBe('identical');
  });
});
