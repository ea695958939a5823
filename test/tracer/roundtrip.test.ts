import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { BufferPolicy, emptyHeader, Outcome, ThreadKind } from '../../tracer/packets.js';
import { generateSynthetic } from '../../tracer/synthetic.js';
import { TraceReader, type TraceEvent } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { Tracer } from '../../tracer/tracer.js';
import { generateRandomStream, TestRng } from '../support/random-stream.js';

const CHUNK = 37; // small and odd, so streams span many chunks and boundaries fall everywhere
const BIG = 1 << 24; // chunkBytes large enough (the format's limit, tracer/limits.ts) that only the event count seals chunks

function readAll(bytes: Uint8Array): { reader: TraceReader; events: TraceEvent[] } {
  const reader = TraceReader.fromBytes(bytes, { strict: true });
  return { reader, events: [...reader.events()] };
}

/** What a thread's buffer keeps under a policy, given chunks of CHUNK events. */
function retained(events: TraceEvent[], policy: number, capacity: number): TraceEvent[] {
  const chunks: TraceEvent[][] = [];
  for (let i = 0; i < events.length; i += CHUNK) chunks.push(events.slice(i, i + CHUNK));
  if (policy === BufferPolicy.DISCARD) return chunks.slice(0, capacity).flat();
  if (policy === BufferPolicy.OVERWRITE) return chunks.slice(Math.max(0, chunks.length - capacity)).flat();
  return events;
}

describe('round trip of random event streams', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`flush policy, seed ${seed}: every event comes back, in global order`, () => {
      const s = generateRandomStream(seed, 3000, 1 + (seed % 7) * 3, { chunkEvents: CHUNK, chunkBytes: BIG });
      const { reader, events } = readAll(s.bytes);
      expect(events).toEqual(s.events);
      expect(reader.truncated).toBeUndefined();
      expect(reader.footer!.events).toBe(3000);
      expect(reader.footer!.eventsLost).toBe(0);
    });
  }

  for (const [name, policy] of [
    ['discard', BufferPolicy.DISCARD],
    ['overwrite', BufferPolicy.OVERWRITE],
  ] as const) {
    for (const seed of [11, 12, 13, 14]) {
      it(`${name} policy, seed ${seed}: exactly the retained chunks come back and losses are exact`, () => {
        const rng = new TestRng(seed);
        const threads = 5 + (seed % 4);
        const policies = Array.from({ length: threads }, () => ({ policy, capacityChunks: 1 + rng.below(6) }));
        const s = generateRandomStream(seed, 4000, threads, { chunkEvents: CHUNK, chunkBytes: BIG }, policies);
        const { reader, events } = readAll(s.bytes);
        const expected = s.perThread.flatMap((evs, t) => retained(evs, policy, policies[t]!.capacityChunks)).sort((a, b) => a.seq - b.seq);
        expect(events).toEqual(expected);
        const footer = reader.footer!;
        expect(footer.events).toBe(4000);
        expect(footer.eventsLost).toBe(4000 - expected.length);
        for (const t of footer.threads) {
          const all = s.perThread[t.thread]!.length;
          const kept = retained(s.perThread[t.thread]!, policy, policies[t.thread]!.capacityChunks).length;
          expect(t.events).toBe(all);
          expect(t.eventsLost).toBe(all - kept);
          expect(t.chunks).toBe(Math.ceil(all / CHUNK));
          expect(t.chunksLost).toBe(Math.max(0, Math.ceil(all / CHUNK) - policies[t.thread]!.capacityChunks));
        }
      });
    }
  }

  it('mixed policies in one trace, with chunks sealed by byte size too', () => {
    const policies = [
      { policy: BufferPolicy.FLUSH, capacityChunks: 0 },
      { policy: BufferPolicy.DISCARD, capacityChunks: 2 },
      { policy: BufferPolicy.OVERWRITE, capacityChunks: 2 },
    ];
    const s = generateRandomStream(99, 5000, 3, { chunkEvents: 500, chunkBytes: 256 }, policies);
    const { reader, events } = readAll(s.bytes);
    // Flush thread: complete. Others: a subset of their events, and the footer accounts for the rest.
    expect(events.filter((e) => e.thread === 0)).toEqual(s.perThread[0]);
    for (const t of [1, 2]) {
      const got = events.filter((e) => e.thread === t);
      const all = s.perThread[t]!;
      const summary = reader.footer!.threads[t]!;
      expect(got.length + summary.eventsLost).toBe(all.length);
      expect(summary.chunksLost).toBeGreaterThan(0);
      // discard keeps a prefix, overwrite a suffix
      if (t === 1) expect(got).toEqual(all.slice(0, got.length));
      else expect(got).toEqual(all.slice(all.length - got.length));
    }
  });

  it('many threads, long sequence gaps and huge time jumps', () => {
    const s = generateRandomStream(7, 6000, 64, { chunkEvents: 5, chunkBytes: BIG });
    const { events } = readAll(s.bytes);
    expect(events).toEqual(s.events);
  });
});

describe('canonical encoding', () => {
  it('the same stream encoded twice gives byte-identical files, for every policy', () => {
    for (const policy of [BufferPolicy.FLUSH, BufferPolicy.DISCARD, BufferPolicy.OVERWRITE]) {
      const policies = Array.from({ length: 4 }, () => ({ policy, capacityChunks: 3 }));
      const a = generateRandomStream(42, 2500, 4, { chunkEvents: 64, chunkBytes: 700 }, policies);
      const b = generateRandomStream(42, 2500, 4, { chunkEvents: 64, chunkBytes: 700 }, policies);
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    }
  });

  it('a different stream gives different bytes', () => {
    const a = generateRandomStream(42, 500, 4, { chunkEvents: 64 });
    const b = generateRandomStream(43, 500, 4, { chunkEvents: 64 });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(false);
  });
});

describe('size', () => {
  // Bytes are deterministic (canonical encoding), so this is a property, not a timing: it fails the day
  // the encoding grows past DESIGN.md's target on the bench's function-heavy stream.
  it('a function-heavy stream takes at most 4 bytes per event, whole file included', () => {
    const sink = new MemorySink();
    const tracer = new Tracer(sink, { ...emptyHeader(), synthetic: true });
    const end = generateSynthetic(tracer, { profile: 'function-heavy', events: 200_000, threads: 4, seed: 7 });
    tracer.finish({ outcome: Outcome.OK, endTime: end });
    const bytes = sink.bytes();
    const events = TraceReader.fromBytes(bytes).footer!.events;
    expect(events).toBeGreaterThanOrEqual(200_000);
    expect(bytes.length / events).toBeLessThanOrEqual(4);
  });
});

describe('thread buffer details', () => {
  function setup() {
    const sink = new MemorySink();
    const tracer = new Tracer(sink, emptyHeader(), { chunkEvents: 4 });
    const buf = tracer.addThread({ l4Id: 1, name: 'a', task: 1, lthread: 0, version: 1, kind: ThreadKind.IA32, cpu: 0, priority: 1 });
    return { sink, tracer, buf };
  }

  it('an exit hook for an outer frame closes the inner frames first (longjmp), an unknown one is counted', () => {
    const { sink, tracer, buf } = setup();
    const f = tracer.intern('f');
    const g = tracer.intern('g');
    const h = tracer.intern('h');
    buf.funcEnter(1, f);
    buf.funcEnter(2, g);
    buf.funcEnter(3, h);
    expect(buf.funcExit(4, f)).toBe(3); // h, g, f closed
    expect(buf.funcExit(5, g)).toBe(0); // nothing open
    tracer.finish({ outcome: 1, endTime: 5 });
    const r = TraceReader.fromBytes(sink.bytes());
    const evs = [...r.events()];
    expect(evs.map((e) => [e.kind, r.string(e.args[0]!)])).toEqual([
      [Kind.FUNC_ENTER, 'f'],
      [Kind.FUNC_ENTER, 'g'],
      [Kind.FUNC_ENTER, 'h'],
      [Kind.FUNC_EXIT, 'h'],
      [Kind.FUNC_EXIT, 'g'],
      [Kind.FUNC_EXIT, 'f'],
    ]);
    expect(r.footer!.threads[0]!.unmatchedExits).toBe(1);
  });

  it('a chunk that starts inside calls decodes on its own (open stack)', () => {
    const { sink, tracer, buf } = setup();
    const f = tracer.intern('outer');
    const g = tracer.intern('inner');
    buf.funcEnter(1, f);
    buf.funcEnter(2, g);
    for (let i = 0; i < 5; i++) buf.emit(Kind.MARKER, 3 + i, f, i);
    buf.funcExit(10, g);
    buf.funcExit(11, f);
    tracer.finish({ outcome: 1, endTime: 11 });
    const r = TraceReader.fromBytes(sink.bytes());
    // chunks of 4: [enter f, enter g, M, M] [M, M, M, exit g] [exit f]
    const second = r.decodeChunk(r.chunks[1]!);
    expect(second.openStack).toEqual([f, g]);
    expect(second.args[second.argStart[3]!]).toBe(g);
    const third = r.decodeChunk(r.chunks[2]!);
    expect(third.openStack).toEqual([f]);
    expect([...third.args]).toEqual([f]);
  });

  it('refuses time going backwards, unknown kinds and bad back references (machine bugs, not data)', () => {
    const { buf } = setup();
    buf.emit(Kind.MARKER, 100, 0, 0);
    expect(() => buf.emit(Kind.MARKER, 99, 0, 0)).toThrow(/backwards/);
    expect(() => buf.emit(63, 200)).toThrow(/unknown event kind/);
    expect(() => buf.emit(Kind.TIMEOUT, 300, 1, 10_000, 0)).toThrow(/back reference/);
    expect(() => buf.emit(Kind.FUNC_EXIT, 300)).toThrow(/no open function/);
  });
});
