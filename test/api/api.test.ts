/**
 * The library API (src/api, the package's entry module): machines from a scenario name, a scenario
 * object or an ELF; recording to memory and to a file; typed events; replay; SQL; exports; the viewer
 * page; the LKL-style LinuxProgram; one-line errors naming the input; and the examples type-check and run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  analyze,
  exportTrace,
  KIND_NAMES,
  kindFields,
  LinuxProgram,
  machine,
  O,
  openTrace,
  programMachine,
  record,
  replay,
  scenarioNames,
  start,
  UserError,
  writeViewer,
} from '../../src/api/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'l4trace-api-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('library API', () => {
  it('a recording stepped by the caller in small slices is the same trace as one recorded in one go', async () => {
    const m = machine('signal-race', { seed: 1 });
    const whole = await record(m);
    const run = start(m);
    let r = null;
    let last = -1;
    let steps = 0;
    while ((r = run.step(5_000)) === null) {
      expect(run.now).toBeGreaterThanOrEqual(last);
      last = run.now;
      steps++;
    }
    expect(steps).toBeGreaterThan(3); // a 10 M-cycle run in rounds of about a million cycles
    expect(r.outcome).toBe(whole.outcome);
    expect(Buffer.from(r.bytes!).equals(Buffer.from(whole.bytes!))).toBe(true);
    expect(run.step(1)).toBe(r); // an ended run stays ended
  });

  it('records signal-race to memory, opens it as typed events, replays it identically and queries it', async () => {
    expect(scenarioNames()).toContain('signal-race');
    expect(KIND_NAMES).toContain('SIG_SEND');
    expect(kindFields('SYSCALL_ENTER')).toEqual(['pid', 'nr', 'a0', 'a1', 'a2']);
    const rec = await record(machine('signal-race', { seed: 1 }));
    expect(rec.file).toBeNull();
    expect(rec.bytes!.length).toBeGreaterThan(1000);
    // Seed 1 loses the kick (the seed document's race): the SIGTERM's kick times out.
    const t = rec.open();
    const sends = [...t.events({ kinds: ['SIG_SEND'] })];
    expect(sends).toHaveLength(1);
    expect(sends[0]!.fields).toMatchObject({ from_pid: 1, to_pid: 2, sig: 'SIGTERM', path: 'kick', kick: 'SETIMEOUT' });
    expect(t.format(sends[0]!)).toContain('SIG_SEND from_pid=1 to_pid=2 sig=SIGTERM');
    expect(t.scenario.scenario).toBe('signal-race');
    expect(t.outcome).toBe(rec.outcome);
    let n = 0;
    let last = -1;
    for (const e of t.events()) {
      expect(KIND_NAMES).toContain(e.kind);
      expect(e.seq).toBeGreaterThan(last);
      last = e.seq;
      n++;
    }
    expect(n).toBe(rec.events);
    t.close();
    const r = replay(rec.bytes!);
    expect(r).toMatchObject({ verdict: 'identical', identical: true, difference: null, events: rec.events, choices: rec.choices });
    const db = await analyze(rec.bytes!);
    try {
      const [row] = await db.query("select count(*) as n from signal where sig = 15");
      expect(row).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('a scenario object with --set assignments, recorded to a file, gives the same trace as the same spec by name', async () => {
    const a = join(tmp, 'a.l4t');
    const rec = await record(machine({ scenario: 'signal-race', seed: 1 }, { set: ['signalFix=handshake'] }), a);
    expect(rec.file).toBe(a);
    const b = await record(machine('signal-race', { seed: 1, set: ['signalFix=handshake'] }));
    expect(new Uint8Array(readFileSync(a))).toEqual(b.bytes);
    const t = openTrace(a);
    // The handshake fix: the kick is not lost.
    expect([...t.events({ kinds: ['SIG_SEND'] })].map((e) => e.fields.kick)).not.toContain('SETIMEOUT');
    t.close();
    expect(replay(a).identical).toBe(true);
  });

  it('exports Perfetto, Chrome JSON and Parquet, and writes the viewer page', async () => {
    const rec = await record(machine('pingpong'), join(tmp, 'pp.l4t'));
    await exportTrace(rec.file!, 'perfetto', join(tmp, 'pp.pftrace'));
    await exportTrace(rec.file!, 'chrome-json', join(tmp, 'pp.json'));
    await exportTrace(rec.file!, 'parquet', join(tmp, 'pp-parquet'));
    expect(readFileSync(join(tmp, 'pp.pftrace')).length).toBeGreaterThan(100);
    expect(JSON.parse(readFileSync(join(tmp, 'pp.json'), 'utf8'))).toBeTruthy();
    expect(existsSync(join(tmp, 'pp-parquet'))).toBe(true);
    const page = await writeViewer(rec.file!, join(tmp, 'pp.html'));
    expect(page.bytes).toBeGreaterThan(1000);
    expect(readFileSync(join(tmp, 'pp.html'), 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('LinuxProgram: the host lists system calls, the Linux personality runs them as init, the trace shows each with its result', async () => {
    const p = new LinuxProgram();
    p.write(1, 'hi\n');
    const pid = p.getpid();
    const fd = p.open('/etc/hosts');
    p.read(fd, 9);
    p.close(fd);
    p.open('/no/such/file');
    const out = p.open('/tmp/x', O.WRONLY | O.CREAT);
    p.write(out, 'abc');
    p.fork((c) => {
      c.write(1, 'child\n');
      c.exit(5);
    });
    p.waitpid(-1);
    p.kill(pid, 0);
    p.exit(3);
    expect(() => p.getpid()).toThrow(/already exited/);
    let console = '';
    const rec = await record(programMachine(p.elf(), { name: 'calls', console: (_fd, d) => (console += Buffer.from(d).toString()) }));
    expect(rec.outcome).toBe('ok');
    expect(rec.detail).toContain('status 3');
    expect(console).toBe('hi\nchild\n');
    const t = rec.open();
    const calls = [...t.events({ kinds: ['SYSCALL_EXIT'] })].map((e) => `${e.fields.pid} ${e.fields.nr}=${e.fields.ret}`);
    expect(calls).toEqual(['1 write=3', '1 getpid=1', '1 open=3', '1 read=9', '1 close=0', '1 open=-2', '1 open=3', '1 write=3', '1 fork=2', '2 write=6', '1 waitpid=2', '1 kill=0']);
    expect([...t.events({ kinds: ['TASK_NEW'] })].length).toBeGreaterThan(0);
    t.close();
    expect(replay(rec.bytes!).identical).toBe(true);
  });

  it('errors are one line naming the input', async () => {
    expect(() => machine('no-such-scenario')).toThrow(UserError);
    expect(() => machine('no-such-scenario')).toThrow(/^no-such-scenario: no such file, and not a built-in scenario/);
    expect(() => machine({ scenario: 'signal-race', params: { bogus: 1 } })).toThrow(/^scenario signal-race: /);
    const junk = join(tmp, 'junk.l4t');
    writeFileSync(junk, 'not a trace');
    expect(() => openTrace(junk)).toThrow(new RegExp(`^${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not an l4trace file`));
    await expect(analyze(join(tmp, 'missing.l4t'))).rejects.toThrow(/missing\.l4t: no such file$/);
    await expect(exportTrace(junk, 'svg' as never, join(tmp, 'x'))).rejects.toThrow(/^export format "svg": unknown/);
    for (const e of [() => machine('no-such-scenario'), () => openTrace(junk)]) {
      try {
        e();
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });

  it('the examples type-check (tsc on examples/) and run against the built package', () => {
    expect(existsSync(join(ROOT, 'dist/src/api/index.d.ts')), 'run npm run build first').toBe(true);
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'examples/tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const a = spawnSync(process.execPath, [join(ROOT, 'dist/examples/record-replay-query.js'), join(tmp, 'example')], { encoding: 'utf8', cwd: tmp });
    expect(a.stderr).toBe('');
    expect(a.stdout).toContain('SIG_SEND');
    expect(a.stdout).toContain('replay: identical');
    expect(a.stdout).toMatch(/signals: 1\n/);
    const b = spawnSync(process.execPath, [join(ROOT, 'dist/examples/linux-syscalls.js')], { encoding: 'utf8', cwd: tmp });
    expect(b.stderr).toBe('');
    expect(b.stdout).toContain('hello from the host\\nhello from the child\\n');
    expect(b.stdout).toMatch(/pid 1 fork +=\s*2 +kernel: .*do_fork.*TASK_NEW/);
    expect(b.stdout).toMatch(/pid 2 getpid += 2/);
    expect(b.stdout).toContain('replay: identical');
  }, 120_000);
});
