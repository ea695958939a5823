/**
 * `l4trace replay FILE --gdb`: Debian's gdb against the signal-race trace (break in the child, registers
 * and a variable, a watchpoint and reverse-continue to its last write, reverse-continue back to the fork,
 * the thread list), and the stub under bad input (a second client, malformed packets, memory outside
 * the guest, a port in use, writes to the recorded run). Tests that need gdb skip with a note without it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket } from '../../replay/gdb/packets.js';
import { BIN, runCli, tempDir } from '../support/cli.js';
import { GOLDEN_DIR } from '../support/golden.js';

const HANG = join(GOLDEN_DIR, 'signal-race-seed1-hang.l4t');
const HAVE_GDB = spawnSync('gdb', ['--version']).status === 0;
if (!HAVE_GDB) console.log('note: gdb is not installed: the gdb session test is skipped (.ci/run installs it)');

interface Stub {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  exit: Promise<number>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

/** Start `l4trace replay FILE --gdb 127.0.0.1:0` and wait for the port it got. */
function startStub(file: string, extra: string[] = []): Promise<Stub> {
  const proc = spawn(process.execPath, [BIN, 'replay', file, '--gdb', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(proc);
  let err = '';
  const exit = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve({ proc, port: Number(m[1]), stderr: () => err, exit });
    });
    void exit.then((code) => reject(new Error(`the stub exited (${code}) before listening: ${err}`)));
  });
}

/** A raw protocol client: send bytes, collect what comes back. */
class RawClient {
  private buf = '';
  readonly closed: Promise<void>;
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => (this.buf += d.toString('latin1')));
    this.closed = new Promise((resolve) => sock.on('close', () => resolve()));
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => resolve(new RawClient(sock)));
      sock.on('error', reject);
    });
  }
  send(raw: string | Uint8Array): void {
    this.sock.write(raw);
  }
  /** Send a packet and wait for its reply packet's body. */
  async request(body: string): Promise<string> {
    this.send(encodePacket(body));
    return this.reply();
  }
  /** The next `$…#xx` packet that arrives (acks before it dropped). */
  async reply(timeoutMs = 20_000): Promise<string> {
    const start = Date.now();
    for (;;) {
      const m = /\$([^#]*)#[0-9a-f]{2}/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m.index + m[0].length);
        return m[1]!;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`no reply; got ${JSON.stringify(this.buf)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  /** Bytes that arrived and were not taken as a reply. */
  get pending(): string {
    return this.buf;
  }
}

describe('l4trace replay --gdb: a scripted session with gdb on the signal race', () => {
  it.skipIf(!HAVE_GDB)('break in the child, registers and x, watch and reverse-continue, back to the fork, the threads', async () => {
    const dir = tempDir();
    expect(runCli(['images', HANG, '-o', join(dir, 'img')]).code).toBe(0);
    const stub = await startStub(HANG, ['--images', join(dir, 'img')]);
    const script = join(dir, 'session.gdb');
    writeFileSync(
      script,
      [
        'set pagination off',
        'set confirm off',
        `target remote 127.0.0.1:${stub.port}`,
        'echo ==threads-at-start==\\n',
        'info threads',
        'break sigrace.c:22',
        'continue',
        'echo ==in-child==\\n',
        'info registers eip',
        'print x',
        'print $eax',
        'stepi',
        'stepi',
        'stepi',
        'stepi',
        'print x',
        'watch -l x',
        'reverse-continue',
        'echo ==watch-back==\\n',
        'print x',
        'delete',
        'break fork',
        'reverse-continue',
        'echo ==at-fork==\\n',
        'bt',
        'info threads',
        'monitor seq',
        'reverse-stepi',
        'stepi',
        'echo ==divert==\\n',
        'set var $eax = 1234',
        'print $eax',
        'reverse-stepi',
        'print $eax',
        'echo ==end==\\n',
        'kill',
      ].join('\n') + '\n',
    );
    const r = spawnSync('gdb', ['-nx', '-batch', '-x', script, join(dir, 'img', 'sigrace')], { encoding: 'utf8', timeout: 120_000 });
    const out = r.stdout + r.stderr;
    const part = (name: string): string => out.split(`==${name}==`)[1] ?? '';
    // At the start only the parent and the model threads exist; the model threads have no registers.
    expect(part('threads-at-start')).toMatch(/Thread \d+ \(l4 10\.00v1, pid 1, sigrace, \w+\)/);
    expect(part('threads-at-start')).toMatch(/l4 5\.00v1, linux-server, model code, receiving, no registers/);
    expect(part('threads-at-start')).not.toMatch(/pid 2/);
    // The breakpoint is hit in the child (pid 2), at the loop of sigrace.c.
    expect(out).toMatch(/hit Breakpoint 1, main \(argc=2, argv=0x[0-9a-f]+\) at programs\/sigrace\.c:22/);
    expect(part('in-child')).toMatch(/eip\s+0x8049160\s+0x8049160 <main\+352>/);
    expect(part('in-child')).toMatch(/\$1 = 1\n/);
    // The watchpoint going back: stopped at the store that last changed x, with the value before it.
    expect(part('in-child')).toMatch(/Hardware watchpoint 2: -location x/);
    const xAfter = /\$3 = (\d+)/.exec(part('in-child'))?.[1];
    expect(xAfter).toBeDefined();
    expect(out).toMatch(/hit Hardware watchpoint 2: -location x\s+Old value = \d+\s+New value = \d+/);
    const xBack = /\$4 = (\d+)/.exec(part('watch-back'))?.[1];
    expect(xBack).toBeDefined();
    expect(xBack).not.toBe(xAfter);
    // Back to the fork: the parent's call, before the child existed.
    expect(part('watch-back')).toMatch(/Switching to Thread \d+/);
    expect(part('watch-back')).toMatch(/hit Breakpoint 3, 0x[0-9a-f]+ in fork \(\)/);
    expect(part('at-fork')).toMatch(/#1 +0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at programs\/sigrace\.c:15/);
    expect(part('at-fork')).toMatch(/\* \d+ +Thread \d+ \(l4 10\.00v1, pid 1, sigrace, \w+\)\s+0x[0-9a-f]+ in fork \(\)/);
    expect(part('at-fork')).not.toMatch(/pid 2/);
    expect(part('at-fork')).toMatch(/event #\d+ \(next #\d+\), cycle \d+, instruction \d+, thread sigrace \(l4 10\.00v1, pid 1\)/);
    // A register write changes the run (a diversion); going back returns to the recording where it was changed.
    const divert = out.split('==divert==')[1]?.split('==end==')[0] ?? '';
    expect(divert).toMatch(/\$\d+ = 1234\n/);
    const after = [...divert.matchAll(/\$\d+ = (-?\d+)/g)].map((m) => m[1]);
    expect(after).toHaveLength(2);
    expect(after[1]).not.toBe('1234');
    expect(await stub.exit).toBe(0);
    expect(stub.stderr()).toMatch(/gdb changed the replay/);
  });
});

describe('l4trace replay --gdb: bad input', () => {
  it('malformed packets, memory outside the guest, writes, a second client: answered or refused, never a crash', async () => {
    const stub = await startStub(HANG);
    const c = await RawClient.connect(stub.port);
    expect(await c.request('?')).toMatch(/^T05thread:[0-9a-f]+;$/);
    // Garbage outside packets and a bad checksum: the stub asks again ('-') and goes on.
    c.send('hello');
    c.send('$g#00');
    for (let i = 0; i < 500 && !c.pending.includes('-'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.pending).toContain('-');
    // A packet far over the size limit is dropped whole.
    c.send(`$${'m'.repeat(0x9000)}#00`);
    expect(await c.request('qAttached')).toBe('1');
    // Memory outside the guest's address space, or a wrapped range: errors, not data.
    expect(await c.request('m0,4')).toBe('E14');
    expect(await c.request('mfffff000,100')).toBe('E14');
    expect(await c.request('mzz,4')).toBe('E01');
    // Memory the guest has: its bytes (the first instruction, at _start, is mapped: it is about to run).
    expect(await c.request('m8049190,4')).toMatch(/^[0-9a-f]{8}$/);
    // Writes: memory outside the guest is an error; segment and x87 registers cannot be changed.
    expect(await c.request('M8048000,1:00')).toBe('E14');
    expect(await c.request('Mzz,1:00')).toBe('E01');
    expect(await c.request('G' + '00'.repeat(176))).toMatch(/^E\./);
    expect(await c.request('P10=' + '11'.repeat(10))).toMatch(/^E\./);
    // Unknown packets get the empty reply; a bad thread is an error.
    expect(await c.request('qNoSuchThing')).toBe('');
    expect(await c.request('Hg123456')).toBe('E01');
    expect(await c.request('Z2,0,4')).toBe('OK');
    // A second client while the first is connected is closed at once.
    const second = await RawClient.connect(stub.port);
    await second.closed;
    expect(stub.stderr()).toMatch(/refused a second gdb client/);
    // The first still works; vKill ends the session and the process.
    expect(await c.request('qfThreadInfo')).toMatch(/^m[0-9a-f,]+$/);
    expect(await c.request('vKill;1')).toBe('OK');
    expect(await stub.exit).toBe(0);
    expect(stub.stderr()).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it('Ctrl-C while the replay runs stops it (SIGINT) where it is, and the session goes on', async () => {
    const stub = await startStub(HANG);
    const c = await RawClient.connect(stub.port);
    expect(await c.request('?')).toMatch(/^T05thread:/);
    // A watchpoint makes every instruction a step: the run to the end takes long enough to interrupt.
    expect(await c.request('Z2,10,4')).toBe('OK');
    c.send(encodePacket('vCont;c'));
    c.send(new Uint8Array([3]));
    const stop = await c.reply();
    expect(stop).toMatch(/^T02thread:[0-9a-f]+;$/);
    const seq = await c.request('qRcmd,' + Buffer.from('seq').toString('hex'));
    expect(seq).toMatch(/^O/);
    expect(Buffer.from(seq.slice(1), 'hex').toString()).toMatch(/^event #\d+ \(next #\d+\), cycle \d+, instruction [1-9]\d*/);
    expect(await c.reply()).toBe('OK');
    expect(await c.request('vKill;1')).toBe('OK');
    expect(await stub.exit).toBe(0);
  });

  it('a port in use, a bad address and --images without --gdb are refused with one line', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = runCli(['replay', HANG, '--gdb', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      blocker.close();
    }
    const bad = runCli(['replay', HANG, '--gdb', 'nowhere:99999']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--gdb "nowhere:99999": expected PORT or HOST:PORT/);
    const model = runCli(['replay', join(GOLDEN_DIR, 'clients-server-seed3.l4t'), '--gdb', '0']);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/no guest \(IA32\) code for gdb/);
    const images = runCli(['replay', HANG, '--images', '/tmp']);
    expect(images.code).toBe(2);
    expect(images.stderr).toMatch(/--images goes with --gdb/);
  });

  it('a damaged trace is refused before anything listens', () => {
    const dir = tempDir();
    const f = join(dir, 'bad.l4t');
    writeFileSync(f, 'not a trace at all');
    const r = runCli(['replay', f, '--gdb', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.l4t/);
    expect(r.stderr).not.toMatch(/listening/);
  });
});

describe('l4trace replay --monitor', () => {
  it('runs the commands and prints what each says; a bad command says so and the rest still run', () => {
    const r = runCli(['replay', HANG, '--monitor', 'goto-seq 172; events 1; frobnicate; continue; thread 11.00; sig-origin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(replay\) goto-seq 172\nafter event #172\nat: event #\d+/);
    expect(r.stdout).toMatch(/--> here/);
    expect(r.stdout).toMatch(/\(replay\) frobnicate\nerror: unknown monitor command "frobnicate"/);
    expect(r.stdout).toMatch(/the signal: #\d+ .*SIG_SEND from_pid=1 to_pid=2 sig=SIGTERM/);
    // goto-cycle stands at the first instruction at or after the cycle; inspect shows the machine there.
    const g = runCli(['replay', HANG, '--monitor', 'goto-cycle 5000000; inspect; goto-seq 99999; checkpoints']);
    expect(g.code).toBe(0);
    const cycle = Number(/at: event #\d+ \(next #\d+\), cycle (\d+)/.exec(g.stdout)?.[1]);
    expect(cycle).toBeGreaterThanOrEqual(5_000_000);
    expect(cycle).toBeLessThan(5_000_100);
    expect(g.stdout).toMatch(/\(replay\) inspect\n[\s\S]*linux-server/);
    expect(g.stdout).toMatch(/\(replay\) goto-seq 99999\nerror: the trace's last event is #\d+/);
    expect(g.stdout).toMatch(/\(replay\) checkpoints\n\d+ checkpoint\(s\)/);
    // A file cut short replays to where it was cut, checked as far as it goes.
    const dir = tempDir();
    const race = readFileSync(HANG);
    writeFileSync(join(dir, 'cut.l4t'), race.subarray(0, race.length - 4360));
    const cut = runCli(['replay', join(dir, 'cut.l4t'), '--monitor', 'continue; reverse-stepi']);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stdout).toMatch(/\(replay\) continue\nend: /);
    expect(cut.stdout).toMatch(/\(replay\) reverse-stepi\nstep: event #\d+/);
    const j = runCli(['replay', HANG, '--monitor', 'seq', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ steps: [{ command: 'seq', output: [expect.stringMatching(/^event #\d+ \(next #\d+\), cycle \d+, instruction 0/)] }] });
  });
});
