/**
 * Replay debugging sessions (replay/debug): a pass under the step hook reproduces every golden trace
 * (the unfused, instruction-at-a-time interpreter does exactly what the fast one did at record time);
 * reverse-stepi N then stepi N comes back to the same registers and memory; breakpoints, watchpoints
 * and reverse-continue find the recorded instants; ipc-origin and sig-origin land on the lost kick and
 * on the kill of the signal race.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ThreadKind } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { EAX } from '../../src/ia32/cpu.js';
import { DebugSession, type Controller, type Move, type Stop } from '../../replay/debug/session.js';
import { ScriptController } from '../../replay/debug/script.js';
import { registerHex } from '../../replay/gdb/stub.js';
import { GOLDEN_DIR } from '../support/golden.js';

const HANG = join(GOLDEN_DIR, 'signal-race-seed1-hang.l4t');

/** A controller that runs `script` (one function per stop, each choosing the next move). */
function drive(file: string, script: ((s: DebugSession, stop: Stop) => Move)[]): DebugSession {
  const s = new DebugSession(TraceReader.open(file), file);
  let i = 0;
  const c: Controller = { stopped: (sess, stop) => (i < script.length ? script[i++]!(sess, stop) : { kind: 'quit' }) };
  s.serve(c);
  expect(i, 'every step of the script ran').toBe(script.length);
  return s;
}

/** The registers of a thread as gdb reads them, and a digest of all guest memory. */
function state(s: DebugSession, gid: number): string {
  const cpu = s.guestCpu(gid);
  const regs = Array.from({ length: 32 }, (_, n) => registerHex(cpu, n)).join('');
  const mem = createHash('sha1').update(s.kernel!.mem.bytes).digest('hex');
  return `${regs} ${mem} seq ${s.nextSeq} cycle ${s.cycle}`;
}

/** A small deterministic PRNG (the test's own choices, the same in every run). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('replay debugging: a pass under the step hook is the recorded run', () => {
  const files = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.l4t')).sort();
  for (const f of files) {
    it(`${f}: continue to the end reproduces the whole file (footer and final state included)`, () => {
      const reasons: string[] = [];
      const s = drive(join(GOLDEN_DIR, f), [
        (_s, stop) => (reasons.push(stop.reason), { kind: 'continue' }),
        (_s, stop) => (reasons.push(stop.reason), { kind: 'quit' }),
      ]);
      // A run without guest code (model programs only) has no instruction to start before: it starts at its end.
      const guest = TraceReader.open(join(GOLDEN_DIR, f)).threads.some((t) => t.kind === ThreadKind.IA32);
      expect(reasons).toEqual(guest ? ['start', 'end'] : ['end', 'end']);
      expect(s.identical).toBe(true);
      if (!guest) return;
      // Again with a watchpoint (on a page never mapped): every block then runs one instruction at a
      // time, unfused, and the run is still the recorded one, with the same count of instructions.
      const fastCount = s.position;
      const stepped = drive(join(GOLDEN_DIR, f), [
        (t, stop) => (expect(t.addWatchpoint('write', 0x10, 4, stop.thread!)).toBe(true), { kind: 'continue' }),
        (_t, stop) => (expect(stop.reason).toBe('end'), { kind: 'quit' }),
      ]);
      expect(stepped.identical).toBe(true);
      expect(stepped.position).toBe(fastCount);
    });
  }
});

describe('replay debugging: reverse-stepi N then stepi N', () => {
  for (const [name, trials] of [
    ['signal-race-seed1-hang.l4t', 10],
    ['threads-futexpp-shared.l4t', 6],
  ] as const) {
    it(`${name}: returns to identical registers and memory (random N, threads and positions)`, () => {
      const file = join(GOLDEN_DIR, name);
      const reader = TraceReader.open(file);
      // The number of instructions in the run: the position at its end.
      let total = 0;
      drive(file, [() => ({ kind: 'continue' }), (s) => ((total = s.position), { kind: 'quit' })]);
      expect(total).toBeGreaterThan(1000);
      const rnd = prng(name.length * 7919);
      // Positions weighted towards the start, where the threads interleave most (each step back costs a
      // pass from the start, so the positions stay in the first 300,000 instructions).
      const span = Math.min(total, 300_000);
      const plans = Array.from({ length: trials }, () => ({ at: Math.floor(span * rnd() ** 4), n: 1 + Math.floor(rnd() * 12) }));
      const threads = new Set<string>();
      let checked = 0;
      for (const p of plans) {
        let gid = 0;
        let before = '';
        let atBegin = false;
        const script: ((s: DebugSession, stop: Stop) => Move)[] = [
          () => ({ kind: 'goto', ordinal: p.at }),
          (s, stop) => {
            // The instruction the machine stands before is its thread's: that thread goes back and forth.
            gid = stop.thread!;
            threads.add(s.thread(gid)!.name + gid);
            before = state(s, gid);
            return { kind: 'reverse-step', thread: gid };
          },
        ];
        for (let i = 1; i < p.n; i++) script.push(() => ({ kind: 'reverse-step', thread: gid }));
        for (let i = 0; i < p.n; i++)
          script.push((_s, stop) => {
            // Stepping back past the thread's first instruction stays there (replaylog:begin): N forward then overshoots.
            if (stop.reason === 'begin') atBegin = true;
            else expect(stop.reason).toBe('step');
            expect(stop.thread).toBe(gid);
            return { kind: 'step', thread: gid };
          });
        script.push((s, stop) => {
          expect(stop.thread).toBe(gid);
          if (!atBegin) {
            expect(state(s, gid)).toBe(before);
            checked++;
          }
          return { kind: 'quit' };
        });
        const s = new DebugSession(reader, file);
        let i = 0;
        s.serve({ stopped: (sess, stop) => (i < script.length ? script[i++]!(sess, stop) : { kind: 'quit' }) });
        expect(i).toBe(script.length);
      }
      expect(checked).toBeGreaterThanOrEqual(trials - 2);
      expect(threads.size).toBeGreaterThan(1);
    });
  }
});

describe('replay debugging: breakpoints, watchpoints and reverse-continue on the signal race', () => {
  it('a breakpoint in the child loop, a write watchpoint going back to the last write, a read watchpoint forward', () => {
    // The child's loop: `for (;;) x = x * 1103515245u + 12345u;` (sigrace.c), found by running to it.
    let child = 0;
    let xAddr = 0;
    let wrote = '';
    const stops: Stop[] = [];
    drive(HANG, [
      (s) => {
        s.addBreakpoint(0x8049160);
        return { kind: 'continue' };
      },
      (s, stop) => {
        stops.push(stop);
        child = stop.thread!;
        expect(s.thread(child)!.linuxPid).toBe(2);
        // x lives at 44(%esp) (sigrace.c's DWARF: DW_OP_breg4 44): watch it.
        xAddr = (s.guestCpu(child)!.r[4]! + 44) >>> 0;
        return { kind: 'continue' };
      },
      (s, stop) => {
        stops.push(stop);
        s.removeBreakpoint(0x8049160);
        expect(s.addWatchpoint('write', xAddr, 4, child)).toBe(true);
        wrote = Buffer.from(s.readMemory(child, xAddr, 4)!).toString('hex');
        return { kind: 'reverse-continue' };
      },
      (s, stop) => {
        stops.push(stop);
        expect(stop.reason).toBe('watch');
        expect(stop.addr).toBe(xAddr);
        // Standing before the store: x still holds the value before it, and the next step changes it.
        const now = Buffer.from(s.readMemory(child, xAddr, 4)!).toString('hex');
        expect(now).not.toBe(wrote);
        expect(s.removeWatchpoint('write', xAddr, 4)).toBe(true);
        expect(s.addWatchpoint('read', xAddr, 4, child)).toBe(true);
        return { kind: 'continue' };
      },
      (_s, stop) => {
        stops.push(stop);
        expect(stop.reason).toBe('rwatch');
        return { kind: 'quit' };
      },
    ]);
    expect(stops.map((s) => s.reason)).toEqual(['breakpoint', 'breakpoint', 'watch', 'rwatch']);
  });

  it('reverse-continue with nothing behind reports the beginning; continue past everything reports the end', () => {
    const reasons: string[] = [];
    drive(HANG, [
      () => ({ kind: 'reverse-continue' }),
      (_s, stop) => (reasons.push(stop.reason), { kind: 'continue' }),
      (_s, stop) => (reasons.push(stop.reason), { kind: 'continue' }),
      (_s, stop) => (reasons.push(stop.reason), { kind: 'reverse-step', thread: 0x2000001 }),
      (s, stop) => (reasons.push(`${stop.reason} ${s.thread(stop.thread!)?.name}`), { kind: 'quit' }),
    ]);
    expect(reasons).toEqual(['begin', 'end', 'end', 'step sigrace']);
  });
});

describe('replay debugging: ipc-origin and sig-origin on the hung signal race', () => {
  it("ipc-origin from the child's signal thread lands on the kick that failed; sig-origin lands on the kill", () => {
    const reader = TraceReader.open(HANG);
    const script = new ScriptController(['continue', 'thread 11.00', 'sig-origin', 'regs', 'continue', 'thread 11.01', 'ipc-origin', 'seq']);
    new DebugSession(reader, HANG).serve(script);
    const out = Object.fromEntries(script.steps.map((s) => [s.command, s.output.join('\n')]));
    expect(out['continue']).toMatch(/^end: .*the end of the recording/);
    // The kick: the server's send to the signal thread 11.01, which ended with SETIMEOUT.
    expect(out['ipc-origin']).toMatch(/the IPC: #(\d+) \d+ linux-server IPC op=send dst=11\.01v1/);
    expect(out['ipc-origin']).toMatch(/its result: .*IPC_RES pair=#\d+ .*result=SETIMEOUT/);
    const kick = Number(/the IPC: #(\d+)/.exec(out['ipc-origin']!)![1]);
    // Landed before the kick was sent: no later event has been regenerated yet.
    const seq = Number(/^event #(\d+)/.exec(out['seq']!)![1]);
    expect(seq).toBeLessThan(kick);
    // sig-origin: the SIG_SEND to pid 2 and the kill system call of pid 1 that made it.
    expect(out['sig-origin']).toMatch(/the signal: #\d+ .*SIG_SEND from_pid=1 to_pid=2 sig=SIGTERM path=kick kick=SETIMEOUT \(not delivered since\)/);
    expect(out['sig-origin']).toMatch(/sent by: #\d+ .*SYSCALL_ENTER pid=1 nr=kill a0=0x2 a1=0xf/);
    expect(out['sig-origin']).toMatch(/thread sigrace \(l4 10\.00v1, pid 1\)$/);
    // Standing at pid 1's `int $0x80` with kill's number in EAX.
    expect(out['regs']).toMatch(/^eip 0x[0-9a-f]+ eax 0x25 /);
  });

  it('the landing thread of sig-origin is before its int $0x80 (the bytes at EIP are cd 80)', () => {
    const reader = TraceReader.open(HANG);
    let ok = false;
    const script = new ScriptController(['continue', 'thread 11.00', 'sig-origin']);
    const s = new DebugSession(reader, HANG);
    s.serve({
      stopped: (sess, stop) => {
        const move = script.stopped(sess, stop);
        if (move.kind === 'quit' && stop.thread !== null) {
          const cpu = sess.guestCpu(stop.thread)!;
          expect(Array.from(sess.readMemory(stop.thread, cpu.eip, 2)!)).toEqual([0xcd, 0x80]);
          expect(cpu.r[EAX]).toBe(37);
          ok = true;
        }
        return move;
      },
    });
    expect(ok).toBe(true);
  });
});

describe('replay debugging: checkpoints', () => {
  for (const name of ['signal-race-seed1-hang.l4t', 'table2-l4env.l4t', 'shell.l4t']) {
    it(`${name}: moves through parked machines reach the same states as replays from the start`, () => {
      const file = join(GOLDEN_DIR, name);
      const reader = TraceReader.open(file);
      const visit = (checkpointMb: number): { states: string[]; passes: number; pool: number[]; bytes: number; budget: number } => {
        const states: string[] = [];
        let total = 0;
        const s = new DebugSession(reader, file, { checkpointMb });
        const at = (f: number): number => Math.floor(total * f);
        const record = (t: DebugSession, stop: Stop): void => void states.push(`${stop.reason} ${t.position} ${stop.thread} ${state(t, stop.thread!)}`);
        let pool: number[] = [];
        const script: ((t: DebugSession, stop: Stop) => Move)[] = [
          () => ({ kind: 'continue' }),
          (t) => {
            total = t.position;
            t.buildCheckpoints();
            pool = t.pool.positions;
            return { kind: 'goto', ordinal: at(0.8) };
          },
          (t, stop) => (record(t, stop), { kind: 'goto', ordinal: at(0.3) }),
          (t, stop) => (record(t, stop), { kind: 'reverse-step', thread: stop.thread! }),
          (t, stop) => (record(t, stop), { kind: 'goto-seq', seq: Math.floor(reader.lastSeq() * 0.9) }),
          (t, stop) => (record(t, stop), { kind: 'goto', ordinal: at(0.55) }),
          (t, stop) => (record(t, stop), { kind: 'reverse-step', thread: stop.thread! }),
          (t, stop) => (record(t, stop), { kind: 'quit' }),
        ];
        let i = 0;
        s.serve({ stopped: (t, stop) => script[i++]!(t, stop) });
        expect(i).toBe(script.length);
        return { states, passes: s.passes, pool, bytes: s.pool.bytes, budget: s.pool.budget };
      };
      const without = visit(0);
      const withCheckpoints = visit(4096);
      expect(without.pool).toEqual([]);
      // A machine parks at the end of a round: short runs and long rounds give few distinct positions.
      expect(withCheckpoints.pool.length).toBeGreaterThanOrEqual(3);
      expect(withCheckpoints.bytes).toBeLessThanOrEqual(withCheckpoints.budget);
      // The same instants, registers and memory either way; with checkpoints, fewer replays from the start.
      expect(withCheckpoints.states).toEqual(without.states);
      expect(withCheckpoints.passes).toBeLessThan(without.passes);
    });
  }
});
