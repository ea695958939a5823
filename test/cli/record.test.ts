import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIASCO_V2 } from '../../src/l4/costs.js';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

describe('l4trace record', () => {
  const dir = tempDir();

  it('record pingpong then info reports cycles per round trip for both flavours, intra and inter', () => {
    const out = join(dir, 'pp.l4t');
    const rec = runCli(['record', 'pingpong', '-o', out]);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/outcome ok/);
    const info = runCli(['info', out]);
    expect(info.code).toBe(0);
    for (const f of ['v2.intra', 'v2.inter', 'x2.intra', 'x2.inter']) expect(info.stdout).toMatch(new RegExp(`${f.replace('.', '\\.')}\\.cycles_per_roundtrip\\s+[\\d,]+\\s+cycles`));
    const json = JSON.parse(runCli(['info', out, '--json']).stdout);
    expect(json.metrics['v2.inter.cycles_per_roundtrip']).toEqual({ value: 2 * (FIASCO_V2.syscallEntryExit + FIASCO_V2.ipcPath + FIASCO_V2.asSwitch), unit: 'cycles' });
    expect(json.outcome).toBe('ok');
    expect(json.scenario).toBe('pingpong');
  });

  it('records the same scenario twice into byte-identical files, and a different seed differently', () => {
    const a = join(dir, 'a.l4t');
    const b = join(dir, 'b.l4t');
    const c = join(dir, 'c.l4t');
    for (const [f, seed] of [
      [a, '3'],
      [b, '3'],
      [c, '4'],
    ] as const) {
      expect(runCli(['record', 'clients-server', '-o', f, '--seed', seed, '-q']).code).toBe(0);
    }
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    // Not just the header (which holds the seed): the runs themselves differ, in the dispatch order.
    const switches = (f: string): string => runCli(['dump', f, '--kind', 'CONTEXT_SWITCH']).stdout.replace(/^#\d+ \d+ /gm, '');
    expect(switches(a)).toBe(switches(b));
    expect(switches(a)).not.toBe(switches(c));
  });

  it('a deadlocking scenario file ends with outcome deadlock in the footer and in info', () => {
    const f = join(dir, 'dl.json');
    writeFileSync(f, JSON.stringify({ scenario: 'clients-server', params: { deadlock: true, calls: 2 } }));
    const out = join(dir, 'dl.l4t');
    const rec = runCli(['record', f, '-o', out]);
    expect(rec.code).toBe(0);
    expect(rec.stdout).toMatch(/outcome deadlock/);
    expect(JSON.parse(runCli(['info', out, '--json']).stdout).outcome).toBe('deadlock');
    expect(runCli(['info', out]).stdout).toMatch(/outcome\s+deadlock .* a sending to b; b sending to a/);
  });

  it('--set, --until, --flavour and --entropy os', () => {
    const out = join(dir, 'x.l4t');
    const r = runCli(['record', 'irq', '-o', out, '--set', 'hits=20', '--flavour', 'x2', '--entropy', 'os', '--until', '400000', '-q']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(runCli(['info', out, '--json']).stdout);
    expect(info.flavour).toBe('x2');
    expect(info.entropy).toBe('os');
    expect(info.outcome).toBe('limit');
  });

  it('an invalid scenario file: exit 1, one line naming the field, no output file', () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ scenario: 'pingpong', params: { rounds: -1 } }));
    const out = join(dir, 'never.l4t');
    const r = runCli(['record', f, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.json: params\.rounds: /);
    expect(existsSync(out)).toBe(false);
  });

  it('usage errors exit 2', () => {
    expect(runCli(['record', 'pingpong', '--entropy', 'dice']).code).toBe(2);
    expect(runCli(['record', 'pingpong', '--seed', '-4']).code).toBe(2);
    const r = runCli(['record', 'nosuchthing']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nosuchthing: no such file, and not a built-in scenario/);
  });
});
