import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceReader } from '../../tracer/reader.js';
import { replayTrace } from '../../replay/replay.js';
import { ddmin, shrinkTrace } from '../../replay/shrink.js';
import { seedList } from '../../replay/sweep.js';
import { ChoiceSite } from '../../src/sim/choices.js';
import { recordInMemory } from '../support/record.js';
import { runCli, tempDir } from '../support/cli.js';

describe('l4trace sweep', () => {
  const dir = tempDir();

  it('finds hanging seeds of signal-race without a fix, saves each as a trace that replays and hangs again', () => {
    const out = join(dir, 'none');
    const r = runCli(['sweep', 'signal-race', '--seeds', '1..24', '-j', '2', '-o', out]);
    expect(r.code).toBe(1); // failures found
    expect(r.stdout).toMatch(/^sweep signal-race seeds 1\.\.24: 24 seeds on 2 workers, \d+ ok, \d+ hang; [\d.]+ seeds\/s/);
    const files = readdirSync(out).filter((f) => f.endsWith('.l4t'));
    const hangs = Number(/(\d+) hang/.exec(r.stdout)![1]);
    expect(hangs).toBeGreaterThan(0);
    expect(files).toHaveLength(hangs);
    for (const f of files.slice(0, 3)) {
      const reader = TraceReader.open(join(out, f));
      expect(reader.footer!.outcome).toBe(3); // hang
      expect(replayTrace(reader, f).verdict).toBe('identical');
    }
  });

  it('finds none with the handshake fix', () => {
    const r = runCli(['sweep', 'signal-race', '--seeds', '1..40', '-j', '2', '-o', join(dir, 'fixed'), '--set', 'signalFix=handshake']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/40 seeds on 2 workers, 40 ok; [\d.]+ seeds\/s/);
  });

  it('--stop-on-failure stops early; --shard i/n (0-based) takes every n-th seed from the i-th', () => {
    const r = runCli(['sweep', 'signal-race', '--seeds', '1..40', '-j', '1', '--stop-on-failure', '-o', join(dir, 'stop')]);
    expect(r.code).toBe(1);
    expect(Number(/: (\d+) seeds on/.exec(r.stdout)![1])).toBeLessThan(40);
    expect(seedList(1, 10, { index: 1, count: 3 })).toEqual([2, 5, 8]);
    expect(seedList(1, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const s = runCli(['sweep', 'pingpong', '--seeds', '1..6', '--shard', '1/3', '-j', '1', '--set', 'rounds=10', '-o', join(dir, 'shard')]);
    expect(s.stdout).toMatch(/seeds 1\.\.6 shard 1\/3: 2 seeds/);
  });

  it('--chaos puts seeded perturbations on the tape, and the saved traces still replay', () => {
    const out = join(dir, 'chaos');
    runCli(['sweep', 'signal-race', '--seeds', '1..6', '-j', '2', '--chaos', '2', '-o', out]);
    const f = readdirSync(out).find((x) => x.endsWith('.l4t'))!;
    const reader = TraceReader.open(join(out, f));
    expect(JSON.parse(reader.header.scenarioJson).chaos).toBe(2);
    expect(reader.tape().sites).toContain(ChoiceSite.CHAOS);
    expect(replayTrace(reader, f).verdict).toBe('identical');
  });

  it('bad ranges and shards are usage errors', () => {
    expect(runCli(['sweep', 'signal-race', '--seeds', '5..1']).code).toBe(2);
    expect(runCli(['sweep', 'signal-race', '--seeds', '1..5', '--shard', '4/3']).code).toBe(2);
    const last = runCli(['sweep', 'signal-race', '--seeds', '1..5', '--shard', '3/3']);
    expect(last.code).toBe(2);
    expect(last.stderr).toMatch(/^l4trace: --shard "3\/3": expected i\/n with 0 <= i < n/);
    const bad = runCli(['sweep', 'nosuch', '--seeds', '1..5']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^l4trace: nosuch: no such file, and not a built-in scenario/);
  });
});

describe('l4trace shrink', () => {
  it('ddmin finds a 1-minimal failing subset', () => {
    const calls: number[][] = [];
    const fails = (s: number[]): boolean => {
      calls.push(s);
      return s.includes(3) && s.includes(7);
    };
    expect(ddmin([1, 2, 3, 4, 5, 6, 7, 8], fails).sort()).toEqual([3, 7]);
  });

  it('reduces a hanging signal-race trace to a handful of choices; the reproducer still hangs and replays', () => {
    let hang: ReturnType<typeof recordInMemory> | null = null;
    for (let seed = 1; !hang; seed++) {
      const r = recordInMemory('signal-race', { seed });
      if (r.result.run.stop.outcome === 'hang') hang = r;
    }
    const reader = hang.reader();
    const result = shrinkTrace(reader, 'hang.l4t');
    expect(result.outcome).toBe('hang');
    expect(result.kept.length).toBeGreaterThan(0);
    expect(result.kept.length).toBeLessThanOrEqual(3);
    expect(result.kept.every((k) => k.site === 'tie')).toBe(true);
    const min = TraceReader.fromBytes(result.bytes);
    expect(min.header.entropy).toBe(2);
    expect(min.footer!.outcome).toBe(3);
    expect(replayTrace(min, 'min.l4t').verdict).toBe('identical');
  });

  it('the CLI writes the reproducer and lists the choices; an ok trace is refused', () => {
    const dir = tempDir();
    const out = join(dir, 'sw');
    runCli(['sweep', 'signal-race', '--seeds', '1..4', '-j', '1', '-o', out]);
    const f = join(out, readdirSync(out).find((x) => x.endsWith('.l4t'))!);
    const r = runCli(['shrink', f, '-o', join(dir, 'min.l4t')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/outcome hang kept with \d of \d+ choices/);
    expect(r.stdout).toMatch(/tape #\d+: tie \d of \d, before event #\d+/);
    expect(runCli(['replay', join(dir, 'min.l4t')]).code).toBe(0);
    const okFile = join(dir, 'ok.l4t');
    runCli(['record', 'signal-race', '--set', 'signalFix=recheck', '-o', okFile]);
    const bad = runCli(['shrink', okFile, '-o', join(dir, 'x.l4t')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/the run ended ok; shrink needs a failing trace/);
  });
});
