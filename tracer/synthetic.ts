/**
 * Synthetic event streams with the shape of real runs, for benchmarks, format tests and demos. Not
 * the machine: a small seeded generator of plausible function-call and IPC traffic. Deterministic:
 * the same options give the same calls on the tracer, hence the same bytes.
 */
import { Kind, makeGid } from './catalogue.js';
import { ThreadKind } from './packets.js';
import type { ThreadBuffer } from './thread-buffer.js';
import type { Tracer } from './tracer.js';

export type SyntheticProfile = 'function-heavy' | 'ipc-heavy' | 'mixed';

export interface SyntheticOptions {
  profile: SyntheticProfile;
  /** Approximate number of events to generate (the generator stops at the first round past it). */
  events: number;
  threads?: number;
  seed?: number;
  /** Distinct function names. */
  functions?: number;
}

/** xorshift32: a tiny PRNG private to the generator (the machine has its own streams in src/sim). */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x;
  }
  below(n: number): number {
    return this.next() % n;
  }
  /** Skewed pick in [0, n): low indices much more likely (like hot functions). */
  skewed(n: number): number {
    const a = this.below(n);
    const b = this.below(n);
    return Math.min(a, b, this.below(n));
  }
}

interface SynthThread {
  buf: ThreadBuffer;
  gid: number;
  depth: number;
}

/** Generates events on `tracer`; returns the final time in cycles. */
export function generateSynthetic(tracer: Tracer, opts: SyntheticOptions): number {
  const rng = new Rng(opts.seed ?? 1);
  const nFuncs = opts.functions ?? 160;
  const funcs: number[] = [];
  for (let i = 0; i < nFuncs; i++) funcs.push(tracer.intern(`fn_${i.toString().padStart(3, '0')}`));
  const nThreads = Math.max(2, opts.threads ?? 4);
  const threads: SynthThread[] = [];
  for (let i = 0; i < nThreads; i++) {
    const task = 0x10 + i;
    const gid = makeGid(task, 0, 1);
    const buf = tracer.addThread({ l4Id: gid, name: `synth${i}`, task, lthread: 0, version: 1, kind: ThreadKind.SYNTHETIC, cpu: 0, priority: 100, taskName: `task${i}` });
    threads.push({ buf, gid, depth: 0 });
  }
  const irqGid = makeGid(0, 0, 1);
  const irq = tracer.addThread({ l4Id: irqGid, name: 'irq0', task: 0, lthread: 0, version: 1, kind: ThreadKind.IRQ, cpu: 0, priority: 200 });
  const state = { time: 1000, emitted: 0 };
  const start = tracer.nextSeq;
  const done = (): boolean => tracer.nextSeq - start >= opts.events;

  let cur = 0;
  while (!done()) {
    const t = threads[cur]!;
    if (opts.profile === 'function-heavy') {
      burstOfCalls(rng, t, funcs, state, 500 + rng.below(3000));
    } else if (opts.profile === 'ipc-heavy') {
      ipcRound(rng, t, threads, funcs, state);
    } else {
      burstOfCalls(rng, t, funcs, state, 50 + rng.below(400));
      ipcRound(rng, t, threads, funcs, state);
    }
    if (rng.below(8) === 0) {
      const raise = irq.emit(Kind.IRQ_RAISE, state.time, 0, 0, 0);
      state.time += 40;
      irq.emit(Kind.IRQ_DELIVER, state.time, 0, threads[0]!.gid, raise, t.gid);
    }
    const next = (cur + 1 + rng.below(nThreads - 1)) % nThreads;
    t.buf.emit(Kind.CONTEXT_SWITCH, state.time, 0, threads[next]!.gid, 3, 1, 100, 100);
    state.time += 150;
    cur = next;
  }
  // Close open calls so every thread ends balanced.
  for (const t of threads) {
    while (t.depth > 0) {
      state.time += 1 + rng.below(20);
      t.buf.emit(Kind.FUNC_EXIT, state.time);
      t.depth--;
    }
  }
  return state.time;
}

/** Nested function calls with short bodies, as -finstrument-functions code produces. */
function burstOfCalls(rng: Rng, t: SynthThread, funcs: number[], state: { time: number }, n: number): void {
  for (let i = 0; i < n; i++) {
    // Leaf-heavy body lengths: mostly a few dozen cycles, sometimes a loop of hundreds.
    state.time += rng.below(8) === 0 ? 60 + rng.below(400) : 3 + rng.below(60);
    const enter = t.depth === 0 || (t.depth < 24 && rng.below(100) < 50);
    if (enter) {
      t.buf.funcEnter(state.time, funcs[rng.skewed(funcs.length)]!);
      t.depth++;
    } else {
      t.buf.emit(Kind.FUNC_EXIT, state.time);
      t.depth--;
    }
  }
}

/** One client call to a server thread and its reply, with the switches in between. */
function ipcRound(rng: Rng, client: SynthThread, threads: SynthThread[], funcs: number[], state: { time: number }): void {
  const server = threads[(threads.indexOf(client) + 1) % threads.length]!;
  const w0 = rng.below(1 << 16);
  state.time += 20 + rng.below(100);
  const call = client.buf.emit(Kind.IPC, state.time, 4, server.gid, 0, 0, 0, w0, 0, 0, 2, 0);
  client.buf.emit(Kind.CONTEXT_SWITCH, state.time + 5, 0, server.gid, 5, 3, 100, 100);
  state.time += 120;
  const wait = server.buf.emit(Kind.IPC, state.time, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  server.buf.emit(Kind.IPC_RES, state.time + 2, wait, call, 0, client.gid, w0, 0, 0, 2);
  state.time += 10;
  const work = 2 + rng.below(6);
  for (let i = 0; i < work; i++) {
    state.time += 10 + rng.below(50);
    server.buf.funcEnter(state.time, funcs[rng.skewed(funcs.length)]!);
    state.time += 10 + rng.below(80);
    server.buf.emit(Kind.FUNC_EXIT, state.time);
  }
  state.time += 30;
  // The reply is a send of its own (with its result), so every IPC of the server closes: a reply_wait
  // here would stay open until the next round's wait and nest without end.
  const reply = server.buf.emit(Kind.IPC, state.time, 1, client.gid, 0, 0, 0, w0 + 1, 0, 0, 2, 0);
  server.buf.emit(Kind.IPC_RES, state.time + 2, reply, 0, 0, 0, 0, 0, 0, 0);
  server.buf.emit(Kind.CONTEXT_SWITCH, state.time + 5, 0, client.gid, 5, 3, 100, 100);
  state.time += 120;
  client.buf.emit(Kind.IPC_RES, state.time, call, reply, 0, server.gid, w0 + 1, 0, 0, 2);
  if (rng.below(4) === 0) client.buf.emit(Kind.SCHED, state.time, 1, client.gid, 100, 10000 - rng.below(5000), 10000);
}
