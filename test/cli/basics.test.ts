import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIASCO_V2 } from '../../src/l4/costs.js';
import { TraceReader } from '../../tracer/reader.js';
import { runCli, tempDir } from '../support/cli.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** A user-facing error: one line, no stack trace. */
function expectOneLineError(stderr: string, ...mentions: string[]): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  for (const m of mentions) expect(stderr).toContain(m);
}

describe('l4trace command line', () => {
  let dir: string;
  let trace: string;

  beforeAll(() => {
    dir = tempDir();
    trace = join(dir, 'cs.l4t');
    const r = runCli(['record', 'clients-server', '-o', trace, '--set', 'calls=200']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('demo records the built-in scenarios on the machine and summarises them', () => {
    const demoDir = join(dir, 'demo');
    const r = runCli(['demo', '-o', demoDir]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['pingpong.l4t', 'clients-server.l4t', 'irq.l4t', 'signal-race-seed1.l4t', 'signal-race-seed1-handshake.l4t', 'shell.l4t']) expect(existsSync(join(demoDir, f))).toBe(true);
    expect(r.stdout).toMatch(new RegExp(`v2\\.inter\\.cycles_per_roundtrip\\s+${(2 * (FIASCO_V2.syscallEntryExit + FIASCO_V2.ipcPath + FIASCO_V2.asSwitch)).toLocaleString('en-US')}`));
    expect(r.stdout.match(/outcome ok/g)).toHaveLength(5);
    // Every trace is re-executed from the file alone and found identical.
    expect(r.stdout.match(/replay: identical \([\d,]+ events regenerated from the file alone/g)).toHaveLength(6);
    expect(r.stdout).toMatch(/irq\.latency_avg\s+[\d,]+\s+cycles/);
    // The signal race: seed 1 loses the kick and hangs; the handshake fix delivers SIGTERM.
    expect(r.stdout).toMatch(/signal-race-seed1\.l4t: outcome hang/);
    expect(r.stdout).toMatch(/SIG_SEND from_pid=1 to_pid=2 sig=SIGTERM path=kick kick=(SETIMEOUT|ENOT_EXISTENT)/);
    expect(r.stdout).toMatch(/SIG_DELIVER pid=2 sig=SIGTERM handler=0x0 action=terminate/);
    expect(r.stdout).toMatch(/shell\.console_matches\s+1/);
    // The analyzer's answer for the hanging run.
    expect(r.stdout).toMatch(/why did pid 2 not die\?\n.*\n.*\n\s+linux-server\s+1\s+2\s+SIGTERM\s+kick\s+SETIMEOUT\s+never/);
    // And its timeline page.
    expect(r.stdout).toMatch(/the timeline of the race, offline in any browser: file:\/\/.*signal-race-seed1\.html/);
    expect(existsSync(join(demoDir, 'signal-race-seed1.html'))).toBe(true);
  });

  it('--version and --help', () => {
    const v = runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = runCli(['--help']);
    expect(h.code).toBe(0);
    for (const cmd of ['demo', 'info', 'dump']) expect(h.stdout).toContain(cmd);
  });

  it('info --json reports events, threads, kinds, bytes/event, losses, truncation and outcome', () => {
    const r = runCli(['info', trace, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.events).toBeGreaterThan(4000);
    expect(info.threads.map((t: { name: string }) => t.name)).toEqual(['idle/cpu0', 'sigma0', 'roottask', 'server', 'client0', 'client1', 'client2', 'client3']);
    expect(Object.values(info.kinds as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(info.events);
    expect(info.kinds.IPC).toBeGreaterThan(info.kinds.TIMEOUT);
    expect(info.bytesPerEvent).toBeGreaterThan(1);
    expect(info.bytesPerEvent).toBeLessThan(30);
    expect(info.losses).toEqual({ events: 0, chunks: 0, unmatchedExits: 0 });
    expect(info.truncated).toBe(false);
    expect(info.outcome).toBe('ok');
    expect(info.hashes).toBe('ok');
  });

  it('info in text form names the file and the outcome', () => {
    const r = runCli(['info', trace]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(trace);
    expect(r.stdout).toMatch(/outcome\s+ok/);
    expect(r.stdout).toContain('CONTEXT_SWITCH');
  });

  it('dump filters by thread, kind and sequence range, as text and JSON', () => {
    const r = runCli(['dump', trace, '--thread', 'client1', '--kind', 'ipc,IPC_RES', '--from', '1000', '--to', '3000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.length).toBeGreaterThan(10);
    let last = -1;
    for (const e of events) {
      expect(e.threadName).toBe('client1');
      expect(['IPC', 'IPC_RES']).toContain(e.kind);
      expect(e.seq).toBeGreaterThanOrEqual(1000);
      expect(e.seq).toBeLessThanOrEqual(3000);
      expect(e.seq).toBeGreaterThan(last);
      last = e.seq;
    }
    const text = runCli(['dump', trace, '--thread', '5', '--kind', 'IPC_RES', '--limit', '3']);
    expect(text.stdout.trim().split('\n')).toHaveLength(3);
    expect(text.stdout).toMatch(/^#\d+ \d+ client1 IPC_RES pair=#\d+ msg=#\d+ result=ok src=5\.00v1/m);
  });

  it('dump of every event agrees with info', () => {
    const info = JSON.parse(runCli(['info', trace, '--json']).stdout);
    const all = runCli(['dump', trace]);
    expect(all.stdout.trim().split('\n')).toHaveLength(info.events);
  });

  it('a missing file: exit 1, one line naming it', () => {
    const r = runCli(['info', join(dir, 'nope.l4t')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, 'nope.l4t', 'ENOENT');
  });

  it('a file that is not a trace: exit 1, one line naming it and the problem', () => {
    const bogus = join(dir, 'bogus.l4t');
    writeFileSync(bogus, 'hello, I am a text file\n');
    const r = runCli(['dump', bogus]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, 'bogus.l4t', 'not an l4trace file');
  });

  it('a trace cut short: info says so and still reports what it recovered', () => {
    const cut = join(dir, 'cut.l4t');
    const bytes = readFileSync(trace);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = runCli(['info', cut, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.truncated.reason).toMatch(/declares \d+ bytes but only \d+ remain|no footer/);
    expect(info.events).toBeGreaterThan(0);
    expect(info.outcome).toBeNull();
    expect(runCli(['info', cut]).stdout).toContain('CUT SHORT');
    // The tape still counts what its packets hold, and dump --json keeps stdout pure JSON (the note goes to stderr).
    expect(info.choices).toBe(TraceReader.open(cut).tape().sites.length);
    const dump = runCli(['dump', cut, '--json']);
    expect(dump.code).toBe(0);
    for (const line of dump.stdout.trim().split('\n')) JSON.parse(line);
    expectOneLineError(dump.stderr, 'cut.l4t', 'trace cut short');
  });

  it('a damaged event chunk: info names the packet and its offset, shows what can be believed, and exits 1', () => {
    const bytes = Uint8Array.from(readFileSync(trace));
    const reader = TraceReader.open(trace);
    const chunk = reader.chunks[1]!;
    reader.close();
    // Flip a bit in the last byte of a chunk's body: a column value changes, the packet still decodes.
    bytes[chunk.bodyStart + chunk.bodyLength - 1]! ^= 0x01;
    const flipped = join(dir, 'flipped.l4t');
    writeFileSync(flipped, bytes);
    const r = runCli(['info', flipped]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/DAMAGED \(1 problem/);
    expect(r.stdout).toContain(`damaged    packet #${chunk.index} at byte ${chunk.offset.toLocaleString('en-US')}: event chunk packet does not match its checksum`);
    expectOneLineError(r.stderr, 'flipped.l4t', `packet #${chunk.index}, at byte ${chunk.offset}`);
    // Commands that analyse events refuse it, naming the packet, unless told to salvage.
    const d = runCli(['dump', flipped]);
    expect(d.code).toBe(1);
    expectOneLineError(d.stderr, 'flipped.l4t', `does not match its checksum: its bytes were changed (packet #${chunk.index}, at byte ${chunk.offset})`);
    const s = runCli(['dump', flipped, '--salvage']);
    expect(s.code).toBe(0);
    expect(s.stderr).toMatch(/damaged \(packet #\d+, at byte \d+\).*dropped packet #\d+/);
  });

  it('something other than a regular file is refused without opening it (a FIFO would block)', () => {
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const r = runCli(['info', fifo]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, 'fifo', 'not a regular file');
  });

  it('dump tells threads of the same name apart', () => {
    const pp = join(dir, 'pp.l4t');
    expect(runCli(['record', 'pingpong', '--set', 'params.rounds=20', '-o', pp]).code).toBe(0);
    const r = runCli(['dump', pp, '--kind', 'IPC']);
    const names = new Set(r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[2]));
    // One ping per variant (intra, inter, cross), each named with its utid.
    const pings = [...names].filter((n) => n!.startsWith('ping'));
    expect(pings).toHaveLength(3);
    for (const p of pings) expect(p).toMatch(/^ping#\d+$/);
    expect(names.has('roottask')).toBe(true); // a unique name stays bare
  });

  it('usage errors exit 2 with one line', () => {
    const cases: [string[], string][] = [
      [['info'], "missing required argument 'file'"],
      [['info', trace, '--frobnicate'], "unknown option '--frobnicate'"],
      [['frobnicate'], "unknown command 'frobnicate'"],
      [['dump', trace, '--kind', 'BOGUS'], '--kind "BOGUS": unknown event kind'],
      [['dump', trace, '--from', 'ten'], '--from "ten"'],
      [['dump', trace, '--thread', 'nobody'], '--thread "nobody": no such thread'],
      [['dump', trace, '--from', '200', '--to', '100'], '--from 200 --to 100: the range is empty'],
      [['dump', trace, '--to', '99999999999999999999'], 'below 2^53'],
      [['dump', trace, '--limit', 'x'], '--limit "x": expected a number of events'],
    ];
    for (const [args, msg] of cases) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLineError(r.stderr, msg);
    }
    // No command at all: the help goes to stderr in place of one, as a usage error.
    const none = runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: l4trace');
    expect(runCli(['--help']).code).toBe(0);
  });
});
