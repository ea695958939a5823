/**
 * Random event streams over every event kind and many threads, with the events the reader should
 * return for them. Used by the tracer's property tests; the oracle is computed here independently of
 * the encoder (chunk boundaries follow from chunkEvents alone, so tests set chunkBytes high).
 */
import { Kind, KINDS } from '../../tracer/catalogue.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer, type TracerConfig } from '../../tracer/tracer.js';
import { emptyHeader, ThreadKind } from '../../tracer/packets.js';
import type { TraceEvent } from '../../tracer/reader.js';

export class TestRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x1234567;
  }
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }
}

export interface GeneratedStream {
  bytes: Uint8Array;
  /** Every event emitted, in global order, in decoded form. */
  events: TraceEvent[];
  /** Events per thread, in order. */
  perThread: TraceEvent[][];
  threads: number;
}

function randomValue(rng: TestRng, role: string, seq: number, strings: number[]): number {
  switch (role) {
    case 's': {
      const r = rng.below(4);
      const mag = r === 0 ? rng.below(100) : r === 1 ? rng.below(2 ** 31) : r === 2 ? rng.below(2 ** 52) : 0;
      return rng.below(2) && mag !== 0 ? -mag : mag;
    }
    case 'ref':
      return seq === 0 || rng.below(5) === 0 ? -1 : rng.below(seq);
    case 'str':
      return rng.pick(strings);
    default: {
      const r = rng.below(5);
      if (r === 0) return 0;
      if (r === 1) return rng.below(128);
      if (r === 2) return rng.below(2 ** 32);
      if (r === 3) return rng.below(2 ** 53);
      return rng.below(70000);
    }
  }
}

/**
 * Emit `count` random events on `threads` threads. Every thread gets the tracer's default policy unless
 * `policies` assigns one per thread.
 */
export function generateRandomStream(
  seed: number,
  count: number,
  threads: number,
  config: TracerConfig,
  policies?: { policy: number; capacityChunks: number }[],
): GeneratedStream {
  const rng = new TestRng(seed);
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'random', synthetic: true, cpus: 2 }, config);
  const strings = ['main', 'fib', 'memcpy', 'quicksort', 'nested<fn>', 'ünïcode', 'x'.repeat(300)].map((s) => tracer.intern(s));
  const bufs = [];
  const stacks: number[][] = [];
  const perThread: TraceEvent[][] = [];
  for (let i = 0; i < threads; i++) {
    const p = policies?.[i];
    bufs.push(
      tracer.addThread({
        l4Id: 0x200000 * (i + 2) + 1,
        name: `t${i}`,
        task: i + 2,
        lthread: 0,
        version: 1,
        kind: ThreadKind.SYNTHETIC,
        cpu: i % 2,
        priority: 100,
        ...(p ? { policy: p.policy, capacityChunks: p.capacityChunks } : {}),
      }),
    );
    stacks.push([]);
    perThread.push([]);
  }
  const events: TraceEvent[] = [];
  let time = rng.below(1000);
  const kindIds = KINDS.map((k) => k.id);
  for (let n = 0; n < count; n++) {
    const t = rng.below(3) === 0 ? rng.below(threads) : n % threads;
    // Bursts of equal timestamps are common in a simulator; sometimes jump far.
    const step = rng.below(4);
    time += step === 0 ? 0 : step === 1 ? rng.below(100) : step === 2 ? rng.below(100000) : rng.below(2 ** 40);
    let kind = rng.pick(kindIds);
    const stack = stacks[t]!;
    if (rng.below(2) === 0) kind = stack.length > 0 && rng.below(2) === 0 ? Kind.FUNC_EXIT : Kind.FUNC_ENTER;
    if (kind === Kind.FUNC_EXIT && stack.length === 0) kind = Kind.FUNC_ENTER;
    const spec = KINDS.find((k) => k.id === kind)!;
    const seq = tracer.nextSeq;
    const stored = spec.fields.filter((f) => !f.implicit).map((f) => randomValue(rng, f.role, seq, strings));
    const got = bufs[t]!.emit(kind, time, ...stored);
    if (got !== seq) throw new Error('sequence numbers are not consecutive');
    let args = stored;
    if (kind === Kind.FUNC_ENTER) stack.push(stored[0]!);
    if (kind === Kind.FUNC_EXIT) args = [stack.pop()!];
    const ev: TraceEvent = { seq, time, thread: t, kind, args };
    events.push(ev);
    perThread[t]!.push(ev);
  }
  tracer.finish({ outcome: 1, endTime: time });
  return { bytes: sink.bytes(), events, perThread, threads };
}
