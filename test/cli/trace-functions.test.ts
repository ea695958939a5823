/**
 * `--trace-functions auto|instrumented|calls|off` on `record` and `run`: stored in the trace's scenario
 * (trace.functions), so `replay` reproduces it from the file alone; record and run default to auto; a
 * bad value is one clear error. Needs `npm run build` (the built CLI).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { ThreadKind } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { runCli, tempDir } from '../support/cli.js';

function oneLineError(stderr: string, ...mentions: string[]): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  for (const m of mentions) expect(stderr).toContain(m);
}

function summary(file: string): { mode: unknown; enters: number; names: Set<string> } {
  const reader = TraceReader.open(file);
  let enters = 0;
  const names = new Set<string>();
  for (const e of reader.events({})) {
    // The guest's functions: the Linux server's kernel functions (model threads) are not the mode's.
    if (e.kind !== Kind.FUNC_ENTER || reader.threads[e.thread]!.kind !== ThreadKind.IA32) continue;
    enters++;
    names.add(reader.string(e.args[0]!));
  }
  const mode = JSON.parse(reader.header.scenarioJson).trace.functions;
  reader.close();
  return { mode, enters, names };
}

describe('--trace-functions', () => {
  const dir = tempDir();

  it('a bad value: one line naming the option, the value and the choices (record and run), exit code 2', () => {
    for (const args of [
      ['record', 'calltrace-plain', '--trace-functions', 'bogus', '-o', join(dir, 'bad.l4t')],
      ['run', 'calltrace-plain', '--trace-functions', 'bogus', '--no-stdin'],
      ['record', 'pingpong', '--trace-functions', 'CALLS', '-o', join(dir, 'bad2.l4t')],
    ]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      oneLineError(r.stderr, '--trace-functions', 'auto, instrumented, calls or off');
      expect(r.stdout).toBe('');
    }
  });

  it('record defaults to auto: a program without hooks gets call-traced functions; replay is identical', () => {
    const f = join(dir, 'auto.l4t');
    const r = runCli(['record', 'calltrace-plain', '-o', f, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const s = summary(f);
    expect(s.mode).toBe('auto');
    expect(s.names).toContain('fib');
    expect(s.names).toContain('printf');
    const rep = runCli(['replay', f]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/identical/);
  });

  it('off, instrumented and calls are recorded as given; score and view read call-traced traces', () => {
    const off = join(dir, 'off.l4t');
    const inst = join(dir, 'inst.l4t');
    const calls = join(dir, 'calls.l4t');
    expect(runCli(['record', 'calltrace-plain', '--trace-functions', 'off', '-o', off, '-q']).code).toBe(0);
    expect(runCli(['record', 'calltrace-plain', '--trace-functions', 'instrumented', '-o', inst, '-q']).code).toBe(0);
    const r = runCli(['run', 'calltrace', '--trace', calls, '--trace-functions', 'calls', '--no-stdin']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 rounds, checksum/);
    expect(summary(off)).toMatchObject({ mode: 'off', enters: 0 });
    expect(summary(inst)).toMatchObject({ mode: 'instrumented', enters: 0 }); // no hooks in a plain build
    const c = summary(calls);
    expect(c.mode).toBe('calls');
    expect(c.names).toContain('on_signal');
    expect(c.names).not.toContain('__cyg_profile_func_enter'); // the hooks stay free and silent
    const rep = runCli(['replay', calls]);
    expect(rep.code, rep.stderr).toBe(0);
    const score = runCli(['score', calls, '--top', '40']);
    expect(score.code, score.stderr).toBe(0);
    expect(score.stdout).toMatch(/^\s*(COM|USR)\s+[\d,]+\s.*\bfib$/m);
    const view = runCli(['view', calls, '-o', join(dir, 'calls.html')]);
    expect(view.code, view.stderr).toBe(0);
  });
});
